package samlsp

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	crewsp "github.com/crewjam/saml/samlsp"

	"atrium/internal/netguard"
	"atrium/internal/testutil/samlidp"
)

func TestSPMetadata(t *testing.T) {
	certPEM, keyPEM, err := GenerateKeyPair("atrium test sp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	idp := samlidp.Start(t)
	c := Config{
		ACSURL: testACS, MetadataURL: testMetadata, IDPMetadataXML: string(idp.MetadataXML()),
		SignRequests: true, CertificatePEM: certPEM, PrivateKeyPEM: keyPEM,
		RequireSignedAssertion: true,
	}
	md, err := SPMetadata(c)
	if err != nil {
		t.Fatalf("SPMetadata: %v", err)
	}
	ed, err := crewsp.ParseMetadata(md)
	if err != nil {
		t.Fatalf("crewjam cannot parse the SP metadata: %v", err)
	}
	if ed.EntityID != testMetadata {
		t.Errorf("entityID = %q, want %q", ed.EntityID, testMetadata)
	}
	d := ed.SPSSODescriptors[0]
	if len(d.AssertionConsumerServices) != 1 || d.AssertionConsumerServices[0].Location != testACS ||
		d.AssertionConsumerServices[0].Binding != saml.HTTPPostBinding {
		t.Errorf("ACS = %+v, want one HTTP-POST at %s", d.AssertionConsumerServices, testACS)
	}
	if !*d.AuthnRequestsSigned || !*d.WantAssertionsSigned {
		t.Errorf("AuthnRequestsSigned %v, WantAssertionsSigned %v: want both true",
			*d.AuthnRequestsSigned, *d.WantAssertionsSigned)
	}
	cert, _ := parseCertificate(certPEM)
	if len(d.KeyDescriptors) != 1 || d.KeyDescriptors[0].Use != "signing" ||
		d.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data !=
			base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Errorf("KeyDescriptors = %+v, want only the signing certificate", d.KeyDescriptors)
	}

	c.SignRequests, c.CertificatePEM, c.PrivateKeyPEM = false, "", ""
	md, err = SPMetadata(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "KeyDescriptor") {
		t.Errorf("metadata without SignRequests publishes a key:\n%s", md)
	}
}

func TestParseIDPMetadata(t *testing.T) {
	idp := samlidp.Start(t)
	got, err := ParseIDPMetadata(idp.MetadataXML())
	if err != nil {
		t.Fatalf("ParseIDPMetadata: %v", err)
	}
	sso := strings.TrimSuffix(idp.MetadataURL(), "/metadata") + "/sso"
	want := Summary{EntityID: idp.EntityID(), SSOURL: sso, SigningCerts: 1}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}

	md := string(idp.MetadataXML())
	noCert := strings.ReplaceAll(md, `use="signing"`, `use="encryption"`)
	noSSO := strings.ReplaceAll(md, "SingleSignOnService", "ArtifactResolutionService")
	for name, doc := range map[string]string{
		"empty":             "",
		"not xml":           "metadata",
		"no signing cert":   noCert,
		"no sso endpoint":   noSSO,
		"larger than 1 MiB": strings.Repeat(" ", MaxMetadataSize+1),
		"not an idp": `<EntityDescriptor entityID="x"
			xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`,
	} {
		if _, err := ParseIDPMetadata([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFetchIDPMetadata(t *testing.T) {
	idp := samlidp.Start(t)
	hc := netguard.Policy{AllowPrivate: true}.Client()
	got, err := FetchIDPMetadata(context.Background(), hc, idp.MetadataURL())
	if err != nil {
		t.Fatalf("FetchIDPMetadata: %v", err)
	}
	if _, err := ParseIDPMetadata(got); err != nil {
		t.Fatalf("fetched metadata does not parse: %v", err)
	}

	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(strings.Repeat(" ", MaxMetadataSize+10)))
	}))
	defer big.Close()
	if _, err := FetchIDPMetadata(context.Background(), hc, big.URL); err == nil {
		t.Error("oversized metadata accepted")
	}

	// Refused by netguard at dial time; nothing is sent to the address.
	_, err = FetchIDPMetadata(context.Background(), hc, "http://169.254.169.254/latest/meta-data/")
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Errorf("metadata address: got %v, want netguard.ErrForbidden", err)
	}
	strict := netguard.Policy{}.Client()
	_, err = FetchIDPMetadata(context.Background(), strict, idp.MetadataURL())
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Errorf("loopback without AllowPrivate: got %v, want netguard.ErrForbidden", err)
	}
}

func TestValidate(t *testing.T) {
	idp := samlidp.Start(t)
	good := Config{ACSURL: testACS, MetadataURL: testMetadata, IDPMetadataXML: string(idp.MetadataXML())}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	certPEM, _, err := GenerateKeyPair("one", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := GenerateKeyPair("two", time.Now())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		edit   func(*Config)
		fields []string
	}{
		{"everything missing", func(c *Config) { *c = Config{} },
			[]string{"acs_url", "metadata_url", "entity_id", "idp_metadata"}},
		{"relative acs", func(c *Config) { c.ACSURL = "/saml/acs" }, []string{"acs_url"}},
		{"bad metadata", func(c *Config) { c.IDPMetadataXML = "<x/>" }, []string{"idp_metadata"}},
		{"skew too large", func(c *Config) { c.ClockSkew = time.Hour }, []string{"clock_skew"}},
		{"signing without keys", func(c *Config) { c.SignRequests = true },
			[]string{"certificate", "private_key"}},
		{"key does not match", func(c *Config) {
			c.SignRequests, c.CertificatePEM, c.PrivateKeyPEM = true, certPEM, otherKey
		}, []string{"private_key: does not match"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			err := c.Validate()
			wantErr(t, err, ErrConfig)
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not mention %s", err, f)
				}
			}
		})
	}
}
