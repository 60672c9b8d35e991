package samlsp

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Default and largest allowed Config.ClockSkew.
const (
	DefaultClockSkew = 90 * time.Second
	MaxClockSkew     = 10 * time.Minute
)

// Config describes one SAML connection between this server and an identity provider.
type Config struct {
	// EntityID is this service provider's entity id. Empty means MetadataURL.
	EntityID string
	// ACSURL is the absolute URL of this server's assertion consumer service, where the
	// identity provider posts its Response (HTTP-POST binding).
	ACSURL string
	// MetadataURL is the absolute URL where this server publishes SPMetadata.
	MetadataURL string
	// IDPMetadataXML is the identity provider's metadata document (see ParseIDPMetadata).
	IDPMetadataXML string

	// A response is always refused unless the Response or its Assertion carries a valid
	// signature. RequireSignedResponse and RequireSignedAssertion make that specific
	// signature mandatory.
	RequireSignedResponse  bool
	RequireSignedAssertion bool

	// SignRequests signs AuthnRequests (RSA-SHA256 over the HTTP-Redirect query) with
	// PrivateKeyPEM; CertificatePEM is then published in SPMetadata for the IdP to check.
	SignRequests   bool
	CertificatePEM string
	PrivateKeyPEM  string

	// ClockSkew is the tolerance for clock differences with the identity provider.
	// Zero means DefaultClockSkew; at most MaxClockSkew.
	ClockSkew time.Duration
}

// entityID returns EntityID, defaulting to MetadataURL.
func (c Config) entityID() string {
	if c.EntityID != "" {
		return c.EntityID
	}
	return c.MetadataURL
}

func (c Config) clockSkew() time.Duration {
	if c.ClockSkew == 0 {
		return DefaultClockSkew
	}
	return c.ClockSkew
}

// Validate reports every problem with c at once, each naming its field in snake_case
// (entity_id, acs_url, metadata_url, idp_metadata, certificate, private_key, clock_skew).
// Each problem wraps ErrConfig.
func (c Config) Validate() error {
	var errs []error
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrConfig, field, err))
		}
	}

	add("acs_url", checkURL(c.ACSURL))
	add("metadata_url", checkURL(c.MetadataURL))
	if c.EntityID == "" && c.MetadataURL == "" {
		add("entity_id", errors.New("required when metadata_url is empty"))
	}
	_, err := ParseIDPMetadata([]byte(c.IDPMetadataXML))
	add("idp_metadata", err)
	if c.ClockSkew < 0 || c.ClockSkew > MaxClockSkew {
		add("clock_skew", fmt.Errorf("must be between 0 and %s", MaxClockSkew))
	}
	if c.SignRequests || c.CertificatePEM != "" || c.PrivateKeyPEM != "" {
		errs = append(errs, c.validateKeyPair()...)
	}
	return errors.Join(errs...)
}

// validateKeyPair checks that the certificate and key parse and belong together.
func (c Config) validateKeyPair() []error {
	cert, certErr := parseCertificate(c.CertificatePEM)
	key, keyErr := parsePrivateKey(c.PrivateKeyPEM)

	var errs []error
	if certErr != nil {
		errs = append(errs, fmt.Errorf("%w: certificate: %w", ErrConfig, certErr))
	}
	if keyErr != nil {
		errs = append(errs, fmt.Errorf("%w: private_key: %w", ErrConfig, keyErr))
	}
	if certErr == nil && keyErr == nil && !key.PublicKey.Equal(cert.PublicKey) {
		errs = append(errs, fmt.Errorf("%w: private_key: does not match the certificate", ErrConfig))
	}
	return errs
}

// checkURL requires an absolute http or https URL.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	return nil
}

// keyPair returns the parsed certificate and key, or nils when c has none.
func (c Config) keyPair() (*x509.Certificate, *rsa.PrivateKey, error) {
	if c.CertificatePEM == "" && c.PrivateKeyPEM == "" {
		return nil, nil, nil
	}
	cert, err := parseCertificate(c.CertificatePEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: certificate: %w", ErrConfig, err)
	}
	key, err := parsePrivateKey(c.PrivateKeyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: private_key: %w", ErrConfig, err)
	}
	return cert, key, nil
}
