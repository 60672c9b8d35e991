package sso

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/netguard"
	"atrium/internal/secret"
)

// Identities is what sign-in needs of users and groups; identity.Service implements it.
type Identities interface {
	WorkspaceGroups(ctx context.Context, workspaceID string) ([]identity.GroupView, error)
	WorkspaceUserByEmail(ctx context.Context, wsID, email string) (identity.User, bool, error)
	UserByID(ctx context.Context, wsID, id string) (identity.User, error)
	MayJoin(ctx context.Context, wsID, email string) (bool, error)
	AdmitExternal(ctx context.Context, wsID string, p identity.ExternalProfile, method string) (
		identity.User, error)
	SyncExternal(ctx context.Context, wsID, userID string, want []string, admin *bool) (
		[]string, error)
	RecordSignIn(wsID, userID, method string)
	CheckSignInThrottle(account, address string) error
	SignInFailed(account, address string)
	SignInSucceeded(account, address string)
}

// Options configures the service.
type Options struct {
	// PublicURL is the server's external URL; callbacks and metadata are built on it.
	PublicURL string
	// Guard decides which addresses discovery, JWKS, metadata and LDAP may reach.
	Guard netguard.Policy
}

// Service is the identity provider domain service.
type Service struct {
	store Store
	ids   Identities
	audit *audit.Log
	keys  *secret.Keyring
	now   func() time.Time
	log   *slog.Logger
	opts  Options

	mu    sync.RWMutex
	cache map[string][]Connection // active and inactive connections by workspace
	rev   uint64
}

// New returns the service.
func New(store Store, ids Identities, log *audit.Log, keys *secret.Keyring,
	now func() time.Time, logger *slog.Logger, opts Options) *Service {
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Service{store: store, ids: ids, audit: log, keys: keys, now: now, log: logger,
		opts: opts, cache: map[string][]Connection{}}
}

// OnChange drops the cached connections of a workspace ("" or "*": all).
func (s *Service) OnChange(workspaceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev++
	if workspaceID == "" || workspaceID == "*" {
		s.cache = map[string][]Connection{}
		return
	}
	delete(s.cache, workspaceID)
}

// connections returns a workspace's connections, secrets opened, from cache.
func (s *Service) connections(ctx context.Context, wsID string) ([]Connection, error) {
	s.mu.RLock()
	list, ok := s.cache[wsID]
	rev := s.rev
	s.mu.RUnlock()
	if ok {
		return list, nil
	}
	recs, err := s.store.SSOConnections(ctx, wsID)
	if err != nil {
		return nil, err
	}
	list = make([]Connection, 0, len(recs))
	for _, r := range recs {
		c, err := s.open(r)
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	s.mu.Lock()
	if s.rev == rev {
		s.cache[wsID] = list
	}
	s.mu.Unlock()
	return list, nil
}

func sealContext(id string) string { return "sso-connection:" + id }

func (s *Service) open(r Record) (Connection, error) {
	c := Connection{ID: r.ID, WorkspaceID: r.WorkspaceID, Provider: r.Provider,
		Protocol: Protocol(r.Protocol), DisplayName: r.DisplayName, Active: r.Active,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Settings), &c.Settings); err != nil {
		return Connection{}, apperr.New(apperr.Internal, "connection %s: settings: %v", r.ID, err)
	}
	if r.Secrets != "" {
		plain, err := s.keys.Open(r.Secrets, sealContext(r.ID))
		if err != nil {
			return Connection{}, apperr.New(apperr.Internal, "connection %s: secrets: %v", r.ID,
				err)
		}
		if err := json.Unmarshal(plain, &c.Secrets); err != nil {
			return Connection{}, apperr.New(apperr.Internal, "connection %s: secrets: %v", r.ID,
				err)
		}
	}
	return c, nil
}

func (s *Service) record(c Connection) Record {
	settings, _ := json.Marshal(c.Settings)
	secrets, _ := json.Marshal(c.Secrets)
	return Record{ID: c.ID, WorkspaceID: c.WorkspaceID, Provider: c.Provider,
		Protocol: string(c.Protocol), DisplayName: c.DisplayName, Active: c.Active,
		Settings: string(settings), Secrets: s.keys.Seal(secrets, sealContext(c.ID)),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

func admin(ctx context.Context) (identity.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return p, err
	}
	if !p.IsAdmin() {
		return p, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, "+
			"allowed=(admin, system)", p.Role).WithSub(403, 20)
	}
	return p, nil
}

