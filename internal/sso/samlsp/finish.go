package samlsp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// MaxResponseSize bounds a decoded SAML response.
const MaxResponseSize = 1 << 20

// Result is what a verified assertion says about the user.
type Result struct {
	NameID       string
	SessionIndex string // from the first AuthnStatement; empty if the IdP sent none
	// AssertionID identifies the assertion. Finish does not detect replay: the caller must
	// record the ID when it accepts a sign-in and refuse an ID it has recorded before.
	AssertionID string
	// NotOnOrAfter is the moment from which Finish refuses this assertion, clock skew
	// included: the caller must keep the recorded AssertionID at least until then.
	NotOnOrAfter time.Time
	// Attributes maps each attribute's Name, and also its FriendlyName when present, to
	// its values.
	Attributes map[string][]string
}

// Finish verifies a Response posted to the assertion consumer service (the SAMLResponse
// form value, base64) as the answer to the AuthnRequest requestID, at the time now returns.
//
// It refuses, wrapping one of the Err values of this package: a response that does not
// answer requestID (unsolicited sign-in is not supported, since nothing would tie it to
// the browser that started it); a response in which neither the Response nor the Assertion
// is signed by a certificate from the identity provider metadata, or in which a signature
// RequireSignedResponse or RequireSignedAssertion asks for is missing; an issuer, audience,
// destination or recipient that is not the configured one; and an assertion outside its
// validity period, allowing ClockSkew.
//
// The identity provider's response is read only from what its signatures cover, so
// content moved or added around a signed element (signature wrapping) is never returned.
//
// now is read once, and every time check uses that instant; nil means time.Now.
func Finish(
	c Config, samlResponseB64 string, requestID string, now func() time.Time,
) (Result, error) {
	if now == nil {
		now = time.Now
	}
	if requestID == "" {
		return Result{}, fmt.Errorf("finish saml sign-in: %w: no request ID", ErrRequest)
	}
	msg, err := decodeResponse(samlResponseB64)
	if err != nil {
		return Result{}, fmt.Errorf("finish saml sign-in: %w", err)
	}
	if err := checkSignaturesPresent(c, msg.doc); err != nil {
		return Result{}, fmt.Errorf("finish saml sign-in: %w", err)
	}

	t := now()
	a, err := verify(c, msg.raw, requestID, t)
	if err != nil {
		return Result{}, fmt.Errorf("finish saml sign-in: %w", err)
	}
	if err := checkRequiredSignatures(c, msg.raw, a, t); err != nil {
		return Result{}, fmt.Errorf("finish saml sign-in: %w", err)
	}
	deadline, err := checkTimes(a, t, c.clockSkew())
	if err != nil {
		return Result{}, fmt.Errorf("finish saml sign-in: %w", err)
	}
	return result(a, deadline), nil
}

// message is a decoded response: the bytes crewjam verifies, and a parse of them used
// only to see which signatures are present.
type message struct {
	raw []byte
	doc *etree.Document
}

// decodeResponse base64-decodes and parses the response, bounding its size.
func decodeResponse(b64 string) (message, error) {
	if len(b64) > base64.StdEncoding.EncodedLen(MaxResponseSize)*2 {
		return message{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxResponseSize)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return message{}, fmt.Errorf("%w: base64: %w", ErrMalformed, err)
	}
	if len(raw) > MaxResponseSize {
		return message{}, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxResponseSize)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return message{}, fmt.Errorf("%w: xml: %w", ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != samlpNS {
		return message{}, fmt.Errorf("%w: root element is not a samlp:Response", ErrMalformed)
	}
	return message{raw: raw, doc: doc}, nil
}

// verify runs crewjam's checks at t. crewjam allows its fixed saml.MaxClockSkew for
// validity periods; when ClockSkew is larger and the first check fails only on time, it
// checks again at a time moved by the difference, and checkTimes then applies ClockSkew
// exactly.
func verify(c Config, raw []byte, requestID string, t time.Time) (*saml.Assertion, error) {
	a, err := verifyAt(c, raw, requestID, t)
	extra := c.clockSkew() - saml.MaxClockSkew
	if err == nil || extra <= 0 {
		return a, err
	}
	switch {
	case errors.Is(err, ErrExpired):
		return verifyAt(c, raw, requestID, t.Add(-extra))
	case errors.Is(err, ErrNotYetValid):
		return verifyAt(c, raw, requestID, t.Add(extra))
	}
	return nil, err
}

func verifyAt(c Config, raw []byte, requestID string, t time.Time) (*saml.Assertion, error) {
	sp, err := newServiceProvider(c, fixedClock(t))
	if err != nil {
		return nil, err
	}
	a, err := sp.ParseXMLResponse(raw, []string{requestID}, sp.AcsURL)
	if err != nil {
		return nil, classify(err)
	}
	return a, nil
}

func result(a *saml.Assertion, deadline time.Time) Result {
	r := Result{
		AssertionID:  a.ID,
		NotOnOrAfter: deadline,
		Attributes:   map[string][]string{},
	}
	if a.Subject != nil && a.Subject.NameID != nil {
		r.NameID = a.Subject.NameID.Value
	}
	if len(a.AuthnStatements) > 0 {
		r.SessionIndex = a.AuthnStatements[0].SessionIndex
	}
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			var values []string
			for _, v := range attr.Values {
				values = append(values, v.Value)
			}
			r.Attributes[attr.Name] = append(r.Attributes[attr.Name], values...)
			if attr.FriendlyName != "" && attr.FriendlyName != attr.Name {
				r.Attributes[attr.FriendlyName] = append(r.Attributes[attr.FriendlyName], values...)
			}
		}
	}
	return r
}
