package ldapauth_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"atrium/internal/netguard"
	"atrium/internal/sso/ldapauth"
	"atrium/internal/testutil/slapd"
)

// dial is the dialer the server passes in production, allowing loopback as tests need.
var dial ldapauth.Dialer = netguard.Policy{AllowPrivate: true, Timeout: 2 * time.Second}.DialContext

// directory is a running slapd seeded with two users in two groups.
type directory struct {
	srv            *slapd.Server
	aliceDN, bobDN string
	devsDN         string
	alicePW, bobPW string
}

func newDirectory(t *testing.T) *directory {
	t.Helper()
	srv := slapd.Start(t)
	d := &directory{srv: srv, alicePW: "alice-secret", bobPW: "bob-secret"}
	d.aliceDN = srv.AddUser(t, "alice", d.alicePW, "alice@example.org", "Alice Adams",
		"Alice", "Adams")
	d.bobDN = srv.AddUser(t, "bob", d.bobPW, "bob@example.org", "Bob Brown", "Bob", "Brown")
	srv.AddGroup(t, "staff", d.aliceDN, d.bobDN)
	srv.AddGroup(t, "devs", d.aliceDN)
	d.devsDN = srv.GroupDN("devs")
	return d
}

// config returns a StartTLS configuration that uses the reader account and searches
// groups; tests change what they exercise.
func (d *directory) config() ldapauth.Config {
	return ldapauth.Config{
		URL:          d.srv.URL,
		StartTLS:     true,
		CACertPEM:    d.srv.CACertPEM,
		BindDN:       d.srv.ReaderDN,
		BindPassword: d.srv.ReaderPassword,
		BaseDN:       "ou=people," + d.srv.BaseDN,
		UserFilter:   "(&(objectClass=inetOrgPerson)(uid={0}))",
		Attributes:   []string{"mail", "cn", "givenName", "sn"},
		GroupBaseDN:  "ou=groups," + d.srv.BaseDN,
		GroupFilter:  "(&(objectClass=groupOfNames)(member={dn}))",
		Timeout:      5 * time.Second,
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)

	tests := []struct {
		name   string
		change func(*ldapauth.Config)
	}{
		{"starttls", func(*ldapauth.Config) {}},
		{"ldaps", func(c *ldapauth.Config) { c.URL, c.StartTLS = d.srv.LDAPSURL, false }},
		{"ldaps by name", func(c *ldapauth.Config) {
			c.URL, c.StartTLS = strings.Replace(d.srv.LDAPSURL, "127.0.0.1", "localhost", 1), false
		}},
		{"plaintext allowed", func(c *ldapauth.Config) { c.StartTLS, c.AllowPlaintext = false, true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.config()
			tt.change(&c)
			got, err := ldapauth.Authenticate(context.Background(), dial, c, "alice", d.alicePW)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if got.DN != d.aliceDN {
				t.Errorf("DN = %q, want %q", got.DN, d.aliceDN)
			}
			if mail := got.Attributes["mail"]; !slices.Equal(mail, []string{"alice@example.org"}) {
				t.Errorf("mail = %q, want [alice@example.org]", mail)
			}
			if cn := got.Attributes["cn"]; !slices.Equal(cn, []string{"Alice Adams"}) {
				t.Errorf("cn = %q, want [Alice Adams]", cn)
			}
			assertGroups(t, got.Groups, "staff", "devs")
		})
	}
}

func TestAuthenticateGroupAttribute(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	c := d.config()
	c.GroupBaseDN, c.GroupFilter = "", ""
	c.GroupAttribute = "memberOf" // kept by slapd's memberof overlay

	got, err := ldapauth.Authenticate(context.Background(), dial, c, "bob", d.bobPW)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	assertGroups(t, got.Groups, "staff")

	// A multi-valued attribute that mixes DNs and plain names.
	c.GroupAttribute = "description"
	d.srv.SetAttribute(t, d.bobDN, "description", d.devsDN, "ou=no-cn,dc=example,dc=org", "ops")
	got, err = ldapauth.Authenticate(context.Background(), dial, c, "bob", d.bobPW)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	assertGroups(t, got.Groups, "devs", "ou=no-cn,dc=example,dc=org", "ops")
}

func TestGroupMembershipChange(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	both := d.config()
	both.GroupAttribute = "memberOf"

	signIn := func() []string {
		t.Helper()
		got, err := ldapauth.Authenticate(context.Background(), dial, both, "bob", d.bobPW)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		return got.Groups
	}

	assertGroups(t, signIn(), "staff")
	d.srv.SetGroupMembers(t, "devs", d.aliceDN, d.bobDN)
	assertGroups(t, signIn(), "staff", "devs")
	d.srv.SetGroupMembers(t, "staff", d.aliceDN)
	d.srv.SetGroupMembers(t, "devs")
	assertGroups(t, signIn())
}

