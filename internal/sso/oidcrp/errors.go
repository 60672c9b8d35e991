// Package oidcrp is the protocol half of OpenID Connect sign-in for a relying party: it
// discovers a provider, builds the authorization request, and turns the provider's
// redirect into verified claims (authorization code flow, OpenID Connect Core 1.0
// section 3.1, with optional PKCE per RFC 7636). It keeps no state of its own and serves
// no HTTP: the caller stores State between Begin and Finish and owns the handlers.
//
// Every outbound request goes through the *http.Client the caller passes, which should be
// one built by netguard so that administrator-entered URLs cannot reach forbidden hosts.
package oidcrp

import "errors"

// Errors returned by this package wrap one of these, with detail, so a caller can pick a
// message for the user and an audit-log reason with errors.Is.
var (
	// ErrConfig: the provider configuration is incomplete or malformed.
	ErrConfig = errors.New("invalid oidc configuration")
	// ErrDiscovery: the discovery document could not be fetched or is unusable.
	ErrDiscovery = errors.New("oidc discovery failed")
	// ErrState: the callback's state is missing or does not match the one issued by Begin.
	// It usually means a stale or forged callback; nothing was sent to the provider.
	ErrState = errors.New("oidc state mismatch")
	// ErrProvider: the provider refused or failed (an error parameter on the callback, a
	// failed code exchange or userinfo call, or an unreachable endpoint).
	ErrProvider = errors.New("oidc provider error")
	// ErrToken: the id token is missing or fails verification (signature, issuer,
	// audience, expiry, nonce), or userinfo does not belong to the same subject.
	ErrToken = errors.New("invalid oidc id token")
	// ErrUnverifiedEmail: the configuration requires a verified email and the provider
	// did not assert one.
	ErrUnverifiedEmail = errors.New("oidc email not verified")
)
