package oidcrp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"atrium/internal/testutil/oidcop"
)

func TestDiscover(t *testing.T) {
	p := oidcop.Start(t, oidcop.Options{ClientID: testClientID, ClientSecret: testClientSecret,
		RedirectURIs: []string{testRedirect}})

	for _, u := range []string{p.WellKnownURL(), p.URL, p.URL + "/"} {
		t.Run(u, func(t *testing.T) {
			d, err := Discover(context.Background(), guarded(), u)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if d.Issuer != p.URL {
				t.Errorf("Issuer = %q, want %q", d.Issuer, p.URL)
			}
			for name, v := range map[string]string{
				"authorization": d.AuthorizationEndpoint, "token": d.TokenEndpoint,
				"userinfo": d.UserinfoEndpoint, "jwks": d.JWKSURI,
				"end session": d.EndSessionEndpoint, "revocation": d.RevocationEndpoint,
			} {
				if !strings.HasPrefix(v, p.URL+"/") {
					t.Errorf("%s endpoint = %q, want one under %s", name, v, p.URL)
				}
			}
			if !slices.Contains(d.CodeChallengeMethods, PKCES256) {
				t.Errorf("CodeChallengeMethods = %v, want S256 listed", d.CodeChallengeMethods)
			}
		})
	}
}

// docServer serves body (with %s replaced by its own URL) at the well-known path.
func docServer(t *testing.T, status int, body string) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, strings.ReplaceAll(body, "%s", srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDiscoverBad(t *testing.T) {
	const good = `{"issuer":"%s","authorization_endpoint":"%s/auth",` +
		`"token_endpoint":"%s/token","jwks_uri":"%s/keys"}`
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"not found", http.StatusNotFound, good, "status 404"},
		{"not json", http.StatusOK, "<html>login</html>", "decode"},
		{"other issuer", http.StatusOK,
			strings.Replace(good, `"issuer":"%s"`, `"issuer":"https://op.example.test"`, 1),
			"does not match"},
		{"no token endpoint", http.StatusOK,
			strings.Replace(good, `"token_endpoint":"%s/token",`, "", 1), "token_endpoint is required"},
		{"relative jwks", http.StatusOK,
			strings.Replace(good, `"%s/keys"`, `"/keys"`, 1), "jwks_uri"},
		{"javascript url", http.StatusOK,
			strings.Replace(good, `"%s/auth"`, `"javascript:alert(1)"`, 1), "authorization_endpoint"},
		{"too large", http.StatusOK, `{"x":"` + strings.Repeat("a", maxBody) + `"}`, "larger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := docServer(t, tt.status, tt.body)
			_, err := Discover(context.Background(), guarded(), u)
			wantErr(t, err, ErrDiscovery, tt.want)
		})
	}
}

func TestDiscoverBadURL(t *testing.T) {
	for _, u := range []string{"", "op.example.test", "ftp://op.example.test", "/relative"} {
		_, err := Discover(context.Background(), noNetwork(t), u)
		wantErr(t, err, ErrDiscovery, "url")
	}
}

func FuzzDecodeDiscovery(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://op.test","authorization_endpoint":"https://op.test/a",` +
		`"token_endpoint":"https://op.test/t","jwks_uri":"https://op.test/k",` +
		`"code_challenge_methods_supported":["S256"]}`))
	f.Add([]byte(`{"issuer":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"issuer":"https://op.test","token_endpoint":"http://[::1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeDiscovery(body)
		if err != nil {
			return
		}
		c := d.Apply(Config{ClientID: "c", InfoFromIDToken: true})
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded document %+v gives an invalid config: %v", d, err)
		}
	})
}
