package ldapauth

import (
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// substitute replaces {0} with the username and {dn} with the user's DN in filter, both
// escaped per RFC 4515 so that neither can add a wildcard or a clause. It replaces in a
// single pass, so a username that reads "{dn}" stays literal text.
func substitute(filter, username, userDN string) string {
	return strings.NewReplacer(
		"{0}", ldap.EscapeFilter(username),
		"{dn}", ldap.EscapeFilter(userDN),
	).Replace(filter)
}

// groupName returns the value of the first CN in a group DN, or value itself when it is
// not a DN or has no CN.
func groupName(value string) string {
	dn, err := ldap.ParseDN(value)
	if err != nil {
		return value
	}
	for _, rdn := range dn.RDNs {
		for _, a := range rdn.Attributes {
			if strings.EqualFold(a.Type, "cn") && a.Value != "" {
				return a.Value
			}
		}
	}
	return value
}
