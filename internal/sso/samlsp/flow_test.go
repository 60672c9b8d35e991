package samlsp

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"atrium/internal/testutil/samlidp"
)

func TestFlow(t *testing.T) {
	idp, c := setup(t, nil)
	resp, reqID := login(t, idp, c)

	got, err := Finish(c, resp, reqID, realNow)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if got.NameID != alice.NameID {
		t.Errorf("NameID = %q, want %q", got.NameID, alice.NameID)
	}
	if got.AssertionID == "" || got.SessionIndex == "" {
		t.Errorf("AssertionID %q, SessionIndex %q: want both set", got.AssertionID, got.SessionIndex)
	}
	if !got.NotOnOrAfter.After(time.Now()) {
		t.Errorf("NotOnOrAfter = %s, want in the future", got.NotOnOrAfter)
	}
	want := map[string][]string{
		"email":                             {alice.Email},
		"displayName":                       {alice.Name},
		"givenName":                         {alice.GivenName},
		"surname":                           {alice.Surname},
		"groups":                            alice.Groups,
		"urn:oid:0.9.2342.19200300.100.1.3": {alice.Email},
		"mail":                              {alice.Email},
	}
	if !reflect.DeepEqual(got.Attributes, want) {
		t.Errorf("Attributes = %v, want %v", got.Attributes, want)
	}
}

func TestFlowSignedRequests(t *testing.T) {
	certPEM, keyPEM, err := GenerateKeyPair("atrium test sp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	idp, c := setup(t, func(c *Config) {
		c.SignRequests, c.CertificatePEM, c.PrivateKeyPEM = true, certPEM, keyPEM
	})
	redirect, reqID, err := Begin(c, "state-1")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	verifyRedirectSignature(t, redirect, certPEM)

	// The IdP checks the signature too (the SP metadata says AuthnRequestsSigned), so the
	// same request without it is refused.
	unsigned := strings.Split(redirect, "&SigAlg=")[0]
	r, err := http.Get(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsigned request: got %s, want HTTP 400", r.Status)
	}

	_, resp, _ := idp.Login(t, redirect)
	if _, err := Finish(c, resp, reqID, realNow); err != nil {
		t.Fatalf("Finish: %v", err)
	}
}

// verifyRedirectSignature checks the HTTP-Redirect binding signature
// (saml-bindings §3.4.4.1) with the SP certificate.
func verifyRedirectSignature(t *testing.T, redirect, certPEM string) {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]string{}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	sigAlg, _ := url.QueryUnescape(raw["SigAlg"])
	if sigAlg != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Fatalf("SigAlg = %q, want rsa-sha256", sigAlg)
	}
	sigB64, _ := url.QueryUnescape(raw["Signature"])
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		t.Fatalf("Signature %q: %v", raw["Signature"], err)
	}
	signed := "SAMLRequest=" + raw["SAMLRequest"] + "&RelayState=" + raw["RelayState"] +
		"&SigAlg=" + raw["SigAlg"]
	cert, err := parseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(signed))
	pub := cert.PublicKey.(*rsa.PublicKey)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("redirect signature does not verify with the SP certificate: %v", err)
	}
}

func TestSigningRequirements(t *testing.T) {
	tests := []struct {
		name                string
		signing             samlidp.Signing
		requireResponse     bool
		requireAssertion    bool
		wantUnsignedRefusal bool
	}{
		{"both signed, both required", samlidp.SignBoth, true, true, false},
		{"assertion only, nothing required", samlidp.SignAssertionOnly, false, false, false},
		{"response only, nothing required", samlidp.SignResponseOnly, false, false, false},
		{"assertion only, assertion required", samlidp.SignAssertionOnly, false, true, false},
		{"response only, response required", samlidp.SignResponseOnly, true, false, false},
		{"assertion only, response required", samlidp.SignAssertionOnly, true, false, true},
		{"response only, assertion required", samlidp.SignResponseOnly, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, c := setup(t, func(c *Config) {
				c.RequireSignedResponse, c.RequireSignedAssertion = tt.requireResponse, tt.requireAssertion
			})
			idp.SetSigning(tt.signing)
			resp, reqID := login(t, idp, c)

			got, err := Finish(c, resp, reqID, realNow)
			if tt.wantUnsignedRefusal {
				wantErr(t, err, ErrUnsigned)
				return
			}
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if got.NameID != alice.NameID {
				t.Errorf("NameID = %q, want %q", got.NameID, alice.NameID)
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	idp, c := setup(t, nil)
	resp, reqID := login(t, idp, c)
	later := func() time.Time { return time.Now().Add(5 * time.Minute) }

	_, err := Finish(c, resp, reqID, later)
	wantErr(t, err, ErrExpired)

	c.ClockSkew = 10 * time.Minute
	if _, err := Finish(c, resp, reqID, later); err != nil {
		t.Fatalf("Finish with a 10 minute skew, 5 minutes later: %v", err)
	}
}
