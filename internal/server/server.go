// Package server wires Atrium together: it opens the store, builds the services, mounts
// the ClearML API, the web UI and the operator endpoints on one handler, and serves until
// its context ends. An end-to-end test starts the whole server in-process on port 0.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"atrium/internal/access"
	"atrium/internal/api"
	"atrium/internal/audit"
	"atrium/internal/config"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/mail"
	"atrium/internal/netguard"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/sso"
	"atrium/internal/store"
	"atrium/internal/vault"
	"atrium/internal/web"
)

// Build describes the binary, set by the linker or "dev".
type Build struct {
	Version string
	Commit  string
}

// Server is a running Atrium.
type Server struct {
	cfg   config.Config
	log   *slog.Logger
	build Build

	Store       *store.Store
	Identity    *identity.Service
	Credentials *credential.Service
	Audit       *audit.Log
	Registry    *registry.Service
	Vaults      *vault.Service
	Access      *access.Service
	SSO         *sso.Service
	keys        *secret.Keyring

	listener net.Listener
	handler  http.Handler
	http     *http.Server
	bg       sync.WaitGroup
	stopBG   context.CancelFunc
}

// Open prepares a server: storage, migrations, keys, services, the first admin, and the
// listening socket (so the URL is known before Serve).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, build Build) (*Server, error) {
	s := &Server{cfg: cfg, log: log, build: build}
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		s.Store.Close()
		return nil, err
	}
	if err := s.buildServices(ctx); err != nil {
		s.listener.Close()
		s.Store.Close()
		return nil, err
	}
	if err := s.buildHTTP(); err != nil {
		s.listener.Close()
		s.Store.Close()
		return nil, err
	}
	// Start-up work (migrations, the first admin's password hash) leaves garbage behind;
	// hand it back now rather than holding it while idle.
	debug.FreeOSMemory()
	return s, nil
}

// OpenStore opens and migrates the configured database; the shell commands use it too.
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DB, cfg.Data, log)
	if err != nil {
		return nil, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n, "dialect", string(st.Dialect()))
	}
	return st, nil
}

func (s *Server) openStore(ctx context.Context) error {
	st, err := OpenStore(ctx, s.cfg, s.log)
	if err != nil {
		return err
	}
	s.Store = st
	return nil
}

// Services are the domain services over one store, shared by the server and the shell.
type Services struct {
	Identity    *identity.Service
	Credentials *credential.Service
	Audit       *audit.Log
	Keys        *secret.Keyring
	Registry    *registry.Service
	Vaults      *vault.Service
	Access      *access.Service
	SSO         *sso.Service
}

// NewServices builds the domain services over st.
func NewServices(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger,
	version string) (Services, error) {
	if err := checkMasterKey(ctx, cfg, st); err != nil {
		return Services{}, err
	}
	master, created, err := secret.LoadMaster(cfg.MasterKey, cfg.Data)
	if err != nil {
		return Services{}, err
	}
	if created {
		log.Info("created a new master key", "path", cfg.Data+"/master.key")
	}
	keys, err := secret.New(master)
	if err != nil {
		return Services{}, err
	}
	now := func() time.Time { return time.Now().UTC() }
	auditLog := audit.New(st, now)
	var mailer identity.Mailer
	if cfg.SMTP.Host != "" {
		mailer = mail.New(cfg.SMTP)
	}
	ids := identity.New(st, auditLog, keys, now, log, identity.Options{
		Version:                   version,
		PublicURL:                 cfg.PublicURL,
		MaxActiveUsers:            cfg.Users.MaxActive,
		InvitationTTL:             time.Duration(cfg.Users.InvitationTTL),
		AllowAdminServiceAccounts: cfg.Users.AllowAdminServiceAccounts,
		Mailer:                    mailer,
	})
	creds, err := credential.New(ctx, st, ids, auditLog, keys, now, log, credential.Options{
		TokenExpiration:    time.Duration(cfg.Auth.TokenExpiration),
		MaxTokenExpiration: time.Duration(cfg.Auth.MaxTokenExpiration),
		MaxPerUser:         cfg.Credentials.MaxPerUser,
		MaxExpiration:      time.Duration(cfg.Credentials.MaxExpiration),
		APIVersion:         cfg.Compat.APIVersion,
		ServerVersion:      cfg.Compat.ServerVersion,
		LastUsedFlush:      time.Duration(cfg.Auth.LastUsedFlush),
		// Vaults exist, so tokens say so: clients fetch users.get_vaults unless "basic".
		FeatureSet: func() string { return "advanced" },
	})
	if err != nil {
		return Services{}, err
	}
	vaults := vault.New(st, ids, auditLog, keys, now, log)
	ids.RegisterGroupUse(vaults.VaultsUsingGroup)
	rules := access.New(st, ids, auditLog, now, log)
	ids.RegisterGroupUse(rules.RulesUsingGroup)
	idps := sso.New(st, ids, auditLog, keys, now, log, sso.Options{PublicURL: cfg.PublicURL,
		Guard: netguard.Policy{AllowPrivate: cfg.SSO.AllowPrivateAddresses,
			Timeout: time.Duration(cfg.SSO.Timeout)}})
	st.Subscribe(func(c store.Change) {
		switch c.Topic {
		case identity.Topic:
			ids.Invalidate(c.ID)
		case vault.Topic, identity.GroupTopic:
			vaults.OnChange(c.ID)
		case access.Topic:
			rules.OnChange(c.ID)
		case sso.Topic:
			idps.OnChange(c.ID)
		case store.TopicAll:
			ids.Invalidate(c.ID)
			vaults.OnChange(c.ID)
			rules.OnChange(c.ID)
			idps.OnChange(c.ID)
		}
		creds.OnChange(c.Topic, c.ID)
	})
	reg := registry.New(st, rules, auditLog, now, log, registry.Options{
		MaxEventsPerTask: cfg.Registry.MaxEventsPerTask,
		WorkerTimeout:    time.Duration(cfg.Registry.WorkerTimeout),
	})
	rules.SetObjects(reg)
	return Services{Identity: ids, Credentials: creds, Audit: auditLog, Keys: keys,
		Registry: reg, Vaults: vaults, Access: rules, SSO: idps}, nil
}

