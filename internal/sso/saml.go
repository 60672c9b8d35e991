package sso

import (
	"context"
	"errors"
	"strings"
	"time"

	"atrium/internal/sso/samlsp"
)

func (s *Service) samlConfig(c Connection) samlsp.Config {
	st := c.Settings
	return samlsp.Config{EntityID: st.EntityID, ACSURL: s.CallbackURL(c.ID),
		MetadataURL: s.MetadataURL(c.ID), IDPMetadataXML: st.IDPMetadata,
		RequireSignedResponse:  st.RequireSignedResponse,
		RequireSignedAssertion: st.RequireSignedAssertion, SignRequests: st.SignRequests,
		CertificatePEM: st.SPCertificate, PrivateKeyPEM: c.Secrets.SPPrivateKey,
		ClockSkew: time.Duration(st.ClockSkewSec) * time.Second}
}

// prepareSAML fetches the identity provider's metadata when only its URL is given, checks
// it, and generates a request-signing key pair when signing is on and none is given.
func (s *Service) prepareSAML(ctx context.Context, c *Connection) error {
	st := &c.Settings
	if err := s.checkURL("idp_metadata_url", st.IDPMetadataURL, false); err != nil {
		return err
	}
	if strings.TrimSpace(st.IDPMetadata) == "" && st.IDPMetadataURL != "" {
		doc, err := samlsp.FetchIDPMetadata(ctx, s.opts.Guard.Client(), st.IDPMetadataURL)
		if err != nil {
			return invalid("idp_metadata_url", "Fetching the metadata failed: %v", err)
		}
		st.IDPMetadata = string(doc)
	}
	if strings.TrimSpace(st.IDPMetadata) == "" {
		return invalid("idp_metadata", "Identity provider metadata is required: paste the "+
			"document or give its URL")
	}
	if _, err := samlsp.ParseIDPMetadata([]byte(st.IDPMetadata)); err != nil {
		return invalid("idp_metadata", "Identity provider metadata: %v", err)
	}
	if st.ClockSkewSec < 0 || st.ClockSkewSec > 600 {
		return invalid("clock_skew_sec", "Clock skew allowance must be 0 to 600 seconds")
	}
	if st.SignRequests && st.SPCertificate == "" && c.Secrets.SPPrivateKey == "" {
		cert, key, err := samlsp.GenerateKeyPair("Atrium "+c.DisplayName, s.now())
		if err != nil {
			return err
		}
		st.SPCertificate, c.Secrets.SPPrivateKey = cert, key
	}
	if err := s.samlConfig(*c).Validate(); err != nil {
		field := "idp_metadata"
		switch msg := err.Error(); {
		case strings.Contains(msg, "private"):
			field = "sp_private_key"
		case strings.Contains(msg, "certificate"):
			field = "sp_certificate"
		}
		return invalid(field, "%v", err)
	}
	return nil
}

// SPMetadata returns a SAML connection's service provider metadata. It is public: identity
// providers fetch it.
func (s *Service) SPMetadata(ctx context.Context, id string) ([]byte, error) {
	c, err := s.byID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Protocol != SAML {
		return nil, invalid("id", "%s is an %s connection; only SAML connections have "+
			"service provider metadata", c.DisplayName, strings.ToUpper(string(c.Protocol)))
	}
	return samlsp.SPMetadata(s.samlConfig(c))
}

// samlAttributes turns SAML attributes into claims.
func samlAttributes(r samlsp.Result) map[string]any {
	return attributeClaims(map[string]any{"name_id": r.NameID}, r.Attributes)
}

func describeSAML(err error) string {
	switch {
	case unreachable(err):
		return "the identity provider could not be reached"
	case errors.Is(err, samlsp.ErrRequest):
		return "the answer does not belong to a sign-in started from this browser"
	case errors.Is(err, samlsp.ErrUnsigned), errors.Is(err, samlsp.ErrSignature):
		return "the identity provider's answer is not signed as required"
	case errors.Is(err, samlsp.ErrExpired):
		return "the identity provider's answer has expired; check both clocks"
	case errors.Is(err, samlsp.ErrStatus):
		return "the identity provider refused the sign-in"
	case errors.Is(err, samlsp.ErrConfig):
		return "the connection is not completely configured"
	}
	return "the identity provider's answer could not be accepted"
}
