package vault

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Topic is the change topic for vaults; the id is the workspace id.
const Topic = "vault"

// MaxData is the largest vault text accepted.
const MaxData = 1 << 20

// Identities resolves users and groups; identity.Service implements it.
type Identities interface {
	WorkspaceGroups(ctx context.Context, workspaceID string) ([]identity.GroupView, error)
	Principal(ctx context.Context, workspaceID, userID string) (identity.Principal, error)
	User(ctx context.Context, id string) (identity.User, error)
}

// Service is the vault domain service.
type Service struct {
	store  Store
	groups Identities
	audit  *audit.Log
	keys   *secret.Keyring
	now    func() time.Time
	log    *slog.Logger

	mu        sync.RWMutex
	snapshots map[string]*snapshot // by workspace
	revision  uint64               // bumped by every change; a snapshot remembers its own
}

// New returns the vault service.
func New(store Store, groups Identities, log *audit.Log, keys *secret.Keyring, now func() time.Time,
	logger *slog.Logger) *Service {
	return &Service{store: store, groups: groups, audit: log, keys: keys, now: now, log: logger,
		snapshots: map[string]*snapshot{}}
}

// OnChange drops the cached snapshot of a workspace ("" or "*": all).
func (s *Service) OnChange(workspaceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revision++
	if workspaceID == "" || workspaceID == "*" {
		s.snapshots = map[string]*snapshot{}
		return
	}
	delete(s.snapshots, workspaceID)
}

func sealContext(id string) string { return "vault:" + id }

// Input creates a vault (no ID) or updates one. Nil fields keep their value on update.
// Version, when set on update, must match the stored version: a stale editor's save is
// refused instead of overwriting someone else's change.
type Input struct {
	ID          string
	Scope       Scope
	Type        Type
	Format      Format
	Description *string
	Data        *string
	Enabled     *bool
	GroupID     string
	UserID      string
	Version     int
}

func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

func forbidden(why string) error {
	return apperr.Forbiddenf("Forbidden (modification not allowed): %s", why).WithSub(403, 21)
}

// Save validates and stores a vault; nothing is stored when the data does not parse.
func (s *Service) Save(ctx context.Context, in Input) (Vault, error) {
	p, err := caller(ctx)
	if err != nil {
		return Vault{}, err
	}
	if in.ID == "" {
		return s.create(ctx, p, in)
	}
	return s.update(ctx, p, in)
}

func (s *Service) create(ctx context.Context, p identity.Principal, in Input) (Vault, error) {
	if in.Data == nil {
		return Vault{}, apperr.Invalidf("Missing required fields (vault.data)").WithSub(400, 11)
	}
	v := Vault{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Scope: in.Scope, Type: in.Type,
		Format: in.Format, Data: *in.Data, Enabled: true, Version: 1, UpdatedBy: p.UserID}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.Enabled != nil {
		v.Enabled = *in.Enabled
	}
	if err := s.resolveOwner(ctx, p, &v, in); err != nil {
		return Vault{}, err
	}
	if err := checkVault(&v); err != nil {
		return Vault{}, err
	}
	v.CreatedAt, v.UpdatedAt = s.now(), s.now()
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		sealed := s.sealed(v)
		if err := s.store.CreateVault(ctx, sealed); err != nil {
			return err
		}
		return s.record(ctx, p, sealed, "create")
	})
	return v, err
}

// resolveOwner fills scope defaults and checks who may write a vault of that scope.
func (s *Service) resolveOwner(ctx context.Context, p identity.Principal, v *Vault, in Input) error {
	if v.Scope == "" {
		v.Scope = ScopeUser
	}
	if v.Scope == "workspace" {
		v.Scope = ScopeOrganization
	}
	switch v.Scope {
	case ScopeOrganization:
		if !p.IsAdmin() {
			return forbidden("only admins write workspace vaults")
		}
	case ScopeGroup:
		if !p.IsAdmin() {
			return forbidden("only admins write group vaults")
		}
		if err := s.checkGroup(ctx, p.WorkspaceID, in.GroupID); err != nil {
			return err
		}
		v.GroupID = in.GroupID
	case ScopeUser, ScopeServiceAccount:
		return s.resolveUser(ctx, p, v, in.UserID)
	default:
		return apperr.Invalidf("Validation error (scope must be organization, group, user or "+
			"service_account, not %q)", v.Scope).WithSub(400, 12)
	}
	return nil
}

