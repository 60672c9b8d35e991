package samlsp

import (
	"errors"
	"fmt"

	"github.com/crewjam/saml"
)

// Errors that Finish wraps, so that a caller can tell the reasons apart with errors.Is,
// show the user a clear message and record the detail in the audit log.
var (
	// ErrMalformed: the response is not base64, not well-formed XML, too large, or lacks
	// a required element.
	ErrMalformed = errors.New("malformed SAML response")
	// ErrUnsigned: a signature the configuration requires is missing.
	ErrUnsigned = errors.New("SAML response is not signed as required")
	// ErrSignature: a signature is present but invalid or made with an untrusted key.
	ErrSignature = errors.New("invalid SAML signature")
	// ErrRequest: the response does not answer the request this sign-in started
	// (InResponseTo), including unsolicited (IdP-initiated) responses.
	ErrRequest = errors.New("SAML response does not answer this sign-in request")
	// ErrExpired: the response or assertion is no longer valid.
	ErrExpired = errors.New("SAML assertion has expired")
	// ErrNotYetValid: the response or assertion is dated in the future.
	ErrNotYetValid = errors.New("SAML assertion is not yet valid")
	// ErrAudience: the assertion was issued for another service provider.
	ErrAudience = errors.New("SAML assertion is for another service provider")
	// ErrDestination: the response or its subject confirmation names another recipient.
	ErrDestination = errors.New("SAML response is addressed to another endpoint")
	// ErrIssuer: the issuer is not the identity provider in the configured metadata.
	ErrIssuer = errors.New("SAML response is from another identity provider")
	// ErrStatus: the identity provider answered with a non-success status.
	ErrStatus = errors.New("identity provider refused the sign-in")
	// ErrRejected: the response was refused for another reason.
	ErrRejected = errors.New("SAML response rejected")
	// ErrConfig: the configuration is invalid (see Config.Validate).
	ErrConfig = errors.New("invalid SAML configuration")
)

// kinds maps crewjam's error classes to ours, most specific first.
var kinds = []struct{ theirs, ours error }{
	{saml.ErrMalformedMessage, ErrMalformed},
	{saml.ErrMissingElement, ErrMalformed},
	{saml.ErrInvalidSignature, ErrSignature},
	{saml.ErrRequestIDMismatch, ErrRequest},
	{saml.ErrExpired, ErrExpired},
	{saml.ErrNotYetValid, ErrNotYetValid},
	{saml.ErrAudienceMismatch, ErrAudience},
	{saml.ErrDestinationMismatch, ErrDestination},
	{saml.ErrIssuerMismatch, ErrIssuer},
}

// classify wraps a crewjam rejection in the matching error of this package, keeping
// crewjam's detail (which never includes the response itself) in the message.
func classify(err error) error {
	var invalid *saml.InvalidResponseError
	if errors.As(err, &invalid) && invalid.PrivateErr != nil {
		err = invalid.PrivateErr
	}
	var status saml.ErrBadStatus
	if errors.As(err, &status) {
		return fmt.Errorf("%w: status %s", ErrStatus, status.Status)
	}
	for _, k := range kinds {
		if errors.Is(err, k.theirs) {
			return fmt.Errorf("%w: %w", k.ours, err)
		}
	}
	return fmt.Errorf("%w: %w", ErrRejected, err)
}
