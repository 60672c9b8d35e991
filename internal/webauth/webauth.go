// Package webauth holds the browser-facing pieces of authentication that the JSON API and
// the web UI share, so they cannot drift apart: the session cookie ClearML's clients and web
// app use, and the caller's address as sign-in throttling and last-used records count it.
package webauth

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// CookieName is the session cookie's name (wire.md 2.6).
const CookieName = "clearml_token_basic"

// Cookie returns the session cookie carrying token, HttpOnly and SameSite=Lax, Secure when
// the server is reached over https, living until expires (a browser session when zero).
func Cookie(token string, expires time.Time, secure bool) *http.Cookie {
	ck := &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode}
	if !expires.IsZero() {
		ck.MaxAge = int(time.Until(expires).Seconds())
	}
	return ck
}

// ClearCookie returns a cookie that removes the session cookie.
func ClearCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		Expires: time.Unix(0, 0), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// ClientAddr is the caller's address. Proxy headers are believed only from a proxy on the
// same machine, so nobody else can choose the address that throttling counts: X-Real-IP
// (which a proxy sets), else the last X-Forwarded-For entry (the one the proxy appended;
// earlier entries come from the client). A value that is not an IP address is ignored.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return host
	}
	if v := strings.TrimSpace(r.Header.Get("X-Real-IP")); net.ParseIP(v) != nil {
		return v
	}
	if v := r.Header.Get("X-Forwarded-For"); v != "" {
		last := strings.TrimSpace(v[strings.LastIndex(v, ",")+1:])
		if net.ParseIP(last) != nil {
			return last
		}
	}
	return host
}

// IdPCookieName remembers which identity provider connection a browser session came from,
// so that signing out (in the UI or with login.logout) can end the provider's session too.
const IdPCookieName = "atrium_idp"

// IdPCookie returns the cookie naming connection id, living as long as the session.
func IdPCookie(id string, maxAge time.Duration, secure bool) *http.Cookie {
	return &http.Cookie{Name: IdPCookieName, Value: id, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// ClearIdPCookie returns a cookie that removes the identity provider cookie.
func ClearIdPCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: IdPCookieName, Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode}
}
