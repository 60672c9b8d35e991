package slapd

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestStart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	alice := s.AddUser(t, "alice", "alice-pw", "alice@example.org", "Alice A", "Alice", "A")
	s.AddGroup(t, "staff", alice)

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(s.CACertPEM)) {
		t.Fatal("CACertPEM holds no certificate")
	}
	conn, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatalf("dial %s: %v", s.LDAPSURL, err)
	}
	defer conn.Close()
	if err := conn.Bind(alice, "alice-pw"); err != nil {
		t.Fatalf("bind as alice: %v", err)
	}
	res, err := conn.Search(ldap.NewSearchRequest(alice, ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"memberOf"}, nil))
	if err != nil {
		t.Fatalf("search own entry: %v", err)
	}
	got := res.Entries[0].GetAttributeValues("memberOf")
	if want := s.GroupDN("staff"); len(got) != 1 || got[0] != want {
		t.Errorf("memberOf = %q, want [%q]", got, want)
	}
}

func TestParallelStarts(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			s.AddUser(t, name, "pw", "", name, "", name)
		})
	}
}
