// Package mail sends Atrium's e-mail (invitations) over SMTP, with STARTTLS, implicit TLS
// or plain connections, and a multipart/alternative body carrying text and HTML.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"atrium/internal/config"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Sender delivers messages through one SMTP server.
type Sender struct {
	cfg config.SMTP
}

// New returns a Sender for cfg.
func New(cfg config.SMTP) *Sender { return &Sender{cfg: cfg} }

// Send delivers m, failing within the context's deadline (30 s when it has none).
func (s *Sender) Send(ctx context.Context, m identity.Message) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	body, err := compose(s.cfg.From, m)
	if err != nil {
		return err
	}
	c, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("smtp connect: %w", err)
	}
	defer c.Close()
	if err := s.deliver(c, m.To, body); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return c.Quit()
}

func (s *Sender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: s.cfg.InsecureSkipVerify}
}

func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if s.cfg.Security == "tls" {
		conn = tls.Client(conn, s.tlsConfig())
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if s.cfg.Security == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("server %s does not offer STARTTLS", addr)
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (s *Sender) deliver(c *smtp.Client, to string, body []byte) error {
	if s.cfg.Username != "" {
		// net/smtp's PLAIN auth refuses to send the password over an unencrypted
		// connection to anything but localhost.
		auth := smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
}

// compose builds an RFC 5322 message with text and HTML alternatives.
func compose(from string, m identity.Message) ([]byte, error) {
	for _, v := range []string{from, m.To, m.Subject} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("header value contains a line break")
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	header := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	header("From", from)
	header("To", m.To)
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", time.Now().UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+secret.ID()+"@atrium>")
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	buf.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{
		{"text/plain; charset=utf-8", m.Text}, {"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.typ},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		qp.Write([]byte(part.body))
		qp.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
