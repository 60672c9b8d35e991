package oidcrp

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// signingAlgs are the id token algorithms accepted. Only asymmetric ones: "none" would
// accept any token, and HS* would make the client secret a signing key that the
// provider's published key set cannot vouch for.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256,
}

// verifyTokens requires an id token in the token response, verifies it, and checks the
// access token against its at_hash when present (OpenID Connect Core 1.0, 3.1.3.8).
func verifyTokens(ctx context.Context, hc *http.Client, c Config, tok *oauth2.Token,
	nonce string, now func() time.Time) (string, *oidc.IDToken, map[string]any, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", nil, nil, fmt.Errorf("%w: token response has no id_token", ErrToken)
	}
	idt, claims, err := verifyIDToken(ctx, hc, c, raw, nonce, now)
	if err != nil {
		return "", nil, nil, err
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return "", nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
	}
	return raw, idt, claims, nil
}

// verifyIDToken checks raw's signature against the provider's JWKS (fetched with hc),
// its issuer, audience, expiry against now, and its nonce; it returns the token and
// all of its claims. Errors wrap ErrToken.
//
// The key set is fetched for each call; a provider signs few enough sign-ins that caching
// it across calls is not worth a rotation bug.
func verifyIDToken(ctx context.Context, hc *http.Client, c Config, raw, nonce string,
	now func() time.Time) (*oidc.IDToken, map[string]any, error) {
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(ctx, hc), c.JWKSURI)
	v := oidc.NewVerifier(c.Issuer, keys, &oidc.Config{
		ClientID:             c.ClientID,
		SupportedSigningAlgs: signingAlgs,
		Now:                  now,
	})

	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, nil, fmt.Errorf("%w: nonce does not match this sign-in", ErrToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("%w: decode claims: %w", ErrToken, err)
	}
	if err := checkAZP(idt.Audience, claims["azp"], c.ClientID); err != nil {
		return nil, nil, err
	}
	return idt, claims, nil
}

// checkAZP applies OpenID Connect Core 1.0, section 3.1.3.7, steps 4 and 5: a token
// for several audiences must name this client as its authorized party, and any azp
// present must be this client.
func checkAZP(aud []string, azp any, clientID string) error {
	s, isString := azp.(string)
	switch {
	case azp == nil && len(aud) > 1:
		return fmt.Errorf("%w: token has several audiences and no azp", ErrToken)
	case azp != nil && (!isString || s != clientID):
		return fmt.Errorf("%w: azp %v is not this client", ErrToken, azp)
	}
	return nil
}

// userinfo fetches the userinfo claims with the access token (OpenID Connect Core 1.0,
// section 5.3). Signed or encrypted (application/jwt) responses are not supported.
func userinfo(ctx context.Context, hc *http.Client, endpoint, accessToken string) (
	map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrProvider, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")

	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrProvider, err)
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrProvider, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: userinfo: status %d: %s",
			ErrProvider, resp.StatusCode, snippet(body))
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/jwt") {
		return nil, fmt.Errorf("%w: userinfo: signed responses are not supported", ErrProvider)
	}

	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("%w: userinfo: decode: %w", ErrProvider, err)
	}
	return info, nil
}

// tokenClaims describe the id token itself rather than the user; userinfo never
// replaces them.
var tokenClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash", "c_hash",
}

// mergeUserinfo overlays info's user claims on claims. The userinfo subject must be the
// id token's (OpenID Connect Core 1.0, section 5.3.2), or the answer may describe
// another user.
func mergeUserinfo(claims, info map[string]any, subject string) error {
	if sub, _ := info["sub"].(string); sub != subject {
		return fmt.Errorf("%w: userinfo subject %q does not match id token subject %q",
			ErrToken, clip(sub), subject)
	}
	for k, v := range info {
		if !slices.Contains(tokenClaims, k) {
			claims[k] = v
		}
	}
	return nil
}
