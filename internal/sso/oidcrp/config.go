package oidcrp

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// Config describes one OpenID provider as registered by an administrator.
type Config struct {
	// Issuer is the expected "iss" of id tokens, exactly as the provider spells it.
	// Discover fills it from the discovery document.
	Issuer string
	// ClientID and ClientSecret are the credentials registered at the provider; the
	// secret is sent only to the token endpoint.
	ClientID     string
	ClientSecret string

	// Endpoints, absolute http or https URLs. RevocationEndpoint is carried for callers
	// (this package does not revoke); EndSessionEndpoint feeds EndSessionURL.
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	RevocationEndpoint    string
	EndSessionEndpoint    string
	JWKSURI               string

	// InfoFromIDToken takes the user's claims from the id token alone. When false, Finish
	// also calls the userinfo endpoint and merges its claims over the id token's; the
	// userinfo "sub" must equal the id token's (OpenID Connect Core 1.0, section 5.3.2).
	InfoFromIDToken bool
	// RequireVerifiedEmail refuses a sign-in unless email_verified is true (a JSON
	// boolean or the string "true", which some providers send).
	RequireVerifiedEmail bool
	// CodeChallengeMethod selects PKCE: "" or "none" for none, "plain" or "S256".
	CodeChallengeMethod string
	// Scopes requested; empty means openid, email and profile. "openid" is always
	// included.
	Scopes []string
	// ExtraScopes are appended to Scopes.
	ExtraScopes []string
	// ExtraAuthParams are added to the authorization URL (for example "prompt" or
	// "hd"). They may not set any parameter this package controls; see reservedParams.
	ExtraAuthParams map[string]string
}

// defaultScopes are requested when Config.Scopes is empty.
var defaultScopes = []string{"openid", "email", "profile"}

// PKCE methods accepted in Config.CodeChallengeMethod.
const (
	PKCENone  = "none"
	PKCEPlain = "plain"
	PKCES256  = "S256"
)

// reservedParams are the authorization request parameters that carry the protocol's
// security (state, nonce, PKCE) or identity of the client; ExtraAuthParams may not set them.
var reservedParams = []string{
	"response_type", "client_id", "redirect_uri", "state", "nonce", "scope",
	"code_challenge", "code_challenge_method",
}

// Validate reports every problem with c at once, each naming the field; the error wraps
// ErrConfig.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if c.Issuer == "" {
		bad("issuer is required")
	}
	if c.ClientID == "" {
		bad("client_id is required")
	}
	for _, f := range c.urlFields() {
		if err := checkURL(f.value, f.required); err != nil {
			bad("%s %w", f.name, err)
		}
	}
	switch c.CodeChallengeMethod {
	case "", PKCENone, PKCEPlain, PKCES256:
	default:
		bad("code_challenge_method %q is not one of none, plain, S256", c.CodeChallengeMethod)
	}
	for k := range c.ExtraAuthParams {
		if slices.Contains(reservedParams, k) {
			bad("extra auth param %q may not override a protocol parameter", k)
		}
	}

	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

type urlField struct {
	name, value string
	required    bool
}

func (c Config) urlFields() []urlField {
	return []urlField{
		{"authorization_endpoint", c.AuthorizationEndpoint, true},
		{"token_endpoint", c.TokenEndpoint, true},
		{"jwks_uri", c.JWKSURI, true},
		{"userinfo_endpoint", c.UserinfoEndpoint, !c.InfoFromIDToken},
		{"revocation_endpoint", c.RevocationEndpoint, false},
		{"end_session_endpoint", c.EndSessionEndpoint, false},
	}
}

// checkURL accepts an absolute http or https URL, or "" when the field is optional.
func checkURL(s string, required bool) error {
	if s == "" {
		if required {
			return errors.New("is required")
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("is not a valid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%q may not have a fragment", s)
	}
	return nil
}

// scopes returns the scopes to request: Scopes (or defaultScopes) and ExtraScopes,
// with "openid" first and no duplicates.
func (c Config) scopes() []string {
	base := c.Scopes
	if len(base) == 0 {
		base = defaultScopes
	}
	out := []string{"openid"}
	for _, s := range slices.Concat(base, c.ExtraScopes) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func (c Config) pkce() bool {
	return c.CodeChallengeMethod == PKCEPlain || c.CodeChallengeMethod == PKCES256
}
