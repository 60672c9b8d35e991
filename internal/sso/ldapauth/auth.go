package ldapauth

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/go-ldap/ldap/v3"
)

// maxGroups bounds the group search; a user in more groups gets an error, not a silently
// shortened list.
const maxGroups = 1000

// Authenticate checks username and password against the directory and returns the user's
// entry and groups. It connects through dial, secures the connection as configured, binds
// as the service account, finds exactly one entry with UserFilter, binds as that entry
// with password, then binds as the service account again to read groups.
//
// It returns ErrInvalidCredentials for a wrong password, an unknown or ambiguous username,
// and an empty username or password, the last without contacting the server: an empty
// password would make the bind an unauthenticated one, which servers may accept
// (RFC 4513 section 5.1.2). Other failures wrap ErrInvalidConfig, ErrUnreachable, ErrTLS,
// ErrServiceBind or ErrSearch, or the context's error.
func Authenticate(ctx context.Context, dial Dialer, c Config, username, password string) (
	Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if username == "" || password == "" {
		return Result{}, fmt.Errorf("%w: empty username or password", ErrInvalidCredentials)
	}

	s, err := open(ctx, dial, c)
	if err != nil {
		return Result{}, err
	}
	defer s.close()

	entry, err := s.findUser(ctx, username)
	if err != nil {
		return Result{}, err
	}
	if err := s.bindUser(ctx, entry.DN, password); err != nil {
		return Result{}, err
	}

	groups, err := s.groups(ctx, entry, username)
	if err != nil {
		return Result{}, err
	}
	return Result{DN: entry.DN, Attributes: attributes(entry, c.Attributes), Groups: groups}, nil
}

// Test checks that c reaches the directory: it connects, secures the connection, binds as
// the service account and reads the base DN. Its error wraps the sentinel of the stage
// that failed (ErrInvalidConfig, ErrUnreachable, ErrTLS, ErrServiceBind, ErrSearch).
func Test(ctx context.Context, dial Dialer, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s, err := open(ctx, dial, c)
	if err != nil {
		return err
	}
	defer s.close()

	req := s.searchRequest(c.BaseDN, ldap.ScopeBaseObject, 1, "(objectClass=*)", nil)
	if _, err := s.conn.Search(req); err != nil {
		return fmt.Errorf("%w: read BaseDN %s: %w", ErrSearch, c.BaseDN, ctxErr(ctx, err))
	}
	return nil
}

// findUser returns the one entry UserFilter matches for username.
func (s *session) findUser(ctx context.Context, username string) (*ldap.Entry, error) {
	attrs := slices.Clone(s.cfg.Attributes)
	if s.cfg.GroupAttribute != "" {
		attrs = append(attrs, s.cfg.GroupAttribute)
	}
	filter := substitute(s.cfg.UserFilter, username, "")
	// A size limit of 2 is enough to tell one match from several.
	req := s.searchRequest(s.cfg.BaseDN, ldap.ScopeWholeSubtree, 2, filter, attrs)

	res, err := s.conn.Search(req)
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return nil, fmt.Errorf("%w: several entries match the username", ErrInvalidCredentials)
	case err != nil:
		return nil, fmt.Errorf("%w: find user: %w", ErrSearch, ctxErr(ctx, err))
	case len(res.Entries) == 0:
		return nil, fmt.Errorf("%w: no entry matches the username", ErrInvalidCredentials)
	case len(res.Entries) > 1:
		return nil, fmt.Errorf("%w: several entries match the username", ErrInvalidCredentials)
	case res.Entries[0].DN == "":
		// Binding with an empty DN would be anonymous, whatever the password.
		return nil, fmt.Errorf("%w: the matching entry has an empty DN", ErrInvalidCredentials)
	}
	return res.Entries[0], nil
}

// bindUser checks the password by binding as dn.
func (s *session) bindUser(ctx context.Context, dn, password string) error {
	err := s.conn.Bind(dn, password)
	switch {
	case err == nil:
		return nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		return fmt.Errorf("%w: wrong password for %s", ErrInvalidCredentials, dn)
	default:
		return fmt.Errorf("bind as %s: %w", dn, ctxErr(ctx, err))
	}
}

// groups returns the names of the user's groups from GroupAttribute and the group
// search, each once.
func (s *session) groups(ctx context.Context, user *ldap.Entry, username string) (
	[]string, error) {
	var names []string
	if s.cfg.GroupAttribute != "" {
		for _, v := range user.GetEqualFoldAttributeValues(s.cfg.GroupAttribute) {
			names = appendNew(names, groupName(v))
		}
	}
	if s.cfg.GroupFilter == "" {
		return names, nil
	}

	// The user's bind replaced the service account's; groups are read as the latter.
	if err := s.conn.Bind(s.cfg.BindDN, s.cfg.BindPassword); err != nil {
		return nil, fmt.Errorf("%w: bind again as %s: %w", ErrServiceBind, s.cfg.BindDN,
			ctxErr(ctx, err))
	}
	nameAttr := s.cfg.groupNameAttribute()
	filter := substitute(s.cfg.GroupFilter, username, user.DN)
	req := s.searchRequest(s.cfg.GroupBaseDN, ldap.ScopeWholeSubtree, maxGroups, filter,
		[]string{nameAttr})
	res, err := s.conn.Search(req)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("%w: user is in more than %d groups", ErrSearch, maxGroups)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: find groups: %w", ErrSearch, ctxErr(ctx, err))
	}

	for _, e := range res.Entries {
		name := e.GetEqualFoldAttributeValue(nameAttr)
		if name == "" {
			name = groupName(e.DN)
		}
		names = appendNew(names, name)
	}
	return names, nil
}

// searchRequest builds a search that never follows aliases and that the server also
// bounds in time. No attributes requested means none returned ("1.1", RFC 4511 4.5.1.8).
func (s *session) searchRequest(base string, scope, sizeLimit int, filter string,
	attrs []string) *ldap.SearchRequest {
	if len(attrs) == 0 {
		attrs = []string{"1.1"}
	}
	seconds := int(math.Ceil(s.cfg.timeout().Seconds()))
	return ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, sizeLimit, seconds,
		false, filter, attrs, nil)
}

func attributes(e *ldap.Entry, names []string) map[string][]string {
	m := make(map[string][]string, len(names))
	for _, n := range names {
		if v := e.GetEqualFoldAttributeValues(n); len(v) > 0 {
			m[n] = v
		}
	}
	return m
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
