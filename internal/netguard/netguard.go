// Package netguard keeps the server's outbound connections to administrator-entered
// addresses (identity provider discovery, JWKS, SAML metadata, LDAP) away from places a
// server must never be steered to: link-local and cloud metadata addresses always, and
// private and loopback ranges unless the deployment allows them. The check runs on the
// address actually dialled, after name resolution, so a name that resolves to a forbidden
// address, or a redirect to one, is refused as well.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Policy says which address ranges are reachable besides the public internet.
type Policy struct {
	// AllowPrivate permits loopback, RFC 1918, unique-local (fc00::/7) and CGNAT ranges:
	// identity providers inside the company network, or on this machine in tests.
	AllowPrivate bool
	// Timeout bounds each dial and, for HTTP clients, each whole request. Zero means 10s.
	Timeout time.Duration
}

// ErrForbidden is wrapped by every refusal.
var ErrForbidden = errors.New("address not allowed")

// metadata holds cloud metadata addresses that sit outside the link-local ranges.
var metadata = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6 instance metadata
	netip.MustParseAddr("fd20:ce::254"),    // Google Cloud IPv6 metadata
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud metadata
	netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud metadata
}

// Prefixes of IPv6 addresses that carry an IPv4 address a gateway may forward to: NAT64
// (RFC 6052 and 8215), 6to4 (RFC 3056) and the deprecated IPv4-compatible form.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	v4compat   = netip.MustParsePrefix("::/96")
)

// embeddedIPv4 returns the IPv4 address an IPv6 address carries, if any.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() || a.Is4In6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a), nat64Local.Contains(a), v4compat.Contains(a) && !a.IsLoopback() &&
		!a.IsUnspecified():
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// Check reports why addr may not be dialled under p, or nil.
func (p Policy) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	if v4, ok := embeddedIPv4(addr); ok {
		if err := p.Check(v4); err != nil {
			return fmt.Errorf("%w (carried in %s)", err, addr)
		}
	}
	switch {
	case !addr.IsValid():
		return fmt.Errorf("%w: invalid address", ErrForbidden)
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast(), isMetadata(addr):
		return fmt.Errorf("%w: %s is a link-local or cloud metadata address", ErrForbidden, addr)
	case addr.IsUnspecified(), addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return fmt.Errorf("%w: %s is not a unicast address", ErrForbidden, addr)
	case addr.IsLoopback(), addr.IsPrivate(), isCGNAT(addr):
		if !p.AllowPrivate {
			return fmt.Errorf("%w: %s is a private or loopback address "+
				"(the server configuration does not allow them)", ErrForbidden, addr)
		}
	}
	return nil
}

func isMetadata(a netip.Addr) bool {
	for _, m := range metadata {
		if a == m {
			return true
		}
	}
	return false
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isCGNAT(a netip.Addr) bool { return a.Is4() && cgnat.Contains(a) }

func (p Policy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 10 * time.Second
}

// Dialer returns a dialer whose every connection is checked after resolution.
func (p Policy) Dialer() *net.Dialer {
	return &net.Dialer{
		Timeout: p.timeout(),
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrForbidden, address)
			}
			return p.Check(ap.Addr())
		},
	}
}

// DialContext dials through Dialer.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return p.Dialer().DialContext(ctx, network, address)
}

// Client returns an HTTP client that dials only allowed addresses, ignores proxy
// settings from the environment, follows at most five redirects (each checked again at
// dial time) and gives up after the policy's timeout.
func (p Policy) Client() *http.Client {
	t := &http.Transport{
		DialContext:           p.Dialer().DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   p.timeout(),
		ResponseHeaderTimeout: p.timeout(),
		MaxIdleConns:          10,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{
		Transport: t,
		Timeout:   p.timeout(),
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}
