package sso

import (
	"context"
	"errors"
	"net"
	"strings"

	"atrium/internal/netguard"
	"atrium/internal/sso/oidcrp"
)

func (s *Service) oidcConfig(c Connection) oidcrp.Config {
	st := c.Settings
	method := st.CodeChallengeMethod
	if method == "" {
		method = oidcrp.PKCENone
	}
	return oidcrp.Config{Issuer: st.Issuer, ClientID: st.ClientID,
		ClientSecret: c.Secrets.ClientSecret, AuthorizationEndpoint: st.AuthorizationEndpoint,
		TokenEndpoint: st.TokenEndpoint, UserinfoEndpoint: st.UserinfoEndpoint,
		RevocationEndpoint: st.RevocationEndpoint, EndSessionEndpoint: st.EndSessionEndpoint,
		JWKSURI: st.JWKSURI, InfoFromIDToken: st.InfoFromIDToken,
		RequireVerifiedEmail: st.RequireVerifiedEmail, CodeChallengeMethod: method,
		Scopes: st.Scopes, ExtraScopes: st.AdditionalScopes, ExtraAuthParams: st.AuthParams}
}

// prepareOIDC checks an OIDC connection and fills blank endpoints from its discovery URL.
// Issuer and JWKS URI may stay blank while the connection is being set up; sign-in then
// says what is missing.
func (s *Service) prepareOIDC(ctx context.Context, c *Connection) error {
	st := &c.Settings
	if err := s.checkURL("well_known_url", st.WellKnownURL, false); err != nil {
		return err
	}
	if st.WellKnownURL != "" && (st.Issuer == "" || st.JWKSURI == "" ||
		st.AuthorizationEndpoint == "" || st.TokenEndpoint == "") {
		d, err := s.discover(ctx, st.WellKnownURL)
		if err != nil {
			return err
		}
		fill(&st.Issuer, d.Issuer)
		fill(&st.AuthorizationEndpoint, d.AuthorizationEndpoint)
		fill(&st.TokenEndpoint, d.TokenEndpoint)
		fill(&st.UserinfoEndpoint, d.UserinfoEndpoint)
		fill(&st.RevocationEndpoint, d.RevocationEndpoint)
		fill(&st.EndSessionEndpoint, d.EndSessionEndpoint)
		fill(&st.JWKSURI, d.JWKSURI)
	}
	if strings.TrimSpace(st.ClientID) == "" {
		return invalid("client_id", "Client ID is required")
	}
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"issuer", st.Issuer, false},
		{"authorization_endpoint", st.AuthorizationEndpoint, true},
		{"token_endpoint", st.TokenEndpoint, true},
		{"userinfo_endpoint", st.UserinfoEndpoint, !st.InfoFromIDToken},
		{"jwks_uri", st.JWKSURI, false},
		{"revocation_endpoint", st.RevocationEndpoint, false},
		{"end_session_endpoint", st.EndSessionEndpoint, false},
	} {
		if err := s.checkURL(f.name, f.value, f.required); err != nil {
			return err
		}
	}
	switch st.CodeChallengeMethod {
	case "", oidcrp.PKCENone, oidcrp.PKCEPlain, oidcrp.PKCES256:
	default:
		return invalid("code_challenge_method", "Code challenge method must be none, plain "+
			"or S256")
	}
	for k := range st.AuthParams {
		for _, r := range reservedParams {
			if strings.EqualFold(k, r) {
				return invalid("auth_params", "Additional parameter %q would override the "+
					"sign-in protocol", k)
			}
		}
	}
	return nil
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// discover reads an OIDC discovery document through the guard.
func (s *Service) discover(ctx context.Context, wellKnown string) (oidcrp.Discovery, error) {
	d, err := oidcrp.Discover(ctx, s.opts.Guard.Client(), wellKnown)
	if err != nil {
		return d, invalid("well_known_url", "Discovery failed: %v", err)
	}
	return d, nil
}

// Discover reads a provider's discovery document for the connection form.
func (s *Service) Discover(ctx context.Context, wellKnown string) (oidcrp.Discovery, error) {
	if _, err := admin(ctx); err != nil {
		return oidcrp.Discovery{}, err
	}
	if err := s.checkURL("well_known_url", wellKnown, true); err != nil {
		return oidcrp.Discovery{}, err
	}
	return s.discover(ctx, wellKnown)
}

// describeOIDC turns a protocol error into what the person is told.
func describeOIDC(err error) string {
	switch {
	case unreachable(err):
		return "the identity provider could not be reached"
	case errors.Is(err, oidcrp.ErrState):
		return "the sign-in was not started from this browser, or it took too long"
	case errors.Is(err, oidcrp.ErrProvider):
		return "the identity provider refused the sign-in"
	case errors.Is(err, oidcrp.ErrToken):
		return "the identity provider's answer could not be verified"
	case errors.Is(err, oidcrp.ErrConfig):
		return "the connection is not completely configured"
	case errors.Is(err, oidcrp.ErrUnverifiedEmail):
		return "the identity provider has not verified the e-mail address"
	}
	return "the identity provider could not be reached or answered unexpectedly"
}

// unreachable reports a network failure: refused, timed out, or stopped by the guard.
func unreachable(err error) bool {
	var op *net.OpError
	var t interface{ Timeout() bool }
	return errors.As(err, &op) || errors.As(err, &t) && t.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, netguard.ErrForbidden)
}

// endSession is where the browser goes to sign out at the provider, or "".
func (s *Service) endSession(c Connection) string {
	if c.Protocol != OIDC || !c.Settings.LogoutFromProvider {
		return ""
	}
	return oidcrp.EndSessionURL(s.oidcConfig(c), "", s.opts.PublicURL+"/login")
}
