package ldapauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// session is a connection bound as the service account.
type session struct {
	conn *ldap.Conn
	cfg  Config
	stop func() bool // detaches the context watch
}

// open connects, secures the connection as configured and binds as the service account.
// The connection is torn down when ctx ends, which bounds every later operation by ctx
// as well as by Config.Timeout.
func open(ctx context.Context, dial Dialer, c Config) (*session, error) {
	if dial == nil {
		return nil, errors.New("ldapauth: nil Dialer")
	}
	ep, err := parseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %w", ErrInvalidConfig, err)
	}
	tlsConfig := c.tlsConfig(ep.host)

	raw, err := connect(ctx, dial, c.timeout(), ep, tlsConfig)
	if err != nil {
		return nil, err
	}
	conn := ldap.NewConn(raw.conn, ep.tls)
	conn.Start()
	conn.SetTimeout(c.timeout())
	s := &session{conn: conn, cfg: c, stop: context.AfterFunc(ctx, func() { raw.tcp.Close() })}

	if c.StartTLS {
		if err := s.startTLS(raw.tcp, tlsConfig); err != nil {
			s.close()
			return nil, fmt.Errorf("%w: StartTLS with %s: %w", ErrTLS, ep.addr, ctxErr(ctx, err))
		}
	}
	if err := conn.Bind(c.BindDN, c.BindPassword); err != nil {
		s.close()
		return nil, fmt.Errorf("%w: bind as %s: %w", ErrServiceBind, c.BindDN, ctxErr(ctx, err))
	}
	return s, nil
}

// rawConn is a dialled connection: tcp as dialled, conn with TLS on top for ldaps://.
type rawConn struct {
	tcp, conn net.Conn
}

// connect dials ep and, for ldaps://, completes the TLS handshake, within timeout.
func connect(ctx context.Context, dial Dialer, timeout time.Duration, ep endpoint,
	tlsConfig *tls.Config) (rawConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tcp, err := dial(ctx, "tcp", ep.addr)
	if err != nil {
		return rawConn{}, fmt.Errorf("%w: dial %s: %w", ErrUnreachable, ep.addr, err)
	}
	if !ep.tls {
		return rawConn{tcp: tcp, conn: tcp}, nil
	}

	tc := tls.Client(tcp, tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		tcp.Close()
		return rawConn{}, fmt.Errorf("%w: handshake with %s: %w", ErrTLS, ep.addr, err)
	}
	return rawConn{tcp: tcp, conn: tc}, nil
}

// startTLS runs the StartTLS operation. go-ldap does the handshake without a deadline of
// its own, so one is put on the connection for its duration.
func (s *session) startTLS(tcp net.Conn, tlsConfig *tls.Config) error {
	if err := tcp.SetDeadline(time.Now().Add(s.cfg.timeout())); err != nil {
		return err
	}
	if err := s.conn.StartTLS(tlsConfig); err != nil {
		return err
	}
	return tcp.SetDeadline(time.Time{})
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
}

// tlsConfig trusts the system roots plus CACertPEM and expects a certificate for host.
func (c Config) tlsConfig(host string) *tls.Config {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if c.CACertPEM != "" {
		roots.AppendCertsFromPEM([]byte(c.CACertPEM))
	}
	return &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}
}

// ctxErr prefers the context's error when ctx ended: go-ldap then only reports a closed
// connection.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
