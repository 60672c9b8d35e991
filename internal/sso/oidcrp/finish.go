package oidcrp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Result is a verified sign-in.
type Result struct {
	// Claims are the id token's claims, overlaid with userinfo's when that is used.
	Claims map[string]any
	// Subject is the id token's "sub": with the issuer, the user's stable identity.
	Subject string
	// IDToken is the raw id token, for EndSessionURL's id_token_hint.
	IDToken string
}

// Finish completes the sign-in from the query of the provider's redirect to redirectURI.
// st is the State Begin returned for this browser; now is the clock for token expiry
// (nil means time.Now). Every request uses hc (required; pass a netguard client) and
// honours ctx; the code exchange, which may take two attempts, is also bounded by
// hc.Timeout as a whole.
//
// The state is compared before anything else, so a forged or stale callback causes no
// request to the provider. The id token is required and verified: signature with the
// provider's published keys (asymmetric algorithms only, so neither "none" nor an HMAC
// keyed with the client secret is accepted), issuer, audience, expiry and nonce.
func Finish(ctx context.Context, hc *http.Client, c Config, redirectURI string, st State,
	query url.Values, now func() time.Time) (Result, error) {
	code, err := callbackCode(st.State, query)
	if err != nil {
		return Result{}, err
	}
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if now == nil {
		now = time.Now
	}

	tok, err := exchange(ctx, hc, c, redirectURI, code, st.Verifier)
	if err != nil {
		return Result{}, err
	}
	raw, idt, claims, err := verifyTokens(ctx, hc, c, tok, st.Nonce, now)
	if err != nil {
		return Result{}, err
	}

	if !c.InfoFromIDToken {
		info, err := userinfo(ctx, hc, c.UserinfoEndpoint, tok.AccessToken)
		if err != nil {
			return Result{}, err
		}
		if err := mergeUserinfo(claims, info, idt.Subject); err != nil {
			return Result{}, err
		}
	}
	if c.RequireVerifiedEmail && !EmailVerified(claims) {
		return Result{}, fmt.Errorf("%w: provider did not assert email_verified", ErrUnverifiedEmail)
	}
	return Result{Claims: claims, Subject: idt.Subject, IDToken: raw}, nil
}

// callbackCode checks the callback's state against want and returns its code, or the
// error the provider sent instead (RFC 6749, section 4.1.2).
func callbackCode(want string, query url.Values) (string, error) {
	if err := checkState(want, query.Get("state")); err != nil {
		return "", err
	}
	if e := query.Get("error"); e != "" {
		return "", providerError(e, query.Get("error_description"))
	}
	code := query.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: callback carries no code", ErrProvider)
	}
	return code, nil
}

// checkState compares in constant time so the expected value cannot be probed.
func checkState(want, got string) error {
	switch {
	case want == "":
		return fmt.Errorf("%w: no sign-in in progress for this browser", ErrState)
	case got == "":
		return fmt.Errorf("%w: callback carries no state", ErrState)
	case subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1:
		return fmt.Errorf("%w: callback state does not match this browser's sign-in", ErrState)
	}
	return nil
}

// providerError reports an error redirect (RFC 6749, section 4.1.2.1). The description
// is provider-controlled text; callers should escape it when rendering.
func providerError(code, desc string) error {
	if desc == "" {
		return fmt.Errorf("%w: %s", ErrProvider, clip(code))
	}
	return fmt.Errorf("%w: %s: %s", ErrProvider, clip(code), clip(desc))
}

func clip(s string) string { return snippet([]byte(s)) }

// exchange trades the code for tokens at the token endpoint (RFC 6749, section 4.1.3).
// The client authenticates with HTTP Basic, falling back to the request body if the
// provider refuses Basic (oauth2's auto-detection). Because that can mean two requests,
// both together are bounded by hc's timeout.
func exchange(ctx context.Context, hc *http.Client, c Config, redirectURI, code,
	verifier string) (*oauth2.Token, error) {
	oc := oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  redirectURI,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.AuthorizationEndpoint,
			TokenURL:  c.TokenEndpoint,
			AuthStyle: oauth2.AuthStyleAutoDetect,
		},
	}
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}

	if hc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hc.Timeout)
		defer cancel()
	}
	tok, err := oc.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, fmt.Errorf("%w: token endpoint: %w",
				ErrProvider, providerError(re.ErrorCode, re.ErrorDescription))
		}
		return nil, fmt.Errorf("%w: token endpoint: %w", ErrProvider, err)
	}
	return tok, nil
}

// EmailVerified reads the email_verified claim: a JSON true or the string "true" (some
// providers send strings); anything else is unverified.
func EmailVerified(claims map[string]any) bool {
	switch v := claims["email_verified"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