func (s *Service) resolveUser(ctx context.Context, p identity.Principal, v *Vault, userID string) error {
	if userID == "" {
		userID = p.UserID
	}
	if userID != p.UserID && !p.IsAdmin() {
		return forbidden("only admins write another user's vault")
	}
	owner, err := s.groups.User(ctx, userID)
	if err != nil || owner.Status == identity.StatusRemoved {
		return apperr.Invalidf("Invalid user id %s", userID).WithSub(400, 301)
	}
	v.UserID, v.Scope = userID, ScopeUser
	if owner.Kind == identity.KindService {
		v.Scope = ScopeServiceAccount
	}
	return nil
}

func (s *Service) checkGroup(ctx context.Context, wsID, id string) error {
	if id == "" {
		return apperr.Invalidf("Missing required fields (group)").WithSub(400, 11)
	}
	groups, err := s.groups.WorkspaceGroups(ctx, wsID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.ID == id {
			return nil
		}
	}
	return apperr.Invalidf("Invalid group id %s", id).WithSub(400, 12)
}

// checkVault validates type, format, sizes and the data itself.
func checkVault(v *Vault) error {
	if v.Type == "" {
		v.Type = TypeConfig
	}
	if v.Format == "" {
		v.Format = FormatHOCON
	}
	switch v.Type {
	case TypeConfig, TypeStorageCredentials, TypeSSHServer, TypeMonitoring:
	default:
		return apperr.Invalidf("Validation error (type must be config, storage_credentials, "+
			"ssh_server or monitoring, not %q)", v.Type).WithSub(400, 12)
	}
	if utf8.RuneCountInString(v.Description) > 255 {
		return apperr.Invalidf("Validation error (description must be at most 255 characters)").
			WithSub(400, 12)
	}
	if len(v.Data) > MaxData {
		return apperr.Invalidf("Validation error (vault data must be at most %d bytes)", MaxData).
			WithSub(400, 12)
	}
	p, err := parseData(v.Format, v.Data)
	if err != nil {
		return err
	}
	if v.Type == TypeStorageCredentials {
		_, err = parseStorage(p)
	}
	return err
}

func (s *Service) sealed(v Vault) Vault {
	v.Data = s.keys.Seal([]byte(v.Data), sealContext(v.ID))
	return v
}

func (s *Service) open(v Vault) (Vault, error) {
	plain, err := s.keys.Open(v.Data, sealContext(v.ID))
	if err != nil {
		return Vault{}, fmt.Errorf("open vault %s: %w", v.ID, err)
	}
	v.Data = string(plain)
	return v, nil
}

// record writes the version row, the audit entry and the change notification of a save.
func (s *Service) record(ctx context.Context, p identity.Principal, sealed Vault, action string) error {
	err := s.store.AddVaultVersion(ctx, Version{VaultID: sealed.ID, Version: sealed.Version,
		WorkspaceID: sealed.WorkspaceID, Format: sealed.Format, Description: sealed.Description,
		Data: sealed.Data, Enabled: sealed.Enabled, Action: action, CreatedAt: s.now(),
		CreatedBy: p.UserID})
	if err != nil {
		return err
	}
	s.store.Publish(ctx, Topic, sealed.WorkspaceID)
	return s.audit.Record(ctx, sealed.WorkspaceID, "vault."+action, "vault", sealed.ID,
		map[string]any{"name": sealed.Description, "scope": sealed.Scope, "type": sealed.Type,
			"group": sealed.GroupID, "user": sealed.UserID, "version": sealed.Version})
}

// mayWrite reports whether p may change v.
func mayWrite(p identity.Principal, v Vault) error {
	if p.IsAdmin() {
		return nil
	}
	if (v.Scope == ScopeUser || v.Scope == ScopeServiceAccount) && v.UserID == p.UserID {
		return nil
	}
	return forbidden("only admins change vaults they do not own")
}

func (s *Service) update(ctx context.Context, p identity.Principal, in Input) (Vault, error) {
	var out Vault
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var action string
		sealed, err := s.store.UpdateVault(ctx, p.WorkspaceID, in.ID, func(sv *Vault) error {
			v, err := s.open(*sv)
			if err != nil {
				return err
			}
			if err := mayWrite(p, v); err != nil {
				// Someone else's vault answers like a missing one: ids are not confirmed.
				return apperr.Invalidf("Invalid vault id %s", in.ID).WithSub(400, 12)
			}
			if in.Version != 0 && in.Version != v.Version {
				return apperr.Conflictf("This vault was changed by someone else (now at version "+
					"%d, you edited version %d); reload it and apply your change again",
					v.Version, in.Version).WithSub(400, 12)
			}
			action = applyInput(&v, in)
			if action == "" {
				return errUnchanged
			}
			if err := checkVault(&v); err != nil {
				return err
			}
			v.Version++
			v.UpdatedAt, v.UpdatedBy = s.now(), p.UserID
			out = v
			*sv = s.sealed(v)
			return nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, p, sealed, action)
	})
	if err == errUnchanged {
		return s.Get(ctx, in.ID)
	}
	if apperr.Is(err, apperr.NotFound) {
		return Vault{}, apperr.Invalidf("Invalid vault id %s", in.ID).WithSub(400, 12)
	}
	return out, err
}

