package oidcop

import (
	"slices"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client is the one registered relying party: a confidential web application that
// authenticates with client_secret_basic (client_secret_post is also enabled
// provider-wide) and uses the authorization code flow.
type client struct {
	id, secret   string
	mu           sync.Mutex
	redirects    []string
	postLogouts  []string
	loginURL     func(authRequestID string) string
	idTokenClaim bool
}

func (c *client) GetID() string { return c.id }
func (c *client) RedirectURIs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.redirects)
}

func (c *client) addRedirect(uri string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.redirects = append(c.redirects, uri)
}
func (c *client) PostLogoutRedirectURIs() []string    { return c.postLogouts }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) LoginURL(id string) string           { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return 5 * time.Minute }

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode}
}

// DevMode lets the client use plain-http redirect URIs on 127.0.0.1.
func (c *client) DevMode() bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) IsScopeAllowed(string) bool { return true }

// IDTokenUserinfoClaimsAssertion puts profile and email claims in the id token even
// though an access token is issued, so a relying party need not call userinfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return c.idTokenClaim }
func (c *client) ClockSkew() time.Duration             { return 0 }
