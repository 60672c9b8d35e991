package ldapauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func validConfig() Config {
	return Config{
		URL:          "ldaps://ldap.example.org",
		BindDN:       "cn=reader,dc=example,dc=org",
		BindPassword: "secret",
		BaseDN:       "dc=example,dc=org",
		UserFilter:   "(uid={0})",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(*Config) {}, nil},
		{"valid starttls", func(c *Config) { c.URL, c.StartTLS = "ldap://h:10389", true }, nil},
		{"valid groups", func(c *Config) {
			c.GroupBaseDN, c.GroupFilter = "ou=groups,dc=x", "(member={dn})"
		}, nil},
		{"empty", func(c *Config) { *c = Config{} },
			[]string{"URL: required", "BindDN: required", "BindPassword: required",
				"BaseDN: required", "UserFilter: required"}},
		{"scheme", func(c *Config) { c.URL = "http://h" }, []string{"URL: scheme"}},
		{"path", func(c *Config) { c.URL = "ldap://h/dc=x??sub" }, []string{"URL: only"}},
		{"no host", func(c *Config) { c.URL = "ldaps:///" }, []string{"URL: no host"}},
		{"plaintext", func(c *Config) { c.URL = "ldap://h" }, []string{"AllowPlaintext"}},
		{"starttls on ldaps", func(c *Config) { c.StartTLS = true }, []string{"StartTLS:"}},
		{"ca", func(c *Config) { c.CACertPEM = "junk" }, []string{"CACertPEM:"}},
		{"bind dn", func(c *Config) { c.BindDN = "reader" }, []string{"BindDN: not a DN"}},
		{"base dn", func(c *Config) { c.BaseDN = "x" }, []string{"BaseDN: not a DN"}},
		{"no placeholder", func(c *Config) { c.UserFilter = "(uid=x)" },
			[]string{"UserFilter: must contain {0}"}},
		{"bad filter", func(c *Config) { c.UserFilter = "(uid={0}" },
			[]string{"UserFilter: not a valid"}},
		{"group half", func(c *Config) { c.GroupBaseDN = "dc=x" }, []string{"GroupFilter:"}},
		{"group placeholder", func(c *Config) {
			c.GroupBaseDN, c.GroupFilter = "dc=x", "(cn=admins)"
		}, []string{"GroupFilter: must contain {dn} or {0}"}},
		{"empty attribute", func(c *Config) { c.Attributes = []string{"mail", ""} },
			[]string{"Attributes:"}},
		{"timeout", func(c *Config) { c.Timeout = -1 }, []string{"Timeout:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, addr, host string
		tls             bool
	}{
		{"ldap://h", "h:389", "h", false},
		{"ldaps://h", "h:636", "h", true},
		{"LDAPS://h:1636/", "h:1636", "h", true},
		{"ldap://[::1]:10389", "[::1]:10389", "::1", false},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.url)
		want := endpoint{host: tt.host, addr: tt.addr, tls: tt.tls}
		if err != nil || got != want {
			t.Errorf("parseURL(%q) = %+v, %v; want %+v", tt.url, got, err, want)
		}
	}
}

func TestGroupName(t *testing.T) {
	tests := map[string]string{
		"cn=staff,ou=groups,dc=example,dc=org": "staff",
		"CN=Domain Admins,CN=Users,DC=corp":    "Domain Admins",
		"ou=x,cn=inner,dc=y":                   "inner",
		"ou=x,dc=y":                            "ou=x,dc=y",
		"admins":                               "admins",
		`cn=a\,b,dc=x`:                         "a,b",
	}
	for in, want := range tests {
		if got := groupName(in); got != want {
			t.Errorf("groupName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	got := substitute("(&(uid={0})(member={dn}))", "a*)(", "cn=x(y)")
	if want := `(&(uid=a\2a\29\28)(member=cn=x\28y\29))`; got != want {
		t.Errorf("substitute = %q, want %q", got, want)
	}
	if got := substitute("(uid={0})", "{dn}", "cn=x"); got != "(uid={dn})" {
		t.Errorf("substitute replaced inside the username: %q", got)
	}
}

// FuzzSubstitute: whatever the username, the filter still parses and holds exactly the
// one equality clause the administrator wrote, with the username as its literal value.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"alice", "*", "a*", "*)(uid=*", "admin)(|(uid=*", "\x00",
		`\2a`, "{0}", "{dn}", "é", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, username string) {
		filter := substitute("(uid={0})", username, "")
		if strings.Count(filter, "*") != 0 {
			t.Fatalf("unescaped * in %q", filter)
		}
		packet, err := ldap.CompileFilter(filter)
		if err != nil {
			t.Fatalf("CompileFilter(%q): %v", filter, err)
		}
		if packet.Tag != ldap.FilterEqualityMatch {
			t.Fatalf("filter %q became tag %d, want an equality match", filter, packet.Tag)
		}
		back, err := ldap.DecompileFilter(packet)
		if err != nil {
			t.Fatalf("DecompileFilter(%q): %v", filter, err)
		}
		if got := packet.Children[1].Data.String(); got != username {
			t.Fatalf("value = %q, want %q (filter %q, decompiled %q)", got, username, filter, back)
		}
	})
}
