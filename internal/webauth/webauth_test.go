package webauth

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	cases := []struct {
		name, remote, realIP, forwarded, want string
	}{
		{"direct", "203.0.113.5:4000", "", "", "203.0.113.5"},
		{"proxy headers from afar are ignored", "203.0.113.5:4000", "1.2.3.4", "5.6.7.8",
			"203.0.113.5"},
		{"local proxy, X-Real-IP", "127.0.0.1:4000", "198.51.100.7", "5.6.7.8", "198.51.100.7"},
		{"local proxy, X-Forwarded-For: the entry the proxy appended", "[::1]:4000", "",
			"6.6.6.6, 198.51.100.8", "198.51.100.8"},
		{"local proxy, not an address", "127.0.0.1:4000", "<b>x</b>", "x, y", "127.0.0.1"},
		{"local without headers", "127.0.0.1:4000", "", "", "127.0.0.1"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.realIP != "" {
			r.Header.Set("X-Real-IP", tc.realIP)
		}
		if tc.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := ClientAddr(r); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCookies(t *testing.T) {
	ck := Cookie("tok", time.Now().Add(time.Hour), true)
	if ck.Name != CookieName || !ck.HttpOnly || !ck.Secure || ck.MaxAge < 3500 || ck.Path != "/" {
		t.Fatalf("cookie = %+v", ck)
	}
	if c := ClearCookie(false); c.MaxAge >= 0 || c.Value != "" || c.Secure {
		t.Fatalf("clearing cookie = %+v", c)
	}
}
