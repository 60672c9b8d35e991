// Package config is Atrium's typed configuration: defaults, an optional YAML file decoded
// strictly, environment variables and flags layered on top, one validation that reports
// every problem at once, and a dump that redacts secrets.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything `atrium serve` can be told.
type Config struct {
	Addr      string `yaml:"addr"`
	Data      string `yaml:"data"`
	DB        string `yaml:"db"`
	PublicURL string `yaml:"public_url"`
	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`

	// AdminEmail and AdminPassword seed the first admin on an empty database.
	AdminEmail    string `yaml:"admin_email"`
	AdminPassword string `yaml:"admin_password"`
	// MasterKey, when set, replaces the key file in Data. Replicas sharing one database
	// must share it.
	MasterKey string `yaml:"master_key"`

	Auth        Auth        `yaml:"auth"`
	Credentials Credentials `yaml:"credentials"`
	Users       Users       `yaml:"users"`
	SMTP        SMTP        `yaml:"smtp"`
	Registry    Registry    `yaml:"registry"`
	Compat      Compat      `yaml:"compat"`
	SSO         SSO         `yaml:"sso"`
}

// SSO configures sign-in through identity providers.
type SSO struct {
	// SessionMaxAge is the absolute lifetime of a web session started at an identity
	// provider: someone removed there loses access at the latest when it ends.
	SessionMaxAge Duration `yaml:"session_max_age"`
	// AllowPrivateAddresses lets discovery, JWKS, metadata and LDAP addresses be loopback
	// or private (an identity provider inside the company network). Link-local and cloud
	// metadata addresses are refused regardless.
	AllowPrivateAddresses bool `yaml:"allow_private_addresses"`
	// Timeout bounds each call to an identity provider or directory.
	Timeout Duration `yaml:"timeout"`
}

// Registry configures the workload registry.
type Registry struct {
	MaxEventsPerTask int64    `yaml:"max_events_per_task"`
	WorkerTimeout    Duration `yaml:"worker_timeout"`
}

// Users configures people and service accounts.
type Users struct {
	MaxActive                 int      `yaml:"max_active"` // 0: no cap
	InvitationTTL             Duration `yaml:"invitation_ttl"`
	AllowAdminServiceAccounts bool     `yaml:"allow_admin_service_accounts"`
}

// SMTP configures outgoing mail; an empty Host means invitations are shown, not sent.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Security string `yaml:"security"` // "starttls" (default), "tls" or "none"
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	// InsecureSkipVerify accepts any server certificate; only for tests and labs.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Auth configures tokens and sign-in.
type Auth struct {
	TokenExpiration    Duration `yaml:"token_expiration"`
	MaxTokenExpiration Duration `yaml:"max_token_expiration"`
	// LastUsedFlush is how often credential last-used times are written in one batch.
	LastUsedFlush Duration `yaml:"last_used_flush"`
}

// Credentials configures API key pairs.
type Credentials struct {
	MaxPerUser    int      `yaml:"max_per_user"`
	MaxExpiration Duration `yaml:"max_expiration"` // 0: pairs may never expire
}

// Compat fixes what Atrium claims to ClearML clients.
type Compat struct {
	APIVersion    string `yaml:"api_version"`
	ServerVersion string `yaml:"server_version"`
}

// Duration is a time.Duration that reads "30d", "12h", "90s" or a number of seconds.
type Duration time.Duration

// UnmarshalYAML accepts the forms ParseDuration does.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads Go durations plus a "d" (days) suffix and bare seconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return v, nil
}

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		Addr:       "127.0.0.1:8008",
		Data:       "./atrium-data",
		LogLevel:   "info",
		LogFormat:  "text",
		AdminEmail: "admin@localhost",
		Auth: Auth{
			TokenExpiration:    Duration(30 * 24 * time.Hour),
			MaxTokenExpiration: Duration(365 * 24 * time.Hour),
			LastUsedFlush:      Duration(5 * time.Second),
		},
		Credentials: Credentials{MaxPerUser: 10},
		Users:       Users{InvitationTTL: Duration(7 * 24 * time.Hour)},
		SMTP:        SMTP{Port: 587, Security: "starttls"},
		Registry: Registry{MaxEventsPerTask: 1_000_000,
			WorkerTimeout: Duration(10 * time.Minute)},
		Compat: Compat{APIVersion: "2.31", ServerVersion: "2.3.0"},
		SSO:    SSO{SessionMaxAge: Duration(12 * time.Hour), Timeout: Duration(10 * time.Second)},
	}
}

// LoadFile decodes a YAML file over c, rejecting unknown keys.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Env is the environment lookup used by ApplyEnv; os.LookupEnv in production.
type Env func(string) (string, bool)

// ApplyEnv overlays ATRIUM_* variables.
func (c *Config) ApplyEnv(env Env) {
	set := func(name string, dst *string) {
		if v, ok := env(name); ok && v != "" {
			*dst = v
		}
	}
	set("ATRIUM_ADDR", &c.Addr)
	set("ATRIUM_DATA", &c.Data)
	set("ATRIUM_DB", &c.DB)
	set("ATRIUM_PUBLIC_URL", &c.PublicURL)
	set("ATRIUM_LOG_LEVEL", &c.LogLevel)
	set("ATRIUM_LOG_FORMAT", &c.LogFormat)
	set("ATRIUM_ADMIN_EMAIL", &c.AdminEmail)
	set("ATRIUM_ADMIN_PASSWORD", &c.AdminPassword)
	set("ATRIUM_MASTER_KEY", &c.MasterKey)
	if v, ok := env("ATRIUM_SSO_ALLOW_PRIVATE_ADDRESSES"); ok {
		c.SSO.AllowPrivateAddresses = v == "1" || strings.EqualFold(v, "true")
	}
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.DB != "" && !IsPostgres(c.DB) {
		errs = append(errs, fmt.Errorf("db %q: only postgres:// or postgresql:// URLs are supported", c.DB))
	}
	if c.DB == "" && c.Data == "" {
		errs = append(errs, errors.New("data: a folder is required for the embedded database"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("public_url %q: must be an http or https URL", c.PublicURL))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log_format %q: want text or json", c.LogFormat))
	}
	if c.Auth.TokenExpiration <= 0 || c.Auth.TokenExpiration > c.Auth.MaxTokenExpiration {
		errs = append(errs, errors.New("auth.token_expiration: must be positive and at most auth.max_token_expiration"))
	}
	if c.SSO.SessionMaxAge <= 0 || c.SSO.SessionMaxAge > c.Auth.MaxTokenExpiration {
		errs = append(errs, errors.New("sso.session_max_age: must be positive and at most auth.max_token_expiration"))
	}
	if c.SSO.Timeout <= 0 || time.Duration(c.SSO.Timeout) > time.Minute {
		errs = append(errs, errors.New("sso.timeout: must be positive and at most 1m"))
	}
	if c.Auth.LastUsedFlush <= 0 {
		errs = append(errs, errors.New("auth.last_used_flush: must be positive"))
	}
	if c.Credentials.MaxPerUser < 1 {
		errs = append(errs, errors.New("credentials.max_per_user: must be at least 1"))
	}
	if c.Credentials.MaxExpiration < 0 {
		errs = append(errs, errors.New("credentials.max_expiration: must not be negative"))
	}
	if c.Users.MaxActive < 0 {
		errs = append(errs, errors.New("users.max_active: must not be negative"))
	}
	if c.Users.InvitationTTL <= 0 {
		errs = append(errs, errors.New("users.invitation_ttl: must be positive"))
	}
	if c.SMTP.Host != "" {
		switch c.SMTP.Security {
		case "starttls", "tls", "none":
		default:
			errs = append(errs, fmt.Errorf("smtp.security %q: want starttls, tls or none",
				c.SMTP.Security))
		}
		if c.SMTP.Port <= 0 || c.SMTP.Port > 65535 {
			errs = append(errs, fmt.Errorf("smtp.port %d: out of range", c.SMTP.Port))
		}
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			errs = append(errs, fmt.Errorf("smtp.from %q: want an e-mail address", c.SMTP.From))
		}
	}
	if c.Registry.MaxEventsPerTask < 1 {
		errs = append(errs, errors.New("registry.max_events_per_task: must be at least 1"))
	}
	if c.Registry.WorkerTimeout <= 0 {
		errs = append(errs, errors.New("registry.worker_timeout: must be positive"))
	}
	if _, err := strconv.ParseFloat(c.Compat.APIVersion, 64); err != nil {
		errs = append(errs, fmt.Errorf("compat.api_version %q: want a version like 2.31", c.Compat.APIVersion))
	}
	return errors.Join(errs...)
}

// IsPostgres reports whether dsn selects PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// ResolvePublicURL fills PublicURL from the bound address when it was not set.
func (c *Config) ResolvePublicURL(bound string) {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + bound
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Redacted returns the configuration as YAML with every secret replaced.
func (c Config) Redacted() string {
	if c.AdminPassword != "" {
		c.AdminPassword = "<redacted>"
	}
	if c.MasterKey != "" {
		c.MasterKey = "<redacted>"
	}
	if c.SMTP.Password != "" {
		c.SMTP.Password = "<redacted>"
	}
	if u, err := url.Parse(c.DB); err == nil && c.DB != "" {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "redacted")
			}
		}
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") || k == "sslkey" {
				q.Set(k, "redacted")
			}
		}
		u.RawQuery = q.Encode()
		c.DB = u.String()
	}
	out, _ := yaml.Marshal(redactedView(c))
	return string(out)
}

// redactedView renders durations readably in the dump.
func redactedView(c Config) map[string]any {
	return map[string]any{
		"addr": c.Addr, "data": c.Data, "db": c.DB, "public_url": c.PublicURL,
		"log_level": c.LogLevel, "log_format": c.LogFormat,
		"admin_email": c.AdminEmail, "admin_password": c.AdminPassword, "master_key": c.MasterKey,
		"auth": map[string]any{
			"token_expiration":     time.Duration(c.Auth.TokenExpiration).String(),
			"max_token_expiration": time.Duration(c.Auth.MaxTokenExpiration).String(),
			"last_used_flush":      time.Duration(c.Auth.LastUsedFlush).String(),
		},
		"sso": map[string]any{
			"session_max_age":         time.Duration(c.SSO.SessionMaxAge).String(),
			"allow_private_addresses": c.SSO.AllowPrivateAddresses,
			"timeout":                 time.Duration(c.SSO.Timeout).String(),
		},
		"credentials": map[string]any{
			"max_per_user":   c.Credentials.MaxPerUser,
			"max_expiration": time.Duration(c.Credentials.MaxExpiration).String(),
		},
		"users": map[string]any{
			"max_active":                   c.Users.MaxActive,
			"invitation_ttl":               time.Duration(c.Users.InvitationTTL).String(),
			"allow_admin_service_accounts": c.Users.AllowAdminServiceAccounts,
		},
		"smtp": map[string]any{
			"host": c.SMTP.Host, "port": c.SMTP.Port, "security": c.SMTP.Security,
			"username": c.SMTP.Username, "password": c.SMTP.Password, "from": c.SMTP.From,
			"insecure_skip_verify": c.SMTP.InsecureSkipVerify,
		},
		"registry": map[string]any{
			"max_events_per_task": c.Registry.MaxEventsPerTask,
			"worker_timeout":      time.Duration(c.Registry.WorkerTimeout).String(),
		},
		"compat": map[string]any{
			"api_version": c.Compat.APIVersion, "server_version": c.Compat.ServerVersion,
		},
	}
}
