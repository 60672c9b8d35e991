package samlsp

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// newServiceProvider builds crewjam's ServiceProvider for c. A non-nil clock is used for
// every time check, so concurrent calls with different clocks do not touch crewjam's
// package-level TimeNow and Clock.
func newServiceProvider(c Config, clock *dsig.Clock) (*saml.ServiceProvider, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ed, err := parseIDPMetadata([]byte(c.IDPMetadataXML))
	if err != nil {
		return nil, fmt.Errorf("%w: idp_metadata: %w", ErrConfig, err)
	}
	acs, err := url.Parse(c.ACSURL)
	if err != nil {
		return nil, fmt.Errorf("%w: acs_url: %w", ErrConfig, err)
	}
	md, err := url.Parse(c.MetadataURL)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata_url: %w", ErrConfig, err)
	}

	sp := &saml.ServiceProvider{
		EntityID:                         c.entityID(),
		AcsURL:                           *acs,
		MetadataURL:                      *md,
		IDPMetadata:                      ed,
		AuthnNameIDFormat:                saml.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		AllowIDPInitiated:                false,
		RejectUnknownConditions:          true,
		RequireSignedResponseForCBC:      true,
		RejectSHA1Signatures:             true,
		Clock:                            clock,
	}
	if c.SignRequests {
		cert, key, err := c.keyPair()
		if err != nil {
			return nil, err
		}
		sp.Certificate, sp.Key = cert, key
		sp.SignatureMethod = dsig.RSASHA256SignatureMethod
	}
	return sp, nil
}

// fixedClock returns a dsig clock that always reads t.
func fixedClock(t time.Time) *dsig.Clock { return dsig.NewFakeClockAt(t) }

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