func assertGroups(t *testing.T, got []string, want ...string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	// A user whose uid holds a wildcard, to prove "a*" is looked up literally.
	starDN := d.srv.AddUser(t, "a*", "star-secret", "", "Star", "", "Star")
	// Two entries with one mail: a filter on mail is ambiguous for it.
	d.srv.AddUser(t, "carol", "carol-secret", "shared@example.org", "Carol", "", "C")
	d.srv.AddUser(t, "dave", "dave-secret", "shared@example.org", "Dave", "", "D")

	tests := []struct {
		name, username, password string
		filter                   string // default: by uid
	}{
		{name: "wrong password", username: "alice", password: "nope"},
		{name: "other user's password", username: "bob", password: d.alicePW},
		{name: "unknown user", username: "mallory", password: d.alicePW},
		{name: "star", username: "*", password: d.alicePW},
		{name: "prefix star", username: "a*", password: d.alicePW},
		{name: "close and reopen", username: "*)(uid=*", password: d.alicePW},
		{name: "or injection", username: "admin)(|(uid=*", password: d.alicePW},
		{name: "backslash", username: `alic\65`, password: d.alicePW},
		{name: "nul byte", username: "alice\x00", password: d.alicePW},
		{name: "nul then star", username: "\x00*", password: d.alicePW},
		{name: "placeholder text", username: "{dn}", password: d.alicePW},
		{name: "several matches", username: "shared@example.org", password: "carol-secret",
			filter: "(mail={0})"},
		{name: "star on mail", username: "*", password: "carol-secret", filter: "(mail={0})"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.config()
			if tt.filter != "" {
				c.UserFilter = tt.filter
			}
			got, err := ldapauth.Authenticate(context.Background(), dial, c, tt.username, tt.password)
			if !errors.Is(err, ldapauth.ErrInvalidCredentials) {
				t.Fatalf("Authenticate(%q) = %+v, %v; want ErrInvalidCredentials",
					tt.username, got, err)
			}
			if got.DN != "" {
				t.Errorf("DN = %q on failure, want empty", got.DN)
			}
		})
	}

	got, err := ldapauth.Authenticate(context.Background(), dial, d.config(), "a*", "star-secret")
	if err != nil || got.DN != starDN {
		t.Errorf(`Authenticate("a*") = %q, %v; want %q`, got.DN, err, starDN)
	}
}

// TestEmptyInputNeverReachesServer: an empty password would be an unauthenticated bind.
func TestEmptyInputNeverReachesServer(t *testing.T) {
	t.Parallel()
	noDial := func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialled for an empty username or password")
		return nil, errors.New("must not dial")
	}
	c := validConfig()
	for _, in := range [][2]string{{"alice", ""}, {"", "secret"}, {"", ""}} {
		_, err := ldapauth.Authenticate(context.Background(), noDial, c, in[0], in[1])
		if !errors.Is(err, ldapauth.ErrInvalidCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v, want ErrInvalidCredentials", in[0], in[1], err)
		}
	}
}

func TestTLSFailures(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	wrongCA, err := slapd.NewUntrustedCAPEM()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		change func(*ldapauth.Config)
	}{
		{"starttls wrong CA", func(c *ldapauth.Config) { c.CACertPEM = wrongCA }},
		{"ldaps wrong CA", func(c *ldapauth.Config) {
			c.URL, c.StartTLS, c.CACertPEM = d.srv.LDAPSURL, false, wrongCA
		}},
		{"starttls no CA", func(c *ldapauth.Config) { c.CACertPEM = "" }},
		{"ldaps to the plain port", func(c *ldapauth.Config) {
			c.URL = strings.Replace(d.srv.URL, "ldap://", "ldaps://", 1)
			c.StartTLS = false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.config()
			tt.change(&c)
			_, err := ldapauth.Authenticate(context.Background(), dial, c, "alice", d.alicePW)
			if !errors.Is(err, ldapauth.ErrTLS) {
				t.Fatalf("Authenticate = %v, want ErrTLS", err)
			}
			if err := ldapauth.Test(context.Background(), dial, c); !errors.Is(err, ldapauth.ErrTLS) {
				t.Fatalf("Test = %v, want ErrTLS", err)
			}
		})
	}
}

