// Package ldapauth signs users in against an LDAP directory (OpenLDAP, Active Directory
// and the like) with the search-then-bind pattern of RFC 4513 section 5.1.3: a service
// account finds the user's entry with a filter, then the user's password is checked by
// binding as that entry. It also reads the user's groups, and checks a configuration for
// an administrator before it is saved.
//
// The package keeps no state and knows nothing of HTTP or storage. The caller passes a
// Config, a Dialer (netguard's, so an administrator cannot steer the server to a metadata
// address) and what the user typed.
package ldapauth

import (
	"context"
	"errors"
	"net"
	"time"
)

// Every error Authenticate and Test return wraps at most one of these, so the caller can
// tell the user's mistake (ErrInvalidCredentials) from the directory's or the
// administrator's.
var (
	// ErrInvalidConfig: Config.Validate found a problem.
	ErrInvalidConfig = errors.New("invalid LDAP configuration")
	// ErrUnreachable: the TCP connection could not be made (refused, timed out, or
	// forbidden by the dialer's policy).
	ErrUnreachable = errors.New("LDAP server unreachable")
	// ErrTLS: the TLS handshake or the StartTLS operation failed, typically because the
	// certificate does not verify against the configured roots or names another host.
	ErrTLS = errors.New("LDAP TLS failed")
	// ErrServiceBind: the server refused the service account's bind.
	ErrServiceBind = errors.New("LDAP service account bind failed")
	// ErrSearch: a search the service account made failed (missing base DN, no access,
	// a timeout, too many groups).
	ErrSearch = errors.New("LDAP search failed")
	// ErrInvalidCredentials: the password is wrong, no entry or more than one entry
	// matches the username, or the username or password is empty. The wrapping message
	// says which, for logs; users should only ever see that sign-in failed.
	ErrInvalidCredentials = errors.New("invalid username or password")
)

// Dialer opens a TCP connection; callers pass netguard.Policy.DialContext.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Result describes a signed-in user.
type Result struct {
	DN string
	// Attributes holds the values of the attributes Config.Attributes asked for, keyed by
	// the names as asked; attributes the entry lacks are absent.
	Attributes map[string][]string
	// Groups holds group names, each once, in the order the directory returned them:
	// those from Config.GroupAttribute first, then those from the group search.
	Groups []string
}

// Config describes one LDAP directory. The zero value is not valid; see Validate.
type Config struct {
	// URL is ldap://host[:port] or ldaps://host[:port]; nothing may follow the port.
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before anything else is sent
	// (RFC 4513 section 3). It cannot be combined with ldaps://, which is TLS already.
	StartTLS bool
	// AllowPlaintext permits ldap:// without StartTLS, which sends every password in
	// clear text over the network. Validate refuses that combination unless this is set;
	// whether to offer it (a directory on the same host, tests) is the caller's decision.
	AllowPlaintext bool
	// CACertPEM holds extra trusted roots, added to the system's; empty means the system
	// roots only. The server's certificate must name the URL's host.
	CACertPEM string

	// BindDN and BindPassword are the service account that searches for users and
	// groups. Both are required: an anonymous search is not supported.
	BindDN       string
	BindPassword string

	// BaseDN is where the user search starts (whole subtree).
	BaseDN string
	// UserFilter finds the user's entry, with {0} standing for the username, escaped as
	// RFC 4515 requires, for example "(&(objectClass=inetOrgPerson)(uid={0}))".
	UserFilter string
	// Attributes lists the user attributes to return in Result.Attributes.
	Attributes []string

	// GroupAttribute, when set, names a multi-valued attribute of the user's entry that
	// lists the user's groups by DN, like memberOf. A group's name is the DN's first CN,
	// or the whole value when it is not a DN with a CN.
	GroupAttribute string
	// GroupBaseDN and GroupFilter, when set (both or neither), search for the user's
	// groups. In the filter {dn} stands for the user's DN and {0} for the username, both
	// escaped, for example "(&(objectClass=groupOfNames)(member={dn}))".
	GroupBaseDN string
	GroupFilter string
	// GroupNameAttribute is the group entry attribute that gives its name; default "cn".
	GroupNameAttribute string

	// Timeout bounds the connection (dial and TLS handshake) and then each operation.
	// Zero means 10s.
	Timeout time.Duration
}

const defaultTimeout = 10 * time.Second

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return defaultTimeout
}

func (c Config) groupNameAttribute() string {
	if c.GroupNameAttribute != "" {
		return c.GroupNameAttribute
	}
	return "cn"
}
