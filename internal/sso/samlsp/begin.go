package samlsp

import (
	"fmt"
	"time"

	"github.com/crewjam/saml"
)

// Begin starts a sign-in: it returns the identity provider URL to redirect the browser to
// (HTTP-Redirect binding, with SigAlg and Signature query parameters when SignRequests is
// set) and the AuthnRequest ID, which the caller must keep and pass to Finish. relayState
// comes back unchanged with the response; it is not protected, so it should be an opaque
// handle, not a target URL. The request asks for the response with the HTTP-POST binding
// and is dated with the real clock.
func Begin(c Config, relayState string) (redirectURL string, requestID string, err error) {
	sp, err := newServiceProvider(c, fixedClock(time.Now()))
	if err != nil {
		return "", "", fmt.Errorf("begin saml sign-in: %w", err)
	}
	sso := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	req, err := sp.MakeAuthenticationRequest(sso, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", fmt.Errorf("begin saml sign-in: %w", err)
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return "", "", fmt.Errorf("begin saml sign-in: %w", err)
	}
	return u.String(), req.ID, nil
}