// View is a connection as admins see it: secrets replaced by whether they are set.
type View struct {
	Connection
	CallbackURL string
	MetadataURL string
	// Incomplete says what is still missing before anyone can sign in with it, or "".
	Incomplete string
}

// Configuration renders the view as the configuration object of the sso.* endpoints.
func (v View) Configuration() map[string]any {
	b, _ := json.Marshal(v.Settings)
	out := map[string]any{}
	json.Unmarshal(b, &out)
	out["display_name"] = v.DisplayName
	out["active"] = v.Active
	set := func(key, val string) {
		out[key+"_set"] = val != ""
		if val != "" {
			out[key] = Mask
		}
	}
	if v.Incomplete != "" {
		out["incomplete"] = v.Incomplete
	}
	switch v.Protocol {
	case OIDC:
		out["callback_url"] = v.CallbackURL
		set("client_secret", v.Secrets.ClientSecret)
	case SAML:
		out["acs_url"], out["metadata_url"] = v.CallbackURL, v.MetadataURL
		set("sp_private_key", v.Secrets.SPPrivateKey)
	case LDAP:
		set("bind_password", v.Secrets.BindPassword)
	}
	return out
}

func (s *Service) view(c Connection) View {
	incomplete := s.incomplete(c)
	c.Secrets = Secrets{ClientSecret: nonEmpty(c.Secrets.ClientSecret),
		SPPrivateKey: nonEmpty(c.Secrets.SPPrivateKey), BindPassword: nonEmpty(c.Secrets.BindPassword)}
	v := View{Connection: c, Incomplete: incomplete}
	if c.Protocol != LDAP {
		v.CallbackURL = s.CallbackURL(c.ID)
	}
	if c.Protocol == SAML {
		v.MetadataURL = s.MetadataURL(c.ID)
	}
	return v
}

