package oidcrp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"atrium/internal/testutil/oidcop"
)

func TestFlow(t *testing.T) {
	_, base := startProvider(t, oidcop.Options{})
	for _, method := range []string{"", PKCENone, PKCEPlain, PKCES256} {
		t.Run("pkce="+method, func(t *testing.T) {
			c := base
			c.InfoFromIDToken = true
			c.CodeChallengeMethod = method

			res, err := signIn(t, c, nil)
			if err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			if res.Subject != alice.Subject {
				t.Errorf("Subject = %q, want %q", res.Subject, alice.Subject)
			}
			if res.IDToken == "" {
				t.Error("IDToken is empty")
			}
			wantUserClaims(t, res.Claims)
		})
	}
}

func TestFlowUserinfo(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{MinimalIDToken: true})

	c.InfoFromIDToken = true
	res, err := signIn(t, c, nil)
	if err != nil {
		t.Fatalf("sign-in from id token: %v", err)
	}
	if _, ok := res.Claims["email"]; ok {
		t.Fatalf("minimal id token carries email; the userinfo test would prove nothing")
	}

	c.InfoFromIDToken = false
	c.CodeChallengeMethod = PKCES256
	res, err = signIn(t, c, nil)
	if err != nil {
		t.Fatalf("sign-in with userinfo: %v", err)
	}
	wantUserClaims(t, res.Claims)
	if got := res.Claims["iss"]; got != c.Issuer {
		t.Errorf("iss = %v, want the id token's %q", got, c.Issuer)
	}
}

func TestFlowGroupsChange(t *testing.T) {
	p, c := startProvider(t, oidcop.Options{})
	c.InfoFromIDToken = true
	p.SetUserGroups(alice.Subject, []string{"viewers"})

	res, err := signIn(t, c, nil)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if got := groups(res.Claims); !slices.Equal(got, []string{"viewers"}) {
		t.Errorf("groups = %v, want [viewers]", got)
	}
}

func wantUserClaims(t *testing.T, claims map[string]any) {
	t.Helper()
	want := map[string]any{
		"sub":            alice.Subject,
		"email":          alice.Email,
		"email_verified": true,
		"name":           alice.Name,
		"given_name":     alice.GivenName,
		"family_name":    alice.FamilyName,
		"picture":        alice.Picture,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if got := groups(claims); !slices.Equal(got, alice.Groups) {
		t.Errorf("groups = %v, want %v", got, alice.Groups)
	}
}

func groups(claims map[string]any) []string {
	raw, _ := claims["groups"].([]any)
	var out []string
	for _, g := range raw {
		s, _ := g.(string)
		out = append(out, s)
	}
	return out
}

func TestFinishExpired(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	c.InfoFromIDToken = true
	later := func() time.Time { return time.Now().Add(time.Hour) }

	_, err := signIn(t, c, later)
	wantErr(t, err, ErrToken, "expired")
}

func TestFinishUnverifiedEmail(t *testing.T) {
	p, c := startProvider(t, oidcop.Options{})
	c.InfoFromIDToken = true
	c.RequireVerifiedEmail = true
	bob := oidcop.User{Subject: "bob-sub", Email: "bob@example.test", EmailVerified: false}
	p.AddUser(bob)
	p.SetNextLogin(bob.Subject)

	_, err := signIn(t, c, nil)
	wantErr(t, err, ErrUnverifiedEmail)

	p.SetNextLogin(alice.Subject)
	if _, err := signIn(t, c, nil); err != nil {
		t.Fatalf("verified user refused: %v", err)
	}
}

func TestFinishProviderError(t *testing.T) {
	p, c := startProvider(t, oidcop.Options{})
	p.SetNextLogin("")

	_, err := signIn(t, c, nil)
	wantErr(t, err, ErrProvider, "interaction_required")
}

func TestFinishErrorParam(t *testing.T) {
	st := State{State: "s1", Nonce: "n1"}
	q := url.Values{"state": {"s1"}, "error": {"access_denied"},
		"error_description": {"the user said no"}}
	c := Config{}

	_, err := Finish(context.Background(), noNetwork(t), c, testRedirect, st, q, nil)
	wantErr(t, err, ErrProvider, "access_denied", "the user said no")
}

func TestFinishState(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	authURL, st, err := Begin(c, testRedirect)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	good := authorize(t, authURL)

	tests := []struct {
		name  string
		st    State
		state string
	}{
		{"mismatched", st, "not-" + st.State},
		{"missing", st, ""},
		{"no sign-in in progress", State{}, good.Get("state")},
		{"prefix", st, st.State[:20]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"code": {good.Get("code")}, "state": {tt.state}}
			_, err := Finish(context.Background(), noNetwork(t), c, testRedirect, tt.st, q, nil)
			wantErr(t, err, ErrState)
		})
	}
}

// noNetwork returns a client that fails the test if it is used.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL)
		return nil, errors.New("network not allowed in this test")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFinishReplayedCode(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	authURL, st, err := Begin(c, testRedirect)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	q := authorize(t, authURL)
	if _, err := Finish(context.Background(), guarded(), c, testRedirect, st, q, nil); err != nil {
		t.Fatalf("first Finish: %v", err)
	}

	_, err = Finish(context.Background(), guarded(), c, testRedirect, st, q, nil)
	wantErr(t, err, ErrProvider, "token endpoint")
}

func TestFinishWrongSecret(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	c.ClientSecret = "wrong"

	_, err := signIn(t, c, nil)
	wantErr(t, err, ErrProvider, "token endpoint")
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q echoes the client secret", err)
	}
}
