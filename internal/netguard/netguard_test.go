package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestCheck(t *testing.T) {
	strict, open := Policy{}, Policy{AllowPrivate: true}
	for _, tc := range []struct {
		addr         string
		strict, open bool // allowed?
	}{
		{"8.8.8.8", true, true},
		{"2001:4860:4860::8888", true, true},
		{"169.254.169.254", false, false}, // cloud metadata
		{"fe80::1", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"10.1.2.3", false, true},
		{"192.168.0.1", false, true},
		{"172.16.5.4", false, true},
		{"100.64.1.1", false, true},
		{"fd12::1", false, true},
		{"0.0.0.0", false, false},
		{"224.0.0.1", false, false},
		{"64:ff9b::a9fe:a9fe", false, false},   // NAT64 of 169.254.169.254
		{"64:ff9b:1::a9fe:a9fe", false, false}, // local-use NAT64
		{"2002:a9fe:a9fe::", false, false},     // 6to4
		{"::a9fe:a9fe", false, false},          // IPv4-compatible
		{"fd20:ce::254", false, false},         // Google Cloud IPv6 metadata
		{"192.0.0.192", false, false},          // Oracle Cloud metadata
		{"64:ff9b::808:808", true, true},       // NAT64 of a public address
		{"2002:0a00:0001::", false, true},      // 6to4 of 10.0.0.1
	} {
		a := netip.MustParseAddr(tc.addr)
		if got := strict.Check(a) == nil; got != tc.strict {
			t.Errorf("strict %s: allowed=%v, want %v", tc.addr, got, tc.strict)
		}
		if got := open.Check(a) == nil; got != tc.open {
			t.Errorf("private allowed %s: allowed=%v, want %v", tc.addr, got, tc.open)
		}
	}
}

func TestClientRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, err := Policy{}.Client().Get(srv.URL)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("strict client reached loopback: %v", err)
	}
	resp, err := Policy{AllowPrivate: true}.Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("open client: %v", err)
	}
	resp.Body.Close()
}

func TestRedirectToMetadataRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	_, err := Policy{AllowPrivate: true}.Client().Get(srv.URL)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("redirect to metadata: %v", err)
	}
}