// incomplete checks a connection the way a sign-in will and says what is missing. Saving
// allows gaps (an admin may fill the endpoints before the keys); sign-in does not.
func (s *Service) incomplete(c Connection) string {
	var err error
	switch c.Protocol {
	case OIDC:
		err = s.oidcConfig(c).Validate()
	case SAML:
		err = s.samlConfig(c).Validate()
	case LDAP:
		err = s.ldapConfig(c).Validate()
	}
	if err == nil {
		return ""
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return strings.ReplaceAll(msg, "\n", "; ")
}

func nonEmpty(s string) string {
	if s == "" {
		return ""
	}
	return Mask
}

// CallbackURL is where a provider sends the browser back (OIDC redirect URI, SAML ACS).
func (s *Service) CallbackURL(id string) string { return s.opts.PublicURL + "/callback_" + id }

// MetadataURL is where a SAML connection's service provider metadata is served.
func (s *Service) MetadataURL(id string) string {
	return s.opts.PublicURL + "/saml/metadata/" + id
}

// Connections lists the caller's workspace's connections for admins, secrets masked.
func (s *Service) Connections(ctx context.Context) ([]View, error) {
	p, err := admin(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.connections(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(list))
	for _, c := range list {
		out = append(out, s.view(c))
	}
	return out, nil
}

// Connection returns one connection for admins, secrets masked.
func (s *Service) Connection(ctx context.Context, id string) (View, error) {
	p, err := admin(ctx)
	if err != nil {
		return View{}, err
	}
	c, err := s.find(ctx, p.WorkspaceID, id)
	if err != nil {
		return View{}, err
	}
	return s.view(c), nil
}

func notFound(id string) error {
	return apperr.NotFoundf("Identity provider connection not found (id=%s)", id).
		WithSub(400, 1).OnField("id")
}

func (s *Service) find(ctx context.Context, wsID, id string) (Connection, error) {
	list, err := s.connections(ctx, wsID)
	if err != nil {
		return Connection{}, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return Connection{}, notFound(id)
}

// findAll finds every named connection, or fails on the first unknown id.
func (s *Service) findAll(ctx context.Context, wsID string, ids []string) ([]Connection,
	error) {
	out := make([]Connection, 0, len(ids))
	for _, id := range ids {
		c, err := s.find(ctx, wsID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Button is an active connection as the sign-in page shows it.
type Button struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Provider    string   `json:"provider"`
	Protocol    Protocol `json:"protocol"`
	URL         string   `json:"url"` // where the browser starts the sign-in
}

// SignInURL starts a browser sign-in with a connection.
func (s *Service) SignInURL(id string) string { return s.opts.PublicURL + "/sso/" + id }

// Buttons lists a workspace's active browser connections (OIDC and SAML), for anyone.
func (s *Service) Buttons(ctx context.Context, wsID string) ([]Button, error) {
	list, err := s.connections(ctx, wsID)
	if err != nil {
		return nil, err
	}
	out := []Button{}
	for _, c := range list {
		if c.Active && c.Protocol != LDAP {
			out = append(out, Button{ID: c.ID, DisplayName: c.DisplayName, Provider: c.Provider,
				Protocol: c.Protocol, URL: s.SignInURL(c.ID)})
		}
	}
	return out, nil
}

// HasDirectory reports whether the sign-in form should take directory usernames.
func (s *Service) HasDirectory(ctx context.Context, wsID string) bool {
	list, err := s.connections(ctx, wsID)
	if err != nil {
		s.log.Error("list identity provider connections", "error", err)
		return false
	}
	return slices.ContainsFunc(list, func(c Connection) bool { return c.Active && c.Protocol == LDAP })
}

// Save creates or updates a connection and returns its id. Empty secrets keep the saved
// ones. The whole input is checked before anything is stored.
func (s *Service) Save(ctx context.Context, in Input) (string, error) {
	p, err := admin(ctx)
	if err != nil {
		return "", err
	}
	var c Connection
	if in.ID != "" {
		if c, err = s.find(ctx, p.WorkspaceID, in.ID); err != nil {
			return "", err
		}
		if in.Provider != "" && in.Provider != c.Provider {
			return "", invalid("provider", "The provider of a connection cannot change")
		}
	} else {
		preset, ok := PresetByID(in.Provider)
		if !ok {
			return "", invalid("provider", "Unknown provider %q; see sso.get_supported_providers",
				in.Provider)
		}
		c = Connection{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Provider: preset.ID,
			Protocol: preset.Category, CreatedAt: s.now()}
	}
	c.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.Active != nil {
		c.Active = *in.Active
	}
	c.Settings = in.Settings
	if in.Secrets.ClientSecret != "" {
		c.Secrets.ClientSecret = in.Secrets.ClientSecret
	}
	if in.Secrets.SPPrivateKey != "" {
		c.Secrets.SPPrivateKey = in.Secrets.SPPrivateKey
	}
	if in.Secrets.BindPassword != "" {
		c.Secrets.BindPassword = in.Secrets.BindPassword
	}
	c.UpdatedAt = s.now()
	if err := s.prepare(ctx, &c); err != nil {
		return "", err
	}
	created := in.ID == ""
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.SaveSSOConnection(ctx, s.record(c)); err != nil {
			if apperr.Is(err, apperr.Conflict) {
				return apperr.Conflictf("A connection named %q already exists", c.DisplayName).
					OnField("display_name").WithSub(400, 12)
			}
			return err
		}
		s.store.Publish(ctx, Topic, c.WorkspaceID)
		action := "sso.update"
		if created {
			action = "sso.create"
		}
		return s.audit.Record(ctx, c.WorkspaceID, action, "sso_connection", c.ID,
			map[string]any{"display_name": c.DisplayName, "provider": c.Provider,
				"active": c.Active})
	})
	if err != nil {
		return "", err
	}
	s.OnChange(c.WorkspaceID)
	return c.ID, nil
}

// maxSettings bounds a connection's settings: room for a 1 MiB metadata document.
const maxSettings = 2 << 20

// prepare checks a connection and fills what the server derives (fetched metadata,
// generated keys). Protocol specifics live in oidc.go, saml.go and ldap.go.
func (s *Service) prepare(ctx context.Context, c *Connection) error {
	if c.DisplayName == "" {
		return invalid("display_name", "Display name is required")
	}
	if utf8.RuneCountInString(c.DisplayName) > 100 {
		return invalid("display_name", "Display name may be at most 100 characters")
	}
	if b, _ := json.Marshal(c.Settings); len(b) > maxSettings {
		return invalid("configuration", "The configuration may be at most %d KiB",
			maxSettings>>10)
	}
	st := &c.Settings
	if strings.TrimSpace(st.ClaimEmail) == "" {
		return invalid("claim_email", "E-mail claim is required")
	}
	if st.GroupEnabled && c.Protocol != LDAP && strings.TrimSpace(st.ClaimGroups) == "" {
		return invalid("claim_groups", "Groups claim is required to synchronise groups")
	}
	switch c.Protocol {
	case OIDC:
		return s.prepareOIDC(ctx, c)
	case SAML:
		return s.prepareSAML(ctx, c)
	case LDAP:
		return s.prepareLDAP(ctx, c)
	}
	return invalid("provider", "Unknown protocol %q", c.Protocol)
}

// SetActive switches connections on or off and returns how many changed.
func (s *Service) SetActive(ctx context.Context, ids []string, active bool) (int, error) {
	p, err := admin(ctx)
	if err != nil {
		return 0, err
	}
	all, err := s.findAll(ctx, p.WorkspaceID, ids)
	if err != nil {
		return 0, err
	}
	var todo []Connection
	for _, c := range all {
		if c.Active != active {
			c.Active, c.UpdatedAt = active, s.now()
			todo = append(todo, c)
		}
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		for _, c := range todo {
			if err := s.store.SaveSSOConnection(ctx, s.record(c)); err != nil {
				return err
			}
			err := s.audit.Record(ctx, c.WorkspaceID, "sso.set_active", "sso_connection", c.ID,
				map[string]any{"display_name": c.DisplayName, "active": active})
			if err != nil {
				return err
			}
		}
		s.store.Publish(ctx, Topic, p.WorkspaceID)
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.OnChange(p.WorkspaceID)
	return len(todo), nil
}

// Delete removes connections (and the identities linked through them) and returns how
// many were removed. Users stay.
func (s *Service) Delete(ctx context.Context, ids []string) (int, error) {
	p, err := admin(ctx)
	if err != nil {
		return 0, err
	}
	todo, err := s.findAll(ctx, p.WorkspaceID, ids)
	if err != nil {
		return 0, err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		for _, c := range todo {
			if err := s.store.DeleteSSOConnection(ctx, p.WorkspaceID, c.ID); err != nil {
				return err
			}
			err := s.audit.Record(ctx, c.WorkspaceID, "sso.delete", "sso_connection", c.ID,
				map[string]any{"display_name": c.DisplayName})
			if err != nil {
				return err
			}
		}
		s.store.Publish(ctx, Topic, p.WorkspaceID)
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.OnChange(p.WorkspaceID)
	return len(todo), nil
}

// Template returns the form of a provider with its defaults, or of a saved connection
// with its values (secrets masked).
func (s *Service) Template(ctx context.Context, provider, id string) (Preset, []Field,
	map[string]any, error) {
	p, err := admin(ctx)
	if err != nil {
		return Preset{}, nil, nil, err
	}
	if id != "" {
		c, err := s.find(ctx, p.WorkspaceID, id)
		if err != nil {
			return Preset{}, nil, nil, err
		}
		preset, _ := PresetByID(c.Provider)
		return preset, Fields(c.Protocol), s.view(c).Configuration(), nil
	}
	preset, ok := PresetByID(provider)
	if !ok {
		return Preset{}, nil, nil, invalid("provider", "Unknown provider %q", provider)
	}
	v := View{Connection: Connection{Protocol: preset.Category, Settings: preset.Defaults(),
		DisplayName: preset.DisplayName, Active: false}}
	conf := v.Configuration()
	conf["display_name"] = preset.DisplayName
	return preset, Fields(preset.Category), conf, nil
}
