package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"atrium/internal/audit"
	"atrium/internal/config"
	"atrium/internal/identity"
	"atrium/internal/mail"
	"atrium/internal/secret"
	"atrium/internal/store/storetest"
)

// received is what the test SMTP server got.
type received struct {
	mu       sync.Mutex
	from, to string
	data     []byte
	authUser string
	tls      bool
}

type backend struct{ got *received }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	b.got.mu.Lock()
	b.got.tls = isTLS
	b.got.mu.Unlock()
	return &session{got: b.got}, nil
}

type session struct{ got *received }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret-pass" {
			return errors.New("bad credentials")
		}
		s.got.mu.Lock()
		s.got.authUser = user
		s.got.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.got.mu.Lock()
	defer s.got.mu.Unlock()
	s.got.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.got.mu.Lock()
	defer s.got.mu.Unlock()
	s.got.to = to
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.got.mu.Lock()
	defer s.got.mu.Unlock()
	s.got.data = b
	return err
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startServer runs a real SMTP server on loopback in the given security mode.
func startServer(t *testing.T, security string) (*received, int) {
	t.Helper()
	got := &received{}
	srv := smtp.NewServer(backend{got: got})
	srv.Domain = "127.0.0.1"
	srv.AllowInsecureAuth = security == "none"
	cert := selfSigned(t)
	if security != "none" {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	var ln net.Listener
	var err error
	if security == "tls" {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return got, ln.Addr().(*net.TCPAddr).Port
}

func TestSendOverEachSecurityMode(t *testing.T) {
	for _, security := range []string{"starttls", "tls", "none"} {
		t.Run(security, func(t *testing.T) {
			got, port := startServer(t, security)
			cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: security,
				Username: "mailer", Password: "s3cret-pass", From: "atrium@example.com",
				InsecureSkipVerify: true}
			if security == "none" {
				cfg.Username = "" // PLAIN over a clear connection is refused by design
			}
			msg := identity.Message{To: "dana@example.com", Subject: "You are invited to Acme",
				Text: "Open https://atrium.test/invite/abc", HTML: "<p><a href=\"x\">Accept</a></p>"}
			if err := mail.New(cfg).Send(context.Background(), msg); err != nil {
				t.Fatalf("send: %v", err)
			}
			got.mu.Lock()
			defer got.mu.Unlock()
			if got.from != "atrium@example.com" || got.to != "dana@example.com" {
				t.Fatalf("envelope from %q to %q", got.from, got.to)
			}
			if security != "none" && got.authUser != "mailer" {
				t.Fatalf("not authenticated (user %q)", got.authUser)
			}
			checkMessage(t, got.data)
		})
	}
}

// checkMessage parses the delivered message and checks both alternatives.
func checkMessage(t *testing.T, data []byte) {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	if m.Header.Get("Subject") != "You are invited to Acme" {
		t.Fatalf("subject = %q", m.Header.Get("Subject"))
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", mt, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // quoted-printable is decoded by NextPart
		types = append(types, p.Header.Get("Content-Type"))
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") &&
			!strings.Contains(string(body), "https://atrium.test/invite/abc") {
			t.Fatalf("text part lacks the link: %q", body)
		}
	}
	if len(types) != 2 {
		t.Fatalf("parts = %v, want text and HTML", types)
	}
}

func TestStartTLSRequired(t *testing.T) {
	_, port := startServer(t, "none") // offers no STARTTLS
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: "starttls",
		From: "atrium@example.com"}
	err := mail.New(cfg).Send(context.Background(), identity.Message{To: "a@example.com",
		Subject: "s", Text: "t", HTML: "h"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("send without STARTTLS = %v; want a refusal", err)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	_, port := startServer(t, "none")
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: "none", From: "a@example.com"}
	err := mail.New(cfg).Send(context.Background(), identity.Message{
		To: "a@example.com", Subject: "hi\r\nBcc: victim@example.com", Text: "t", HTML: "h"})
	if err == nil {
		t.Fatal("a subject with a line break was sent")
	}
}

func TestUnreachableServerFailsFast(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: "none", From: "a@example.com"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := mail.New(cfg).Send(ctx, identity.Message{To: "a@example.com", Subject: "s"})
	if err == nil {
		t.Fatal("send to a closed port succeeded")
	}
}

// TestInvitationByMail sends a real invitation through the identity service and checks
// that the delivered message carries a link that accepts the invitation.
func TestInvitationByMail(t *testing.T) {
	got, port := startServer(t, "starttls")
	st, _ := storetest.OpenSQLite(t)
	keys, _ := secret.New(secret.Random(32))
	now := func() time.Time { return time.Now().UTC() }
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, Security: "starttls", Username: "mailer",
		Password: "s3cret-pass", From: "atrium@example.com", InsecureSkipVerify: true}
	svc := identity.New(st, audit.New(st, now), keys, now, storetest.Discard,
		identity.Options{PublicURL: "http://atrium.test", Mailer: mail.New(cfg)})
	ctx := context.Background()
	ws, _, err := svc.Bootstrap(ctx, "admin@example.com", "Correct-Horse-Battery-9")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := svc.UserByEmail(ctx, "admin@example.com")
	p, _ := svc.Principal(ctx, ws.ID, admin.ID)
	res, err := svc.Invite(identity.WithPrincipal(ctx, p), []string{"dana@example.com"},
		identity.RoleUser)
	if err != nil || len(res) != 1 || !res[0].Sent {
		t.Fatalf("invite = %+v, %v", res, err)
	}
	got.mu.Lock()
	data := string(got.data)
	got.mu.Unlock()
	m, _ := netmail.ReadMessage(strings.NewReader(data))
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	part, err := multipart.NewReader(m.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(part)
	i := strings.Index(string(text), "http://atrium.test/invite/")
	if i < 0 {
		t.Fatalf("no link in %q", text)
	}
	token := strings.Fields(string(text)[i+len("http://atrium.test/invite/"):])[0]
	if _, err := svc.AcceptInvitation(ctx, token, "Dana D", "a-Fine-passphrase-42"); err != nil {
		t.Fatalf("accept with the mailed link: %v", err)
	}
}