var errUnchanged = apperr.Invalidf("unchanged")

// applyInput applies the changed fields of in to v and names the action: "enable" or
// "disable" when only the switch moved, "edit" otherwise, "" when nothing changed.
func applyInput(v *Vault, in Input) string {
	edited, toggled := false, false
	set := func(dst *string, src *string) {
		if src != nil && *dst != *src {
			*dst, edited = *src, true
		}
	}
	set(&v.Description, in.Description)
	set(&v.Data, in.Data)
	if in.Format != "" && in.Format != v.Format {
		v.Format, edited = in.Format, true
	}
	if in.Type != "" && in.Type != v.Type {
		v.Type, edited = in.Type, true
	}
	if in.Enabled != nil && *in.Enabled != v.Enabled {
		v.Enabled, toggled = *in.Enabled, true
	}
	switch {
	case edited:
		return "edit"
	case toggled && v.Enabled:
		return "enable"
	case toggled:
		return "disable"
	}
	return ""
}

// Get returns one vault the caller may see.
func (s *Service) Get(ctx context.Context, id string) (Vault, error) {
	p, err := caller(ctx)
	if err != nil {
		return Vault{}, err
	}
	sealed, err := s.store.Vault(ctx, p.WorkspaceID, id)
	if err != nil {
		return Vault{}, apperr.Invalidf("Invalid vault id %s", id).WithSub(400, 12)
	}
	v, err := s.open(sealed)
	if err != nil {
		return Vault{}, err
	}
	if err := mayWrite(p, v); err != nil {
		return Vault{}, apperr.Invalidf("Invalid vault id %s", id).WithSub(400, 12)
	}
	return v, nil
}

// Delete removes vaults the caller may change; all or nothing.
func (s *Service) Delete(ctx context.Context, ids []string) (int, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			v, err := s.Get(ctx, id)
			if err != nil {
				return err
			}
			if err := s.store.DeleteVault(ctx, p.WorkspaceID, id); err != nil {
				return err
			}
			s.store.Publish(ctx, Topic, p.WorkspaceID)
			err = s.audit.Record(ctx, p.WorkspaceID, "vault.delete", "vault", id,
				map[string]any{"name": v.Description, "scope": v.Scope, "group": v.GroupID,
					"user": v.UserID})
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Organization lists every workspace and group vault; admins only.
func (s *Service) Organization(ctx context.Context) ([]Vault, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, "+
			"allowed=(admin, system)", p.Role).WithSub(403, 20)
	}
	snap, err := s.snapshot(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var out []Vault
	for _, e := range snap.entries {
		if e.v.Scope == ScopeOrganization || e.v.Scope == ScopeGroup {
			out = append(out, e.v)
		}
	}
	return out, nil
}

// Owned lists vaults of a user or service account (the caller's own, or anyone's for
// admins), enabled or not, for their editors.
func (s *Service) Owned(ctx context.Context, userID string) ([]Vault, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		userID = p.UserID
	}
	if userID != p.UserID && !p.IsAdmin() {
		return nil, forbidden("only admins read another user's vaults")
	}
	snap, err := s.snapshot(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var out []Vault
	for _, e := range snap.entries {
		if e.v.UserID == userID {
			out = append(out, e.v)
		}
	}
	return out, nil
}

// VaultsUsingGroup lists the vaults that target a group, for the group-deletion guard.
func (s *Service) VaultsUsingGroup(ctx context.Context, workspaceID, groupID string) ([]string,
	error) {
	all, err := s.store.Vaults(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range all {
		if v.GroupID == groupID {
			name := v.Description
			if name == "" {
				name = v.ID
			}
			out = append(out, "vault "+name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// lines is used by summaries: the first non-comment lines of a vault.
func summary(data string, n int) string {
	var out []string
	for _, l := range strings.Split(data, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "//") {
			continue
		}
		out = append(out, l)
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, " · ")
}
