// Package oidcop runs a real OpenID provider for tests: zitadel's op package on an
// httptest server at http://127.0.0.1, with one registered client, in-memory users,
// and a login step that completes by itself as whichever user SetNextLogin chose.
//
// A browser-less client reaches the relying party's redirect URI with a code and state
// by GETting the authorization URL and following redirects (authorize, login, callback)
// until the one that points at the redirect URI.
package oidcop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Options registers the provider's single client.
type Options struct {
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	// PostLogoutRedirectURIs are accepted by the end-session endpoint.
	PostLogoutRedirectURIs []string
	// MinimalIDToken leaves user claims (email, profile, groups) out of the id token, so
	// a relying party only learns them from the userinfo endpoint.
	MinimalIDToken bool
}

// User is an account at the provider. Groups are sent in a "groups" claim in the id
// token and userinfo whatever the scopes; the other claims follow the "email" and
// "profile" scopes.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	Picture       string
	Groups        []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// URL is the issuer, http://127.0.0.1:port with no trailing slash.
	URL string

	t     testing.TB
	store *storage
}

// loginPath is the provider's login "page", which logs in without showing anything.
const loginPath = "/login"

// Start runs a provider until the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate signing key: %v", err)
	}

	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	issuer := "http://" + srv.Listener.Addr().String()
	c := &client{
		id:           opts.ClientID,
		secret:       opts.ClientSecret,
		redirects:    slices.Clone(opts.RedirectURIs),
		postLogouts:  slices.Clone(opts.PostLogoutRedirectURIs),
		loginURL:     func(id string) string { return issuer + loginPath + "?id=" + url.QueryEscape(id) },
		idTokenClaim: !opts.MinimalIDToken,
	}
	p := &Provider{URL: issuer, t: t, store: newStorage(c, key, opts.MinimalIDToken)}

	o, err := op.NewProvider(opConfig(), p.store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("new openid provider: %v", err)
	}
	mux.Handle(loginPath, p.loginHandler(op.AuthCallbackURL(o)))
	mux.Handle("/", o)
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

func opConfig() *op.Config {
	cfg := &op.Config{CodeMethodS256: true, AuthMethodPost: true}
	_, _ = rand.Read(cfg.CryptoKey[:])
	return cfg
}

// loginHandler stands in for a login form: it authenticates the pending request as the
// chosen user and sends the browser to op's callback, which redirects to the client.
func (p *Provider) loginHandler(callback func(context.Context, string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := p.store.login(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx := op.ContextWithIssuer(r.Context(), p.URL)
		http.Redirect(w, r, callback(ctx, id), http.StatusFound)
	})
}

// WellKnownURL is the discovery document's URL.
func (p *Provider) WellKnownURL() string {
	return p.URL + "/.well-known/openid-configuration"
}

// AddUser adds or replaces a user.
func (p *Provider) AddUser(u User) {
	u.Groups = slices.Clone(u.Groups)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.users[u.Subject] = u
}

// SetUserGroups replaces a user's groups; it does nothing for an unknown subject.
func (p *Provider) SetUserGroups(subject string, groups []string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if u, ok := p.store.users[subject]; ok {
		u.Groups = slices.Clone(groups)
		p.store.users[subject] = u
	}
}

// SetNextLogin chooses the user every following authorization logs in as, until changed.
// With "" or an unknown subject the login fails, and the client receives
// error=interaction_required on its redirect URI.
func (p *Provider) SetNextLogin(subject string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.next = subject
}

// KeyID is the "kid" of the provider's signing key.
func (p *Provider) KeyID() string { return p.store.keyID }

// SignToken signs claims with the provider's own key, as the provider signs id tokens.
func (p *Provider) SignToken(claims map[string]any) string {
	p.t.Helper()
	return SignWithKey(p.t, p.store.key, jose.RS256, p.store.keyID, claims)
}

// SignForeignToken signs claims with a fresh key the provider does not publish, under
// the provider's key id, as an attacker would.
func (p *Provider) SignForeignToken(claims map[string]any) string {
	p.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatalf("generate foreign key: %v", err)
	}
	return SignWithKey(p.t, key, jose.RS256, p.store.keyID, claims)
}

// IDTokenClaims returns the claims of a valid id token for the client: issued now,
// expiring in five minutes.
func (p *Provider) IDTokenClaims(subject, nonce string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":   p.URL,
		"sub":   subject,
		"aud":   p.store.client.id,
		"azp":   p.store.client.id,
		"iat":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
		"nonce": nonce,
	}
}

// AddRedirectURI registers another redirect URI for the client, for a relying party whose
// callback is only known once it has been configured.
func (p *Provider) AddRedirectURI(uri string) { p.store.client.addRedirect(uri) }
