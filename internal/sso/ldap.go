package sso

import (
	"context"
	"errors"
	"maps"
	"slices"
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
		return ldapProblem(err)
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

// ldapFormNames maps the directory package's field names to the form's.
var ldapFormNames = map[string]string{"URL": "server_url", "StartTLS": "start_tls",
	"AllowPlaintext": "allow_plaintext", "CACertPEM": "ca_certificate", "BindDN": "bind_dn",
	"BindPassword": "bind_password", "BaseDN": "base_dn", "UserFilter": "search_filter",
	"Attributes": "claim_email", "GroupAttribute": "group_attribute",
	"GroupBaseDN": "group_base_dn", "GroupFilter": "group_filter",
	"GroupNameAttribute": "group_name_attribute", "Timeout": "timeout_sec"}

// ldapProblem turns the directory package's validation error ("invalid LDAP configuration:
// UserFilter: must contain {0}; ...") into a form error on the first field it names, with
// the form's labels in place of the package's names.
func ldapProblem(err error) error {
	msg := strings.TrimPrefix(err.Error(), ldapauth.ErrInvalidConfig.Error()+": ")
	first, _, _ := strings.Cut(msg, ";")
	name, _, _ := strings.Cut(first, ":")
	field, ok := ldapFormNames[strings.TrimSpace(name)]
	if !ok {
		field = "server_url"
	}
	names := slices.Collect(maps.Keys(ldapFormNames))
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) }) // GroupBaseDN first
	for _, goName := range names {
		form := label(ldapFormNames[goName])
		msg = strings.ReplaceAll(msg, "set "+goName, "switch on "+form)
		msg = strings.ReplaceAll(msg, goName+":", form+":")
	}
	return invalid(field, "%s", msg)
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
	return mapProfile(st, ldapClaims(r), r.DN, st.TrustEmail)
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
