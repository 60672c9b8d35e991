package oidcrp

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		Issuer:                "https://op.example.test",
		ClientID:              "client",
		ClientSecret:          "secret",
		AuthorizationEndpoint: "https://op.example.test/authorize?tenant=t1",
		TokenEndpoint:         "https://op.example.test/token",
		UserinfoEndpoint:      "https://op.example.test/userinfo",
		JWKSURI:               "https://op.example.test/keys",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []string // fragments of the error; none means valid
	}{
		{"valid", func(*Config) {}, nil},
		{"userinfo optional from id token", func(c *Config) {
			c.UserinfoEndpoint, c.InfoFromIDToken = "", true
		}, nil},
		{"empty", func(c *Config) { *c = Config{} }, []string{"issuer", "client_id",
			"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"}},
		{"userinfo required", func(c *Config) { c.UserinfoEndpoint = "" },
			[]string{"userinfo_endpoint is required"}},
		{"relative token endpoint", func(c *Config) { c.TokenEndpoint = "/token" },
			[]string{"token_endpoint"}},
		{"file scheme", func(c *Config) { c.JWKSURI = "file:///etc/keys" }, []string{"jwks_uri"}},
		{"bad end session", func(c *Config) { c.EndSessionEndpoint = "logout" },
			[]string{"end_session_endpoint"}},
		{"pkce method", func(c *Config) { c.CodeChallengeMethod = "S512" },
			[]string{"code_challenge_method"}},
		{"reserved param", func(c *Config) {
			c.ExtraAuthParams = map[string]string{"prompt": "login", "redirect_uri": "x"}
		}, []string{`"redirect_uri"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantErr(t, err, ErrConfig, tt.want...)
		})
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		name          string
		scopes, extra []string
		want          string
	}{
		{"default", nil, nil, "openid email profile"},
		{"openid added", []string{"email"}, nil, "openid email"},
		{"extra deduplicated", []string{"openid", "profile"}, []string{"groups", "profile"},
			"openid profile groups"},
	}
	for _, tt := range tests {
		c := Config{Scopes: tt.scopes, ExtraScopes: tt.extra}
		if got := strings.Join(c.scopes(), " "); got != tt.want {
			t.Errorf("%s: scopes = %q, want %q", tt.name, got, tt.want)
		}
	}
}

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func TestBegin(t *testing.T) {
	for _, method := range []string{"", PKCENone, PKCEPlain, PKCES256} {
		t.Run("pkce="+method, func(t *testing.T) {
			c := validConfig()
			c.CodeChallengeMethod = method
			c.ExtraAuthParams = map[string]string{"prompt": "select_account"}

			authURL, st, err := Begin(c, "https://atrium.example.test/cb")
			if err != nil {
				t.Fatalf("Begin: %v", err)
			}
			u, err := url.Parse(authURL)
			if err != nil {
				t.Fatalf("parse %q: %v", authURL, err)
			}
			q := u.Query()
			want := map[string]string{
				"response_type": "code", "client_id": "client", "scope": "openid email profile",
				"redirect_uri": "https://atrium.example.test/cb", "state": st.State,
				"nonce": st.Nonce, "prompt": "select_account", "tenant": "t1",
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			for name, v := range map[string]string{"state": st.State, "nonce": st.Nonce} {
				if !urlSafe.MatchString(v) {
					t.Errorf("%s %q is not 43 URL-safe characters", name, v)
				}
			}
			wantPKCE(t, method, st.Verifier, q)
		})
	}
}

func wantPKCE(t *testing.T, method, verifier string, q url.Values) {
	t.Helper()
	switch method {
	case "", PKCENone:
		if verifier != "" || q.Has("code_challenge") || q.Has("code_challenge_method") {
			t.Errorf("PKCE off but verifier %q, query %v", verifier, q)
		}
		return
	}
	if !urlSafe.MatchString(verifier) {
		t.Errorf("verifier %q is not 43 URL-safe characters", verifier)
	}
	want := verifier
	if method == PKCES256 {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if q.Get("code_challenge") != want || q.Get("code_challenge_method") != method {
		t.Errorf("code_challenge = %q (%s), want %q (%s)", q.Get("code_challenge"),
			q.Get("code_challenge_method"), want, method)
	}
}

func TestBeginFresh(t *testing.T) {
	_, a, _ := Begin(validConfig(), "https://atrium.example.test/cb")
	_, b, _ := Begin(validConfig(), "https://atrium.example.test/cb")
	if a.State == b.State || a.Nonce == b.Nonce || a.State == a.Nonce {
		t.Errorf("Begin repeated a value: %+v, %+v", a, b)
	}
}

func TestBeginRefuses(t *testing.T) {
	c := validConfig()
	_, _, err := Begin(c, "/relative/cb")
	wantErr(t, err, ErrConfig, "redirect uri")

	c.ClientID = ""
	_, _, err = Begin(c, "https://atrium.example.test/cb")
	wantErr(t, err, ErrConfig, "client_id")
}

func TestEndSessionURL(t *testing.T) {
	c := validConfig()
	if got := EndSessionURL(c, "tok", "https://atrium.example.test/"); got != "" {
		t.Errorf("EndSessionURL without endpoint = %q, want empty", got)
	}

	c.EndSessionEndpoint = "https://op.example.test/logout?x=1"
	got, err := url.Parse(EndSessionURL(c, "tok", "https://atrium.example.test/"))
	if err != nil {
		t.Fatal(err)
	}
	q := got.Query()
	if got.Path != "/logout" || q.Get("x") != "1" || q.Get("id_token_hint") != "tok" ||
		q.Get("post_logout_redirect_uri") != "https://atrium.example.test/" ||
		q.Get("client_id") != "client" {
		t.Errorf("EndSessionURL = %s", got)
	}
}
