package sso

import (
	"context"
	"errors"
	"strings"
	"time"

	"atrium/internal/sso/ldapauth"
)

func (s *Service) ldapConfig(c Connection) ldapauth.Config {
	st := c.Settings
	var attrs []string
	for _, a := range []string{st.ClaimUserID, st.ClaimEmail, st.ClaimName, st.ClaimGivenName,
		st.ClaimFamilyName, st.ClaimPicture} {
		if a != "" {
			attrs = append(attrs, a)
		}
	}
	return ldapauth.Config{URL: st.ServerURL, StartTLS: st.StartTLS,
		AllowPlaintext: st.AllowPlaintext, CACertPEM: st.CACertificate, BindDN: st.BindDN,
		BindPassword: c.Secrets.BindPassword, BaseDN: st.BaseDN, UserFilter: st.SearchFilter,
		Attributes: attrs, GroupAttribute: st.GroupAttribute, GroupBaseDN: st.GroupBaseDN,
		GroupFilter: st.GroupFilter, GroupNameAttribute: st.GroupNameAttribute,
		Timeout: time.Duration(st.TimeoutSec) * time.Second}
}

// prepareLDAP checks a directory connection. The server's address is checked against the
// guard when it is an IP address here, and at every dial.
func (s *Service) prepareLDAP(_ context.Context, c *Connection) error {
	st := &c.Settings
	if strings.HasPrefix(strings.ToLower(st.ServerURL), "ldaps://") {
		st.StartTLS = false // ldaps:// is TLS from the first byte
	}
	if st.TimeoutSec < 0 || st.TimeoutSec > 60 {
		return invalid("timeout_sec", "Timeout must be 0 to 60 seconds")
	}
	if err := s.ldapConfig(*c).Validate(); err != nil {
		return invalid(ldapField(err.Error()), "%v", err)
	}
	host := st.ServerURL
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	return s.checkHost("server_url", strings.Trim(host, "[]"))
}

// ldapField guesses the form field a validation message is about.
func ldapField(msg string) string {
	for _, f := range []struct{ word, field string }{
		{"bind password", "bind_password"}, {"BindPassword", "bind_password"},
		{"bind DN", "bind_dn"}, {"BindDN", "bind_dn"}, {"base DN", "base_dn"},
		{"BaseDN", "base_dn"}, {"filter", "search_filter"}, {"CA", "ca_certificate"},
		{"StartTLS", "start_tls"}, {"plaintext", "allow_plaintext"}, {"URL", "server_url"},
		{"group", "group_filter"},
	} {
		if strings.Contains(msg, f.word) {
			return f.field
		}
	}
	return "server_url"
}

// ldapClaims turns a directory entry into claims, its groups under "groups".
func ldapClaims(r ldapauth.Result) map[string]any {
	return attributeClaims(map[string]any{"dn": r.DN}, r.Attributes,
		map[string][]string{"groups": r.Groups})
}

// ldapProfile maps a directory entry; groups come from the directory's group settings.
func ldapProfile(c Connection, r ldapauth.Result) Profile {
	st := c.Settings
	st.ClaimGroups = "groups"
	return mapProfile(st, ldapClaims(r), r.DN, true)
}

func describeLDAP(err error) string {
	switch {
	case errors.Is(err, ldapauth.ErrInvalidCredentials):
		return "incorrect username or password"
	case errors.Is(err, ldapauth.ErrUnreachable):
		return "the directory could not be reached"
	case errors.Is(err, ldapauth.ErrTLS):
		return "the directory's TLS certificate could not be verified"
	case errors.Is(err, ldapauth.ErrServiceBind):
		return "the directory refused the service account"
	case errors.Is(err, ldapauth.ErrSearch):
		return "the directory search failed"
	case errors.Is(err, ldapauth.ErrInvalidConfig):
		return "the connection is not completely configured"
	}
	return "the directory answered unexpectedly"
}
