package oidcrp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"atrium/internal/netguard"
	"atrium/internal/testutil/oidcop"
)

const (
	testClientID     = "atrium-test"
	testClientSecret = "test-client-secret-of-at-least-32-bytes"
	// testRedirect is never dialled: the browser stops at the redirect to it.
	testRedirect = "http://127.0.0.1:9/sso/oidc/callback"
)

var alice = oidcop.User{
	Subject:       "alice-sub",
	Email:         "alice@example.test",
	EmailVerified: true,
	Name:          "Alice Example",
	GivenName:     "Alice",
	FamilyName:    "Example",
	Picture:       "https://example.test/alice.png",
	Groups:        []string{"admins", "ml"},
}

// guarded is the client the server would use: netguard with private addresses allowed.
func guarded() *http.Client {
	return netguard.Policy{AllowPrivate: true, Timeout: 2 * time.Second}.Client()
}

// startProvider runs a provider with alice logging in, and returns it with a Config
// filled from its discovery document.
func startProvider(t *testing.T, opts oidcop.Options) (*oidcop.Provider, Config) {
	t.Helper()
	opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	opts.RedirectURIs = []string{testRedirect}
	p := oidcop.Start(t, opts)
	p.AddUser(alice)
	p.SetNextLogin(alice.Subject)

	d, err := Discover(context.Background(), guarded(), p.WellKnownURL())
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	c := d.Apply(Config{ClientID: testClientID, ClientSecret: testClientSecret})
	return p, c
}

// authorize plays the browser: it follows the provider's redirects and returns the
// query of the one that reaches the relying party's redirect URI.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	browser := &http.Client{
		Timeout: 5 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), testRedirect) {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorization URL: %v", err)
	}
	defer resp.Body.Close()

	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, testRedirect) {
		t.Fatalf("authorization ended with %d, Location %q; want 302 to %s",
			resp.StatusCode, loc, testRedirect)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	return u.Query()
}

// signIn runs Begin, the browser round trip and Finish with the clock at now.
func signIn(t *testing.T, c Config, now func() time.Time) (Result, error) {
	t.Helper()
	authURL, st, err := Begin(c, testRedirect)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	q := authorize(t, authURL)
	return Finish(context.Background(), guarded(), c, testRedirect, st, q, now)
}

// wantErr fails unless err wraps target and mentions each of the fragments.
func wantErr(t *testing.T, err, target error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("got %v, want it to wrap %v", err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}
