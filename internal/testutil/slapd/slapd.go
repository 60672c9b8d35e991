// Package slapd runs a real OpenLDAP server for tests: a throwaway slapd on loopback ports,
// with its own certificate authority, an mdb database under dc=example,dc=org, the
// memberof overlay, and helpers that seed users and groups through the LDAP protocol.
//
// Each Start gets its own temporary folder and ports, so tests and packages may run in
// parallel. When no slapd binary is installed the test is skipped, unless
// ATRIUM_REQUIRE_SLAPD=1 is set (CI), where it fails instead.
package slapd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// Server describes a running slapd. All fields are read-only.
type Server struct {
	URL       string // ldap://127.0.0.1:port, plain with StartTLS available
	LDAPSURL  string // ldaps://127.0.0.1:port
	CACertPEM string // the CA that signed the server certificate

	BaseDN        string
	AdminDN       string // the database's root DN: bypasses access control
	AdminPassword string
	// ReaderDN is an ordinary entry allowed to search the tree, the way a directory's
	// service account is, but not to read password hashes.
	ReaderDN       string
	ReaderPassword string

	dir string
}

const (
	baseDN         = "dc=example,dc=org"
	adminPassword  = "admin-secret"
	readerPassword = "reader-secret"
	startAttempts  = 3
	readyTimeout   = 15 * time.Second
)

// Start runs a new slapd and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := findBinary()
	if bin == "" {
		if os.Getenv("ATRIUM_REQUIRE_SLAPD") == "1" {
			t.Fatal("slapd: no slapd binary found and ATRIUM_REQUIRE_SLAPD=1")
		}
		t.Skip("slapd: no slapd binary found (install the slapd package)")
	}

	c, err := newCerts()
	if err != nil {
		t.Fatalf("slapd: %v", err)
	}
	s := &Server{
		CACertPEM:      string(c.caPEM),
		BaseDN:         baseDN,
		AdminDN:        "cn=admin," + baseDN,
		AdminPassword:  adminPassword,
		ReaderDN:       "cn=reader," + baseDN,
		ReaderPassword: readerPassword,
	}

	// A port picked free may be taken again before slapd binds it; try fresh ones.
	for attempt := 1; ; attempt++ {
		err = s.start(t, bin, c)
		if err == nil {
			break
		}
		if attempt == startAttempts {
			t.Fatalf("slapd: %v", err)
		}
		t.Logf("slapd: attempt %d: %v; retrying", attempt, err)
	}

	if err := s.seed(); err != nil {
		t.Fatalf("slapd: seed directory: %v", err)
	}
	return s
}

// findBinary looks for slapd on PATH, then where Debian installs it.
func findBinary() string {
	if p, err := exec.LookPath("slapd"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/slapd", "/usr/local/libexec/slapd", "/usr/libexec/slapd"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// start writes a fresh configuration into a new temporary folder and runs slapd on two
// free ports, returning once it answers a bind.
func (s *Server) start(t testing.TB, bin string, c certs) error {
	s.dir = t.TempDir()
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(ports[0])
	s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(ports[1])

	conf, err := s.writeFiles(c)
	if err != nil {
		return err
	}

	logPath := filepath.Join(s.dir, "slapd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create log: %w", err)
	}
	defer logFile.Close()

	// -d keeps slapd in the foreground so the test owns the process; level 0 logs only
	// start-up failures. As root it keeps running as root: no -u/-g needed.
	cmd := exec.Command(bin, "-d", "0", "-f", conf, "-h", s.URL+"/ "+s.LDAPSURL+"/")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go p.wait()
	t.Cleanup(p.stop)

	if err := s.waitReady(p); err != nil {
		p.stop()
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w\nslapd log:\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

// process is a running slapd.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once slapd has exited
	err    error         // what Wait returned; read only after exited is closed
}

func (p *process) wait() {
	p.err = p.cmd.Wait()
	close(p.exited)
}

// stop asks slapd to shut down and kills it if it has not within five seconds.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := s.adminConn()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("slapd exited during start-up: %v", p.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd not ready after %s: %w", readyTimeout, err)
		}
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeFiles writes the certificates, the database folder and slapd.conf, and returns
// the configuration's path.
func (s *Server) writeFiles(c certs) (string, error) {
	files := map[string][]byte{"ca.pem": c.caPEM, "server.pem": c.certPEM, "server.key": c.keyPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := os.Mkdir(filepath.Join(s.dir, "db"), 0o700); err != nil {
		return "", fmt.Errorf("create database folder: %w", err)
	}

	schemaDir, err := findDir("core.schema", "/etc/ldap/schema", "/etc/openldap/schema",
		"/usr/local/etc/openldap/schema")
	if err != nil {
		return "", err
	}
	// When the backends are built in (no module folder), nothing needs loading.
	moduleDir, _ := findDir("back_mdb.la", "/usr/lib/ldap", "/usr/lib64/openldap",
		"/usr/lib/openldap", "/usr/local/libexec/openldap")

	var conf strings.Builder
	err = confTemplate.Execute(&conf, map[string]string{
		"Dir":           s.dir,
		"SchemaDir":     schemaDir,
		"ModuleDir":     moduleDir,
		"BaseDN":        s.BaseDN,
		"AdminDN":       s.AdminDN,
		"AdminPassword": s.AdminPassword,
		"ReaderDN":      s.ReaderDN,
	})
	if err != nil {
		return "", fmt.Errorf("render slapd.conf: %w", err)
	}
	path := filepath.Join(s.dir, "slapd.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
		return "", fmt.Errorf("write slapd.conf: %w", err)
	}
	return path, nil
}

func findDir(marker string, candidates ...string) (string, error) {
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no folder holds " + marker + " (looked in " +
		strings.Join(candidates, ", ") + ")")
}

// confTemplate is a slapd.conf (the static format, read with -f): simpler to write from a
// test than a cn=config tree, and the same server underneath.
var confTemplate = template.Must(template.New("slapd.conf").Parse(`
include {{.SchemaDir}}/core.schema
include {{.SchemaDir}}/cosine.schema
include {{.SchemaDir}}/inetorgperson.schema
{{if .ModuleDir}}
modulepath {{.ModuleDir}}
moduleload back_mdb
moduleload memberof
{{end}}
pidfile {{.Dir}}/slapd.pid
argsfile {{.Dir}}/slapd.args

TLSCACertificateFile {{.Dir}}/ca.pem
TLSCertificateFile {{.Dir}}/server.pem
TLSCertificateKeyFile {{.Dir}}/server.key

database mdb
maxsize 16777216
suffix "{{.BaseDN}}"
rootdn "{{.AdminDN}}"
rootpw {{.AdminPassword}}
directory {{.Dir}}/db

access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by dn.exact="{{.ReaderDN}}" read
	by self read
	by * none

overlay memberof
`))