func TestPlaintextNeedsConsent(t *testing.T) {
	t.Parallel()
	noDial := func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialled with a refused configuration")
		return nil, errors.New("must not dial")
	}
	c := validConfig()
	c.URL, c.StartTLS = "ldap://127.0.0.1:1", false

	_, err := ldapauth.Authenticate(context.Background(), noDial, c, "alice", "secret")
	if !errors.Is(err, ldapauth.ErrInvalidConfig) || !strings.Contains(err.Error(), "AllowPlaintext") {
		t.Errorf("Authenticate = %v, want ErrInvalidConfig naming AllowPlaintext", err)
	}
	err = ldapauth.Test(context.Background(), noDial, c)
	if !errors.Is(err, ldapauth.ErrInvalidConfig) {
		t.Errorf("Test = %v, want ErrInvalidConfig", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	closed := closedPort(t)
	silent, _ := silentServer(t)

	tests := []struct {
		name, url string
		startTLS  bool
		want      error
	}{
		{"closed port", "ldaps://" + closed, false, ldapauth.ErrUnreachable},
		{"silent ldaps", "ldaps://" + silent, false, ldapauth.ErrTLS},
		{"silent starttls", "ldap://" + silent, true, ldapauth.ErrTLS},
		{"metadata address", "ldaps://169.254.169.254:636", false, netguard.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			c.URL, c.StartTLS, c.Timeout = tt.url, tt.startTLS, 2*time.Second

			start := time.Now()
			_, err := ldapauth.Authenticate(context.Background(), dial, c, "alice", "secret")
			if !errors.Is(err, tt.want) {
				t.Errorf("Authenticate = %v, want %v", err, tt.want)
			}
			// 2s, plus slack for a loaded machine running with -race.
			if elapsed := time.Since(start); elapsed > 3500*time.Millisecond {
				t.Errorf("took %s, want at most the 2s timeout", elapsed)
			}
		})
	}
}

// TestContextCancel: the caller's context ends a session that Config.Timeout alone
// would let wait a minute.
func TestContextCancel(t *testing.T) {
	t.Parallel()
	silent, accepted := silentServer(t)
	c := validConfig()
	c.URL, c.StartTLS, c.AllowPlaintext = "ldap://"+silent, false, true
	c.Timeout = time.Minute

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-accepted
		time.Sleep(100 * time.Millisecond) // let the bind request go out
		cancel()
	}()
	start := time.Now()
	_, err := ldapauth.Authenticate(ctx, dial, c, "alice", "secret")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ldapauth.ErrServiceBind) {
		t.Errorf("Authenticate = %v, want ErrServiceBind and context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s after the cancel", elapsed)
	}
}

func TestTest(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	closed := closedPort(t)
	wrongCA, err := slapd.NewUntrustedCAPEM()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		change func(*ldapauth.Config)
		want   error // nil: success
	}{
		{"ok starttls", func(*ldapauth.Config) {}, nil},
		{"ok ldaps", func(c *ldapauth.Config) { c.URL, c.StartTLS = d.srv.LDAPSURL, false }, nil},
		{"invalid config", func(c *ldapauth.Config) { c.UserFilter = "(uid=x)" },
			ldapauth.ErrInvalidConfig},
		{"unreachable", func(c *ldapauth.Config) { c.URL = "ldap://" + closed },
			ldapauth.ErrUnreachable},
		{"tls", func(c *ldapauth.Config) { c.CACertPEM = wrongCA }, ldapauth.ErrTLS},
		{"service password", func(c *ldapauth.Config) { c.BindPassword = "wrong" },
			ldapauth.ErrServiceBind},
		{"service DN", func(c *ldapauth.Config) { c.BindDN = "cn=ghost," + d.srv.BaseDN },
			ldapauth.ErrServiceBind},
		{"missing base DN", func(c *ldapauth.Config) { c.BaseDN = "ou=nowhere," + d.srv.BaseDN },
			ldapauth.ErrSearch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.config()
			tt.change(&c)
			err := ldapauth.Test(context.Background(), dial, c)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Errorf("Test = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestServiceBindFailureIsNotTheUsers: a broken service account must not look like a
// wrong password.
func TestServiceBindFailureIsNotTheUsers(t *testing.T) {
	t.Parallel()
	d := newDirectory(t)
	c := d.config()
	c.BindPassword = "wrong"
	_, err := ldapauth.Authenticate(context.Background(), dial, c, "alice", d.alicePW)
	if !errors.Is(err, ldapauth.ErrServiceBind) || errors.Is(err, ldapauth.ErrInvalidCredentials) {
		t.Errorf("Authenticate = %v, want ErrServiceBind only", err)
	}
}

// validConfig passes Validate and points nowhere useful.
func validConfig() ldapauth.Config {
	return ldapauth.Config{
		URL:          "ldaps://127.0.0.1:1",
		BindDN:       "cn=reader,dc=example,dc=org",
		BindPassword: "secret",
		BaseDN:       "dc=example,dc=org",
		UserFilter:   "(uid={0})",
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentServer returns the address of a listener that accepts connections and never
// answers, and a channel that receives after each accepted connection.
func silentServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		for {
			conn, err := l.Accept()
			if err != nil {
				break
			}
			conns = append(conns, conn)
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String(), accepted
}
