package slapd

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// nobodyDN fills groupOfNames' mandatory member attribute when a group has no members.
const nobodyDN = "cn=nobody," + baseDN

// adminConn opens a connection bound as the root DN.
func (s *Server) adminConn() (*ldap.Conn, error) {
	conn, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}))
	if err != nil {
		return nil, err
	}
	conn.SetTimeout(10 * time.Second)
	if err := conn.Bind(s.AdminDN, s.AdminPassword); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// seed creates the suffix entry, ou=people, ou=groups and the reader account.
func (s *Server) seed() error {
	conn, err := s.adminConn()
	if err != nil {
		return err
	}
	defer conn.Close()

	entries := []*ldap.AddRequest{
		addRequest(s.BaseDN, map[string][]string{
			"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"},
		}),
		addRequest("ou=people,"+s.BaseDN, map[string][]string{
			"objectClass": {"organizationalUnit"}, "ou": {"people"},
		}),
		addRequest("ou=groups,"+s.BaseDN, map[string][]string{
			"objectClass": {"organizationalUnit"}, "ou": {"groups"},
		}),
		addRequest(s.ReaderDN, map[string][]string{
			"objectClass":  {"organizationalRole", "simpleSecurityObject"},
			"cn":           {"reader"},
			"userPassword": {hashPassword(s.ReaderPassword)},
		}),
	}
	for _, e := range entries {
		if err := conn.Add(e); err != nil {
			return fmt.Errorf("add %s: %w", e.DN, err)
		}
	}
	return nil
}

func addRequest(dn string, attrs map[string][]string) *ldap.AddRequest {
	req := ldap.NewAddRequest(dn, nil)
	for name, values := range attrs {
		req.Attribute(name, values)
	}
	return req
}

// hashPassword returns an {SSHA} userPassword value, the scheme slapd checks by default.
func hashPassword(password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	sum := sha1.Sum(append([]byte(password), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// UserDN returns the DN AddUser gives uid.
func (s *Server) UserDN(uid string) string {
	return "uid=" + ldap.EscapeDN(uid) + ",ou=people," + s.BaseDN
}

// GroupDN returns the DN AddGroup gives cn.
func (s *Server) GroupDN(cn string) string {
	return "cn=" + ldap.EscapeDN(cn) + ",ou=groups," + s.BaseDN
}

// AddUser adds an inetOrgPerson under ou=people and returns its DN. Empty optional
// attributes (mail, givenName) are left out.
func (s *Server) AddUser(t testing.TB, uid, password, mail, cn, givenName, sn string) string {
	t.Helper()
	attrs := map[string][]string{
		"objectClass":  {"inetOrgPerson"},
		"uid":          {uid},
		"cn":           {cn},
		"sn":           {sn},
		"userPassword": {hashPassword(password)},
	}
	if mail != "" {
		attrs["mail"] = []string{mail}
	}
	if givenName != "" {
		attrs["givenName"] = []string{givenName}
	}
	dn := s.UserDN(uid)
	s.do(t, func(conn *ldap.Conn) error { return conn.Add(addRequest(dn, attrs)) })
	return dn
}

// AddGroup adds a groupOfNames under ou=groups. The memberof overlay then lists it in
// each member's memberOf attribute.
func (s *Server) AddGroup(t testing.TB, cn string, memberDNs ...string) {
	t.Helper()
	req := addRequest(s.GroupDN(cn), map[string][]string{
		"objectClass": {"groupOfNames"},
		"cn":          {cn},
		"member":      members(memberDNs),
	})
	s.do(t, func(conn *ldap.Conn) error { return conn.Add(req) })
}

// SetGroupMembers replaces the members of a group AddGroup created.
func (s *Server) SetGroupMembers(t testing.TB, cn string, memberDNs ...string) {
	t.Helper()
	req := ldap.NewModifyRequest(s.GroupDN(cn), nil)
	req.Replace("member", members(memberDNs))
	s.do(t, func(conn *ldap.Conn) error { return conn.Modify(req) })
}

// SetAttribute replaces one attribute of any entry; no values deletes it.
func (s *Server) SetAttribute(t testing.TB, dn, name string, values ...string) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace(name, values)
	s.do(t, func(conn *ldap.Conn) error { return conn.Modify(req) })
}

func members(dns []string) []string {
	if len(dns) == 0 {
		return []string{nobodyDN}
	}
	return dns
}

// do runs one change as the root DN and fails the test if it fails.
func (s *Server) do(t testing.TB, change func(*ldap.Conn) error) {
	t.Helper()
	conn, err := s.adminConn()
	if err != nil {
		t.Fatalf("slapd: connect as admin: %v", err)
	}
	defer conn.Close()
	if err := change(conn); err != nil {
		t.Fatalf("slapd: %v", err)
	}
}
