package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Addr, c.DB, c.LogLevel, c.Credentials.MaxPerUser = "nope", "mysql://x", "loud", 0
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken configuration")
	}
	for _, want := range []string{"addr", "db", "log_level", "credentials.max_per_user"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if d := Default(); d.Validate() != nil {
		t.Fatalf("defaults do not validate: %v", d.Validate())
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := Default()
	c.AdminPassword, c.MasterKey = "hunter2-hunter2", "00ff"
	c.DB = "postgres://atrium:pg-secret@db.example:5432/atrium"
	c.SMTP.Password = "smtp-secret"
	out := c.Redacted()
	for _, secret := range []string{"hunter2-hunter2", "00ff", "pg-secret", "smtp-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("dump shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "db.example") {
		t.Errorf("dump lost the database host:\n%s", out)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("addr: 0.0.0.0:9000\nauth:\n  token_expiration: 12h\n"+
		"credentials:\n  max_expiration: 90d\n"), 0o600)
	c := Default()
	if err := c.LoadFile(good); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || time.Duration(c.Auth.TokenExpiration) != 12*time.Hour ||
		time.Duration(c.Credentials.MaxExpiration) != 90*24*time.Hour {
		t.Fatalf("loaded %+v", c)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("adr: typo\n"), 0o600)
	if d := Default(); d.LoadFile(bad) == nil {
		t.Fatal("an unknown key was accepted")
	}
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)
	if d := Default(); d.LoadFile(empty) != nil {
		t.Fatalf("empty file: %v", d.LoadFile(empty))
	}
}

func TestEnvOverridesFile(t *testing.T) {
	c := Default()
	env := map[string]string{"ATRIUM_ADDR": "127.0.0.1:1", "ATRIUM_DB": "postgres://h/db"}
	c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if c.Addr != "127.0.0.1:1" || c.DB != "postgres://h/db" || c.Data != "./atrium-data" {
		t.Fatalf("after env: %+v", c)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90": 90 * time.Second, "2d": 48 * time.Hour,
		"1h30m": 90 * time.Minute} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDuration("soon"); err == nil {
		t.Error("ParseDuration accepted nonsense")
	}
}
