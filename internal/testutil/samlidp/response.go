package samlidp

import (
	"fmt"
	"net/http"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// responseWriter posts the Response with crewjam's form, signed as SetSigning asks.
type responseWriter struct{ i *IdP }

func (rw responseWriter) WriteResponse(w http.ResponseWriter, req *saml.IdpAuthnRequest) error {
	_, signing := rw.i.state()
	switch signing {
	case SignAssertionOnly:
		if err := req.MakeAssertionEl(); err != nil {
			return err
		}
		req.ResponseEl = rw.i.response(req).Element()
		req.ResponseEl.AddChild(req.AssertionEl)
	case SignResponseOnly:
		req.AssertionEl = req.Assertion.Element()
		el, err := rw.i.signedResponse(req)
		if err != nil {
			return err
		}
		req.ResponseEl = el
	}
	return req.WriteResponse(w)
}

// response is the Response crewjam's IdpAuthnRequest.MakeResponse builds, unsigned.
func (i *IdP) response(req *saml.IdpAuthnRequest) *saml.Response {
	return &saml.Response{
		Destination:  req.ACSEndpoint.Location,
		ID:           randomID(),
		InResponseTo: req.Request.ID,
		IssueInstant: req.Now,
		Version:      "2.0",
		Issuer: &saml.Issuer{
			Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
			Value:  i.idp.MetadataURL.String(),
		},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
}

// signedResponse signs the Response (enveloped, RSA-SHA256, exclusive C14N) around
// req.AssertionEl.
func (i *IdP) signedResponse(req *saml.IdpAuthnRequest) (*etree.Element, error) {
	ctx, err := dsig.NewSigningContext(i.key, [][]byte{i.cert.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}

	resp := i.response(req)
	el := resp.Element()
	el.AddChild(req.AssertionEl)
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		return nil, fmt.Errorf("sign response: %w", err)
	}
	children := signed.ChildElements()
	resp.Signature = children[len(children)-1]
	el = resp.Element()
	el.AddChild(req.AssertionEl)
	return el, nil
}
