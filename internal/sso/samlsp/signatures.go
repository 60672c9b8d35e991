package samlsp

import (
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

const (
	samlpNS = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlNS  = "urn:oasis:names:tc:SAML:2.0:assertion"
	dsigNS  = "http://www.w3.org/2000/09/xmldsig#"
)

// checkSignaturesPresent refuses, before any cryptography, a response that plainly lacks a
// signature the configuration requires, so that the caller gets ErrUnsigned rather than a
// generic rejection. It only looks for Signature elements; whether they are valid, and
// whether they cover what is read, is decided by crewjam and checkRequiredSignatures.
func checkSignaturesPresent(c Config, doc *etree.Document) error {
	root := doc.Root()
	responseSigned := hasSignature(root)
	assertionSigned, encrypted := false, false
	for _, el := range root.ChildElements() {
		switch {
		case el.Tag == "Assertion" && el.NamespaceURI() == samlNS:
			assertionSigned = assertionSigned || hasSignature(el)
		case el.Tag == "EncryptedAssertion" && el.NamespaceURI() == samlNS:
			encrypted = true // its signature, if any, is only visible after decryption
		}
	}

	switch {
	case c.RequireSignedResponse && !responseSigned:
		return fmt.Errorf("%w: the Response has no signature", ErrUnsigned)
	case c.RequireSignedAssertion && !assertionSigned && !encrypted:
		return fmt.Errorf("%w: the Assertion has no signature", ErrUnsigned)
	case !responseSigned && !assertionSigned && !encrypted:
		return fmt.Errorf("%w: neither the Response nor the Assertion is signed", ErrUnsigned)
	}
	return nil
}

// hasSignature reports whether el has an XML signature as a direct child.
func hasSignature(el *etree.Element) bool {
	for _, child := range el.ChildElements() {
		if child.Tag == "Signature" && child.NamespaceURI() == dsigNS {
			return true
		}
	}
	return false
}

// checkRequiredSignatures confirms, after crewjam accepted the response, that the
// signatures RequireSignedResponse and RequireSignedAssertion ask for were the ones
// verified. crewjam reads the assertion from what a valid signature covers and keeps the
// Signature only when the assertion's own signature was valid. For the Response, whose
// signature crewjam does not report, the enveloped signature on the root is verified
// here again against the metadata certificates.
func checkRequiredSignatures(c Config, raw []byte, a *saml.Assertion, t time.Time) error {
	if c.RequireSignedAssertion && a.Signature == nil {
		return fmt.Errorf("%w: the Assertion is not signed", ErrUnsigned)
	}
	if !c.RequireSignedResponse {
		return nil
	}
	ed, err := parseIDPMetadata([]byte(c.IDPMetadataXML))
	if err != nil {
		return fmt.Errorf("%w: idp_metadata: %w", ErrConfig, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return fmt.Errorf("%w: xml: %w", ErrMalformed, err)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: signingCerts(ed)})
	vc.IdAttribute = "ID"
	vc.Clock = fixedClock(t)
	if _, err := vc.Validate(doc.Root()); err != nil {
		return fmt.Errorf("%w: Response: %w", ErrSignature, err)
	}
	return nil
}
