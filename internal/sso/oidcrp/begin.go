package oidcrp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// State is what the caller keeps between Begin and Finish, bound to the user's browser
// (for example in a short-lived, HttpOnly cookie or a server-side session). Each value is
// 256 random bits, base64url-encoded: 43 characters, which also satisfies RFC 7636's
// 43-128 character code verifier.
type State struct {
	// State is echoed back by the provider and ties the callback to this browser
	// (RFC 6749, section 10.12).
	State string
	// Nonce is placed in the id token by the provider and defeats token replay
	// (OpenID Connect Core 1.0, section 15.5.2).
	Nonce string
	// Verifier is the PKCE code verifier; empty when PKCE is off.
	Verifier string
}

// Begin validates c and returns the URL to send the user's browser to, and the State to
// keep until the provider redirects back to redirectURI.
func Begin(c Config, redirectURI string) (authURL string, st State, err error) {
	if err := c.Validate(); err != nil {
		return "", State{}, err
	}
	if err := checkURL(redirectURI, true); err != nil {
		return "", State{}, fmt.Errorf("%w: redirect uri %w", ErrConfig, err)
	}
	u, err := url.Parse(c.AuthorizationEndpoint)
	if err != nil {
		return "", State{}, fmt.Errorf("%w: authorization_endpoint: %w", ErrConfig, err)
	}

	st = State{State: randomToken(), Nonce: randomToken()}
	if c.pkce() {
		st.Verifier = randomToken()
	}

	q := u.Query()
	for k, v := range c.ExtraAuthParams {
		q.Set(k, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", strings.Join(c.scopes(), " "))
	q.Set("state", st.State)
	q.Set("nonce", st.Nonce)
	if c.pkce() {
		q.Set("code_challenge", codeChallenge(c.CodeChallengeMethod, st.Verifier))
		q.Set("code_challenge_method", c.CodeChallengeMethod)
	}
	u.RawQuery = q.Encode()
	return u.String(), st, nil
}

// randomToken returns 256 random bits, base64url-encoded without padding.
// crypto/rand.Read never fails since Go 1.24; it aborts the program instead.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// codeChallenge derives the PKCE challenge from the verifier (RFC 7636, section 4.2).
func codeChallenge(method, verifier string) string {
	if method == PKCEPlain {
		return verifier
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// EndSessionURL returns the provider's logout URL (OpenID Connect RP-Initiated Logout
// 1.0), or "" when the provider has no end-session endpoint. idTokenHint and
// postLogoutRedirect are optional.
func EndSessionURL(c Config, idTokenHint, postLogoutRedirect string) string {
	if c.EndSessionEndpoint == "" {
		return ""
	}
	u, err := url.Parse(c.EndSessionEndpoint)
	if err != nil {
		return ""
	}
	q := u.Query()
	if c.ClientID != "" {
		q.Set("client_id", c.ClientID)
	}
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	if postLogoutRedirect != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirect)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
