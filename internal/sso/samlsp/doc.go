// Package samlsp is the protocol half of SAML 2.0 sign-in for Atrium acting as a service
// provider: it validates configuration, reads identity provider metadata, publishes this
// server's metadata, starts a login with an AuthnRequest (HTTP-Redirect binding) and checks
// the Response the identity provider posts back (HTTP-POST binding).
//
// It holds no state and serves no HTTP. The caller keeps the request ID that Begin returns
// (for example in a short-lived cookie or database row) and passes it to Finish, and it
// records the assertion IDs that Finish returns so that an assertion is accepted only once.
//
// The checks themselves (XML signatures, issuer, audience, recipient, destination,
// InResponseTo and validity periods) are done by crewjam/saml's ServiceProvider. This
// package chooses the strict settings: no IdP-initiated sign-in, at least one signature
// always, and the time taken from the caller's clock rather than crewjam's package-level
// one.
package samlsp
