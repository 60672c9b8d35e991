package oidcrp

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"atrium/internal/netguard"
	"atrium/internal/testutil/oidcop"
)

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentPort returns a 127.0.0.1 address that accepts connections and never answers.
func silentPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestFinishTokenEndpointUnreachable(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	tests := []struct {
		name string
		addr string
	}{
		{"closed port", closedPort(t)},
		{"silent port", silentPort(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			authURL, st, err := Begin(c, testRedirect)
			if err != nil {
				t.Fatalf("Begin: %v", err)
			}
			q := authorize(t, authURL)
			c.TokenEndpoint = "http://" + tt.addr + "/token"

			start := time.Now()
			_, err = Finish(context.Background(), guarded(), c, testRedirect, st, q, nil)
			wantErr(t, err, ErrProvider, "token endpoint")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Finish took %v, want it bounded by the 2s client timeout", d)
			}
		})
	}
}

func TestFinishHonoursContext(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	authURL, st, err := Begin(c, testRedirect)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	q := authorize(t, authURL)
	c.TokenEndpoint = "http://" + silentPort(t) + "/token"
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err = Finish(ctx, guarded(), c, testRedirect, st, q, nil)
	wantErr(t, err, ErrProvider)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Finish took %v after its context expired at 100ms", d)
	}
}

func TestDiscoverMetadataRefused(t *testing.T) {
	for _, u := range []string{
		"http://169.254.169.254/",
		"http://169.254.169.254/latest/meta-data/.well-known/openid-configuration",
	} {
		_, err := Discover(context.Background(), guarded(), u)
		wantErr(t, err, ErrDiscovery, "169.254.169.254")
		if !errors.Is(err, netguard.ErrForbidden) {
			t.Errorf("Discover(%s) = %v, want netguard.ErrForbidden", u, err)
		}
	}
}

func TestFinishJWKSRefused(t *testing.T) {
	_, c := startProvider(t, oidcop.Options{})
	c.InfoFromIDToken = true
	c.JWKSURI = (&url.URL{Scheme: "http", Host: "169.254.169.254", Path: "/keys"}).String()

	_, err := signIn(t, c, nil)
	wantErr(t, err, ErrToken, "169.254.169.254")
}
