package ldapauth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Validate reports every problem with c at once, each naming its field, in one error
// that wraps ErrInvalidConfig; nil when c can be used.
func (c Config) Validate() error {
	var problems []string
	add := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}

	c.validateConnection(add)
	c.validateSearch(add)
	if c.Timeout < 0 {
		add("Timeout", "must not be negative")
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
}

type problemFunc func(field, format string, args ...any)

func (c Config) validateConnection(add problemFunc) {
	ep, err := parseURL(c.URL)
	switch {
	case err != nil:
		add("URL", "%v", err)
	case ep.tls && c.StartTLS:
		add("StartTLS", "not used with ldaps://, which is TLS from the start")
	case !ep.tls && !c.StartTLS && !c.AllowPlaintext:
		add("URL", "ldap:// without StartTLS sends passwords in clear text; "+
			"use ldaps:// or StartTLS, or set AllowPlaintext")
	}
	if c.CACertPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CACertPEM)) {
		add("CACertPEM", "holds no PEM certificate")
	}
	if c.BindDN == "" {
		add("BindDN", "required")
	} else if _, err := ldap.ParseDN(c.BindDN); err != nil {
		add("BindDN", "not a DN: %v", err)
	}
	if c.BindPassword == "" {
		add("BindPassword", "required")
	}
}

func (c Config) validateSearch(add problemFunc) {
	validateDN(add, "BaseDN", c.BaseDN)
	validateFilter(add, "UserFilter", c.UserFilter, "{0}")
	for _, a := range c.Attributes {
		if strings.TrimSpace(a) == "" {
			add("Attributes", "holds an empty name")
		}
	}

	if (c.GroupBaseDN == "") != (c.GroupFilter == "") {
		add("GroupFilter", "GroupBaseDN and GroupFilter are set together or not at all")
	}
	if c.GroupBaseDN != "" {
		validateDN(add, "GroupBaseDN", c.GroupBaseDN)
	}
	if c.GroupFilter != "" {
		validateFilter(add, "GroupFilter", c.GroupFilter, "{dn}", "{0}")
	}
}

func validateDN(add problemFunc, field, dn string) {
	if dn == "" {
		add(field, "required")
		return
	}
	if _, err := ldap.ParseDN(dn); err != nil {
		add(field, "not a DN: %v", err)
	}
}

// validateFilter checks that filter holds one of the placeholders and parses once they
// are replaced.
func validateFilter(add problemFunc, field, filter string, placeholders ...string) {
	if filter == "" {
		add(field, "required")
		return
	}
	found := false
	for _, p := range placeholders {
		found = found || strings.Contains(filter, p)
	}
	if !found {
		add(field, "must contain %s", strings.Join(placeholders, " or "))
		return
	}
	if _, err := ldap.CompileFilter(substitute(filter, "user", "cn=user")); err != nil {
		add(field, "not a valid LDAP filter: %v", err)
	}
}

// endpoint is a parsed Config.URL.
type endpoint struct {
	host string // for certificate verification
	addr string // host:port to dial
	tls  bool   // ldaps://
}

func parseURL(raw string) (endpoint, error) {
	if raw == "" {
		return endpoint{}, errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return endpoint{}, fmt.Errorf("not a URL: %w", err)
	}

	var ep endpoint
	port := u.Port()
	switch strings.ToLower(u.Scheme) {
	case "ldap":
		ep.tls, port = false, orDefault(port, "389")
	case "ldaps":
		ep.tls, port = true, orDefault(port, "636")
	default:
		return endpoint{}, fmt.Errorf("scheme must be ldap or ldaps, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return endpoint{}, errors.New("no host")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return endpoint{}, errors.New("only scheme, host and port are allowed")
	}
	ep.host = u.Hostname()
	ep.addr = net.JoinHostPort(ep.host, port)
	return ep, nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
