package samlsp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/crewjam/saml"
	crewsp "github.com/crewjam/saml/samlsp"
)

// MaxMetadataSize bounds an identity provider metadata document.
const MaxMetadataSize = 1 << 20

// Summary is what an administrator needs to confirm about an identity provider's metadata.
type Summary struct {
	EntityID     string
	SSOURL       string // the single sign-on endpoint for the HTTP-Redirect binding
	SigningCerts int    // number of parseable signing certificates
}

// ParseIDPMetadata reads identity provider metadata (an EntityDescriptor, or an
// EntitiesDescriptor holding exactly one identity provider). It refuses documents over
// MaxMetadataSize, without an HTTP-Redirect single sign-on endpoint, or without a signing
// certificate, since every response must be signed by a key from this document.
func ParseIDPMetadata(doc []byte) (Summary, error) {
	ed, err := parseIDPMetadata(doc)
	if err != nil {
		return Summary{}, err
	}
	return Summary{
		EntityID:     ed.EntityID,
		SSOURL:       redirectSSOURL(ed),
		SigningCerts: countSigningCerts(ed),
	}, nil
}

func parseIDPMetadata(doc []byte) (*saml.EntityDescriptor, error) {
	if len(doc) == 0 {
		return nil, errors.New("metadata is empty")
	}
	if len(doc) > MaxMetadataSize {
		return nil, fmt.Errorf("metadata is larger than %d bytes", MaxMetadataSize)
	}
	ed, err := crewsp.ParseMetadata(doc)
	if err != nil {
		return nil, fmt.Errorf("parse metadata: %w", err)
	}
	switch {
	case ed.EntityID == "":
		return nil, errors.New("metadata has no entityID")
	case len(ed.IDPSSODescriptors) == 0:
		return nil, errors.New("metadata has no IDPSSODescriptor")
	case redirectSSOURL(ed) == "":
		return nil, errors.New("metadata has no SingleSignOnService for the HTTP-Redirect binding")
	case countSigningCerts(ed) == 0:
		return nil, errors.New("metadata has no signing certificate")
	}
	return ed, nil
}

func redirectSSOURL(ed *saml.EntityDescriptor) string {
	for _, d := range ed.IDPSSODescriptors {
		for _, s := range d.SingleSignOnServices {
			if s.Binding == saml.HTTPRedirectBinding && s.Location != "" {
				return s.Location
			}
		}
	}
	return ""
}

// countSigningCerts counts the certificates signingCerts finds.
func countSigningCerts(ed *saml.EntityDescriptor) int { return len(signingCerts(ed)) }

// signingCerts returns the certificates a signature may be checked with: those of key
// descriptors whose use is "signing" or unspecified (saml-metadata §2.4.1.1).
func signingCerts(ed *saml.EntityDescriptor) []*x509.Certificate {
	var certs []*x509.Certificate
	for _, d := range ed.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(stripSpace(c.Data))
				if err != nil {
					continue
				}
				if cert, err := x509.ParseCertificate(der); err == nil {
					certs = append(certs, cert)
				}
			}
		}
	}
	return certs
}

// FetchIDPMetadata downloads metadata from url with hc, which should come from
// netguard.Policy.Client so that the address is checked. It reads at most MaxMetadataSize
// bytes and returns the document only if ParseIDPMetadata accepts it.
func FetchIDPMetadata(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch idp metadata: HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	if _, err := ParseIDPMetadata(body); err != nil {
		return nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	return body, nil
}

// SPMetadata returns this service provider's metadata: an EntityDescriptor with one
// assertion consumer service (HTTP-POST binding) at ACSURL, AuthnRequestsSigned and
// WantAssertionsSigned as configured, and the certificate as a signing key when
// SignRequests is set. No encryption key is published: assertions are expected in the
// clear inside the TLS connection, so there is no decryption key to protect.
func SPMetadata(c Config) ([]byte, error) {
	sp, err := newServiceProvider(c, nil)
	if err != nil {
		return nil, fmt.Errorf("sp metadata: %w", err)
	}
	ed := sp.Metadata()
	d := &ed.SPSSODescriptors[0]
	var keys []saml.KeyDescriptor
	for _, kd := range d.KeyDescriptors {
		if kd.Use == "signing" {
			keys = append(keys, kd)
		}
	}
	d.KeyDescriptors = keys
	wantSigned := c.RequireSignedAssertion
	d.WantAssertionsSigned = &wantSigned

	out, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sp metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}