// checkMasterKey refuses to create a new master key for a database that already holds
// secrets sealed under another one: they could never be opened again.
func checkMasterKey(ctx context.Context, cfg config.Config, st *store.Store) error {
	if cfg.MasterKey != "" || secret.MasterExists(cfg.Data) {
		return nil
	}
	if _, err := st.Setting(ctx, "token_secret"); err == nil {
		return fmt.Errorf("the database was set up with a master key, but %s/master.key is "+
			"missing and ATRIUM_MASTER_KEY is not set; restore the key file (or the variable) "+
			"the server ran with", cfg.Data)
	}
	return nil
}

func (s *Server) buildServices(ctx context.Context) error {
	svc, err := NewServices(ctx, s.cfg, s.Store, s.log, s.build.Version)
	if err != nil {
		return err
	}
	s.Identity, s.Credentials, s.Audit, s.keys = svc.Identity, svc.Credentials, svc.Audit, svc.Keys
	s.Registry, s.Vaults, s.Access, s.SSO = svc.Registry, svc.Vaults, svc.Access, svc.SSO
	ws, generated, err := s.Identity.Bootstrap(ctx, s.cfg.AdminEmail, s.cfg.AdminPassword)
	if err != nil {
		return err
	}
	if err := s.ensureAccessDefaults(ctx); err != nil {
		return err
	}
	if generated != "" {
		// Logged once, on the first start only: the operator's one chance to read it.
		s.log.Warn("created the first admin with a generated password; change it after "+
			"signing in", "email", strings.ToLower(s.cfg.AdminEmail), "password", generated,
			"workspace_id", ws.ID)
	}
	return nil
}

// ensureAccessDefaults gives every workspace its default access rules once.
func (s *Server) ensureAccessDefaults(ctx context.Context) error {
	all, err := s.Store.Workspaces(ctx)
	if err != nil {
		return err
	}
	for _, ws := range all {
		if err := s.Access.EnsureDefaults(ctx, ws.ID); err != nil {
			return fmt.Errorf("default access rules: %w", err)
		}
	}
	return nil
}

func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	s.cfg.ResolvePublicURL(ln.Addr().String())
	return nil
}

func (s *Server) buildHTTP() error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(
		collectors.ProcessCollectorOpts{}))
	secure := strings.HasPrefix(s.cfg.PublicURL, "https://")
	apiHandler := api.New(api.Services{Identity: s.Identity, Credentials: s.Credentials,
		Registry: s.Registry, Vaults: s.Vaults, Access: s.Access, SSO: s.SSO},
		s.log, api.NewMetrics(reg), api.Options{
			APIVersion: s.cfg.Compat.APIVersion, ServerVersion: s.cfg.Compat.ServerVersion,
			Version: s.build.Version, Commit: s.build.Commit, PublicURL: s.cfg.PublicURL,
			SecureCookies: secure,
		}, time.Now)
	ui, err := web.New(web.Services{Identity: s.Identity, Credentials: s.Credentials,
		Keys: s.keys, Vaults: s.Vaults, Registry: s.Registry, Access: s.Access, SSO: s.SSO},
		s.log, web.Options{PublicURL: s.cfg.PublicURL, SecureCookies: secure,
			Version: s.build.Version, APIVersion: s.cfg.Compat.APIVersion,
			ServerVersion:    s.cfg.Compat.ServerVersion,
			SSOSessionMaxAge: time.Duration(s.cfg.SSO.SessionMaxAge)})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ui.Mount(mux)
	callback := ui.Callback()
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Identity providers return to /callback_<id>; everything else unmatched is the API.
		if strings.HasPrefix(r.URL.Path, web.CallbackPrefix) {
			callback.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	}))
	s.handler = mux
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// A body trickled in slower than this is cut off; 15 MiB needs far less.
		ReadTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// URL is the public URL the server announces.
func (s *Server) URL() string { return s.cfg.PublicURL }

// Addr is the bound listening address.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Handler is the whole HTTP handler, for in-process tests.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves until ctx ends, then finishes in-flight requests, flushes buffered writes
// and closes the database.
func (s *Server) Serve(ctx context.Context) error {
	bgCtx, stop := context.WithCancel(context.Background())
	s.stopBG = stop
	s.Store.Listen(bgCtx)
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		s.Credentials.Run(bgCtx)
	}()
	go func() {
		defer s.bg.Done()
		s.Identity.Run(bgCtx, time.Duration(s.cfg.Auth.LastUsedFlush))
	}()
	s.log.Info("listening", "url", s.cfg.PublicURL, "addr", s.Addr(),
		"database", string(s.Store.Dialect()), "version", s.build.Version)

	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	select {
	case err := <-errc:
		s.shutdownBackground()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.http.Shutdown(shutCtx)
	s.shutdownBackground()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close releases a server that was opened but never served.
func (s *Server) Close() error {
	s.listener.Close()
	return s.Store.Close()
}

func (s *Server) shutdownBackground() {
	s.stopBG()
	s.bg.Wait()
	if err := s.Store.Close(); err != nil {
		s.log.Warn("close database", "error", err)
	}
}
