package samlsp

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/beevik/etree"

	"atrium/internal/testutil/samlidp"
)

const (
	testACS      = "https://atrium.example.test/saml/acs"
	testMetadata = "https://atrium.example.test/saml/metadata"
)

var alice = samlidp.User{
	NameID:    "alice-42",
	Email:     "alice@example.test",
	Name:      "Alice Example",
	GivenName: "Alice",
	Surname:   "Example",
	Groups:    []string{"admins", "staff"},
}

// setup starts an identity provider that knows the service provider configured by the
// returned Config (after edit, if given) and signs alice in.
func setup(t testing.TB, edit func(*Config)) (*samlidp.IdP, Config) {
	t.Helper()
	idp := samlidp.Start(t)
	c := Config{ACSURL: testACS, MetadataURL: testMetadata, IDPMetadataXML: string(idp.MetadataXML())}
	if edit != nil {
		edit(&c)
	}
	md, err := SPMetadata(c)
	if err != nil {
		t.Fatalf("SPMetadata: %v", err)
	}
	idp.RegisterSP(md)
	idp.SetUser(alice)
	return idp, c
}

// login runs Begin and the identity provider's side, returning the posted response and
// the request ID.
func login(t testing.TB, idp *samlidp.IdP, c Config) (samlResponse, requestID string) {
	t.Helper()
	redirect, requestID, err := Begin(c, "state-1")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	acs, resp, relay := idp.Login(t, redirect)
	if acs != c.ACSURL || relay != "state-1" {
		t.Fatalf("form posts to %q with RelayState %q, want %q and %q", acs, relay, c.ACSURL, "state-1")
	}
	return resp, requestID
}

// editXML decodes a base64 response, lets edit change it and encodes it again.
func editXML(t testing.TB, b64 string, edit func(root *etree.Element)) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	edit(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func child(t testing.TB, el *etree.Element, tag string) *etree.Element {
	t.Helper()
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	t.Fatalf("<%s> has no <%s>", el.Tag, tag)
	return nil
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func realNow() time.Time { return time.Now() }
