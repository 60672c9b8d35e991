package oidcrp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// wellKnownPath is where OpenID Connect Discovery 1.0, section 4, puts the document.
const wellKnownPath = "/.well-known/openid-configuration"

// maxBody bounds every response body this package reads.
const maxBody = 1 << 20

// Discovery holds the parts of a provider's discovery document a relying party uses.
type Discovery struct {
	Issuer                string
	AuthorizationEndpoint string
	TokenEndpoint         string
	UserinfoEndpoint      string
	RevocationEndpoint    string
	EndSessionEndpoint    string
	JWKSURI               string
	// CodeChallengeMethods lists the PKCE methods the provider announces, if any.
	CodeChallengeMethods []string
}

// Apply copies d's issuer and endpoints into c, leaving client settings untouched.
func (d Discovery) Apply(c Config) Config {
	c.Issuer = d.Issuer
	c.AuthorizationEndpoint = d.AuthorizationEndpoint
	c.TokenEndpoint = d.TokenEndpoint
	c.UserinfoEndpoint = d.UserinfoEndpoint
	c.RevocationEndpoint = d.RevocationEndpoint
	c.EndSessionEndpoint = d.EndSessionEndpoint
	c.JWKSURI = d.JWKSURI
	return c
}

// Discover fetches and checks a provider's discovery document with hc (required; pass a
// netguard client). wellKnownURL may
// be the document's URL or the issuer URL, to which the well-known path is appended.
//
// As OpenID Connect Discovery 1.0, section 4.3, requires, the document's issuer must be
// the URL the document was found under (a trailing slash aside); otherwise one provider
// could claim another's identity. Errors wrap ErrDiscovery.
func Discover(ctx context.Context, hc *http.Client, wellKnownURL string) (Discovery, error) {
	if err := checkURL(wellKnownURL, true); err != nil {
		return Discovery{}, fmt.Errorf("%w: url %w", ErrDiscovery, err)
	}
	issuer, docURL := splitWellKnown(wellKnownURL)

	body, err := getJSON(ctx, hc, docURL)
	if err != nil {
		return Discovery{}, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	d, err := decodeDiscovery(body)
	if err != nil {
		return Discovery{}, fmt.Errorf("%w: %s: %w", ErrDiscovery, docURL, err)
	}
	if strings.TrimSuffix(d.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return Discovery{}, fmt.Errorf("%w: document issuer %q does not match %q",
			ErrDiscovery, d.Issuer, issuer)
	}
	return d, nil
}

// splitWellKnown returns the issuer URL and the discovery document URL for s.
func splitWellKnown(s string) (issuer, doc string) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, wellKnownPath) {
		return strings.TrimSuffix(s, wellKnownPath), s
	}
	return s, strings.TrimSuffix(s, "/") + wellKnownPath
}

// getJSON GETs u and returns its body, refusing non-200 answers and bodies over maxBody.
func getJSON(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")

	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()

	body, err := readBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: status %d: %s", u, resp.StatusCode, snippet(body))
	}
	return body, nil
}

func readBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("response larger than %d bytes", maxBody)
	}
	return body, nil
}

// snippet returns the start of a response body for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return strings.TrimSpace(s)
}

type discoveryJSON struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	EndSessionEndpoint    string   `json:"end_session_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
}

// decodeDiscovery parses a discovery document and checks that the fields a relying party
// needs are present and are absolute http(s) URLs.
func decodeDiscovery(body []byte) (Discovery, error) {
	var j discoveryJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return Discovery{}, fmt.Errorf("decode discovery document: %w", err)
	}
	d := Discovery(j)

	var errs []error
	if d.Issuer == "" {
		errs = append(errs, errors.New("issuer is missing"))
	}
	fields := []urlField{
		{"issuer", d.Issuer, false},
		{"authorization_endpoint", d.AuthorizationEndpoint, true},
		{"token_endpoint", d.TokenEndpoint, true},
		{"jwks_uri", d.JWKSURI, true},
		{"userinfo_endpoint", d.UserinfoEndpoint, false},
		{"revocation_endpoint", d.RevocationEndpoint, false},
		{"end_session_endpoint", d.EndSessionEndpoint, false},
	}
	for _, f := range fields {
		if err := checkURL(f.value, f.required); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", f.name, err))
		}
	}
	if len(errs) > 0 {
		return Discovery{}, errors.Join(errs...)
	}
	return d, nil
}
