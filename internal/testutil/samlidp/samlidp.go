// Package samlidp runs a real SAML 2.0 identity provider (crewjam/saml's IdentityProvider)
// on 127.0.0.1 for tests. It signs in a chosen user without a login form and answers
// AuthnRequests from the service providers registered with it.
//
// Attributes of the assertion, all with the basic name format unless noted:
//
//	email        User.Email
//	displayName  User.Name
//	givenName    User.GivenName
//	surname      User.Surname
//	groups       User.Groups, one value each
//	urn:oid:0.9.2342.19200300.100.1.3 (FriendlyName "mail", URI name format)  User.Email
//
// Attributes whose value is empty are left out. The NameID is User.NameID with the
// unspecified format.
package samlidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/xml"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// User is the person the identity provider signs in.
type User struct {
	NameID    string
	Email     string
	Name      string
	GivenName string
	Surname   string
	Groups    []string
}

// Signing says which elements of the Response the identity provider signs.
type Signing int

// Signing modes. SignBoth is the default, as crewjam's identity provider does.
const (
	SignBoth Signing = iota
	SignAssertionOnly
	SignResponseOnly
)

// IdP is a running identity provider.
type IdP struct {
	srv  *httptest.Server
	idp  *saml.IdentityProvider
	key  *rsa.PrivateKey
	cert *x509.Certificate

	mu      sync.Mutex
	sps     map[string]*saml.EntityDescriptor
	user    User
	signing Signing
}

// Start runs an identity provider with a fresh RSA key and certificate, signed in as a
// default user until SetUser. t.Cleanup stops it.
func Start(t testing.TB) *IdP {
	t.Helper()
	key, cert := newKeyPair(t)
	i := &IdP{
		key:  key,
		cert: cert,
		sps:  map[string]*saml.EntityDescriptor{},
		user: User{NameID: "user-1", Email: "user@example.test", Name: "Test User"},
	}
	i.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + i.srv.Listener.Addr().String()
	i.idp = &saml.IdentityProvider{
		Key:                     key,
		Certificate:             cert,
		MetadataURL:             mustURL(t, base+"/metadata"),
		SSOURL:                  mustURL(t, base+"/sso"),
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		SessionProvider:         sessions{i},
		ServiceProviderProvider: serviceProviders{i},
		ResponseWriter:          responseWriter{i},
		NameIDFormats:           []saml.NameIDFormat{saml.UnspecifiedNameIDFormat},
		OnError:                 replyError,
	}
	i.srv.Config.Handler = i.idp.Handler()
	i.srv.Start()
	t.Cleanup(i.srv.Close)
	return i
}

// MetadataXML returns the identity provider's metadata document.
func (i *IdP) MetadataXML() []byte {
	out, err := xml.MarshalIndent(i.idp.Metadata(), "", "  ")
	if err != nil {
		panic("samlidp: marshal metadata: " + err.Error())
	}
	return append([]byte(xml.Header), out...)
}

// MetadataURL returns the URL the metadata is served at.
func (i *IdP) MetadataURL() string { return i.idp.MetadataURL.String() }

// EntityID returns the identity provider's entity id (its metadata URL).
func (i *IdP) EntityID() string { return i.idp.MetadataURL.String() }

// RegisterSP trusts a service provider, keyed by the entityID of its metadata, replacing
// any earlier registration with that entityID. It panics on unparseable metadata.
func (i *IdP) RegisterSP(spMetadataXML []byte) {
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(spMetadataXML, &ed); err != nil {
		panic("samlidp: parse sp metadata: " + err.Error())
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.sps[ed.EntityID] = &ed
}

// SetUser chooses the user signed in by the next logins.
func (i *IdP) SetUser(u User) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.user = u
}

// SetSigning chooses which elements later responses sign.
func (i *IdP) SetSigning(s Signing) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.signing = s
}

// Certificate returns the identity provider's signing certificate.
func (i *IdP) Certificate() *x509.Certificate { return i.cert }

func (i *IdP) state() (User, Signing) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.user, i.signing
}

func newKeyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate idp key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Atrium test IdP"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create idp certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse idp certificate: %v", err)
	}
	return key, cert
}

// replyError answers with the reason, so that a failing test shows why the identity
// provider refused a request.
func replyError(w http.ResponseWriter, _ *http.Request, status int, err error) {
	http.Error(w, err.Error(), status)
}

func mustURL(t testing.TB, s string) url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return *u
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "id-" + hex.EncodeToString(b)
}
