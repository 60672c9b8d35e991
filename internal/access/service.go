package access

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Topic is the change topic for rules; the id is the workspace id.
const Topic = "access_rule"

// Identities resolves users and groups; identity.Service implements it.
type Identities interface {
	WorkspaceGroups(ctx context.Context, workspaceID string) ([]identity.GroupView, error)
	BuiltinGroup(ctx context.Context, workspaceID string, kind identity.GroupKind) (string, error)
	Principal(ctx context.Context, workspaceID, userID string) (identity.Principal, error)
}

// Objects tells whether an object exists in a workspace; the registry implements it. A rule
// may name only objects that exist, and one whose object is gone shows as dangling.
type Objects interface {
	ObjectExists(ctx context.Context, workspaceID string, t EntityType, id string) (bool, error)
	// Describe returns what rules need to know of an object (owner, projects).
	Describe(ctx context.Context, workspaceID string, t EntityType, id string) (Object, bool,
		error)
}

// Service is the access domain service.
type Service struct {
	store   Store
	ids     Identities
	objects Objects
	audit   *audit.Log
	now     func() time.Time
	log     *slog.Logger

	mu    sync.RWMutex
	cache map[string][]Rule // by workspace
	rev   uint64
}

// New returns the access service. objects may be set later with SetObjects.
func New(store Store, ids Identities, log *audit.Log, now func() time.Time,
	logger *slog.Logger) *Service {
	return &Service{store: store, ids: ids, audit: log, now: now, log: logger,
		cache: map[string][]Rule{}}
}

// SetObjects connects the registry, which is built after this service.
func (s *Service) SetObjects(o Objects) { s.objects = o }

// OnChange drops the cached rules of a workspace ("" or "*": all).
func (s *Service) OnChange(workspaceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rev++
	if workspaceID == "" || workspaceID == "*" {
		s.cache = map[string][]Rule{}
		return
	}
	delete(s.cache, workspaceID)
}

// rules returns a workspace's rules from cache.
func (s *Service) rules(ctx context.Context, wsID string) ([]Rule, error) {
	s.mu.RLock()
	list, ok := s.cache[wsID]
	rev := s.rev
	s.mu.RUnlock()
	if ok {
		return list, nil
	}
	list, err := s.store.AccessRules(ctx, wsID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.rev == rev {
		s.cache[wsID] = list
	}
	s.mu.Unlock()
	return list, nil
}

func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

func requireAdmin(p identity.Principal) error {
	if p.IsAdmin() {
		return nil
	}
	return apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, allowed=(admin, system)",
		p.Role).WithSub(403, 20)
}

// EnsureDefaults gives a workspace its default rules (the Users group may read and change
// every type) the first time it is seen. Deleting them later makes the workspace deny by
// default; they are not recreated at the next start.
func (s *Service) EnsureDefaults(ctx context.Context, wsID string) error {
	return s.store.InTx(ctx, func(ctx context.Context) error {
		first, err := s.store.MarkAccessDefaults(ctx, wsID, s.now())
		if err != nil || !first {
			return err
		}
		_, err = s.createDefaults(ctx, wsID)
		return err
	})
}

func (s *Service) createDefaults(ctx context.Context, wsID string) (int, error) {
	users, err := s.ids.BuiltinGroup(ctx, wsID, identity.GroupUsers)
	if err != nil {
		return 0, err
	}
	for _, t := range EntityTypes {
		now := s.now()
		r := Rule{ID: secret.ID(), WorkspaceID: wsID, Name: "Users: all " + string(t) + "s",
			Description: "Default rule: everyone may read and modify every " + string(t),
			EntityType:  t, EntityID: All, Permission: ReadWrite, Users: []string{},
			Groups: []string{users}, Autocreated: true, CreatedAt: now, UpdatedAt: now}
		if err := s.store.SaveAccessRule(ctx, r); err != nil {
			return 0, err
		}
	}
	s.store.Publish(ctx, Topic, wsID)
	return len(EntityTypes), nil
}

// RestoreDefaults recreates the default rules, replacing any left; admins only.
func (s *Service) RestoreDefaults(ctx context.Context) (int, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		list, err := s.store.AccessRules(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if r.Autocreated {
				if err := s.store.DeleteAccessRule(ctx, p.WorkspaceID, r.ID); err != nil {
					return err
				}
			}
		}
		if n, err = s.createDefaults(ctx, p.WorkspaceID); err != nil {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "access_rule.restore_defaults", "workspace",
			p.WorkspaceID, nil)
	})
	return n, err
}

// Filter narrows Rules. Empty fields mean "any".
type Filter struct {
	EntityType EntityType
	EntityID   string
	User       string
	Group      string
}

// RuleView is a rule with what it points at checked.
type RuleView struct {
	Rule
	// Dangling names what the rule points at that no longer exists.
	Dangling []string
}

// Rules lists the workspace's rules; admins only.
func (s *Service) Rules(ctx context.Context, f Filter) ([]RuleView, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	list, err := s.rules(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	groups, err := s.groupIDs(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var out []RuleView
	for _, r := range list {
		if !f.matches(r) {
			continue
		}
		v := RuleView{Rule: r}
		for _, g := range r.Groups {
			if !groups[g] {
				v.Dangling = append(v.Dangling, "group "+g)
			}
		}
		if r.EntityID != All && s.objects != nil {
			ok, err := s.objects.ObjectExists(ctx, p.WorkspaceID, r.EntityType, r.EntityID)
			if err != nil {
				return nil, err
			}
			if !ok {
				v.Dangling = append(v.Dangling, string(r.EntityType)+" "+r.EntityID)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (f Filter) matches(r Rule) bool {
	return (f.EntityType == "" || r.EntityType == f.EntityType) &&
		(f.EntityID == "" || r.EntityID == f.EntityID) &&
		(f.User == "" || slices.Contains(r.Users, f.User)) &&
		(f.Group == "" || slices.Contains(r.Groups, f.Group))
}

func (s *Service) groupIDs(ctx context.Context, wsID string) (map[string]bool, error) {
	groups, err := s.ids.WorkspaceGroups(ctx, wsID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(groups))
	for _, g := range groups {
		out[g.ID] = true
	}
	return out, nil
}

// Input creates (no ID) or replaces a rule.
type Input struct {
	ID          string
	Name        string
	Description string
	EntityType  string
	EntityID    string
	Permission  string
	Users       []string
	Groups      []string
}

// Save validates and stores a rule; admins only. Nothing is stored on any error.
func (s *Service) Save(ctx context.Context, in Input) (Rule, error) {
	p, err := caller(ctx)
	if err != nil {
		return Rule{}, err
	}
	if err := requireAdmin(p); err != nil {
		return Rule{}, err
	}
	r, err := s.validate(ctx, p, in)
	if err != nil {
		return Rule{}, err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		action := "access_rule.create"
		if in.ID != "" {
			existing, err := s.store.AccessRules(ctx, p.WorkspaceID)
			if err != nil {
				return err
			}
			old := find(existing, in.ID)
			if old == nil {
				return apperr.Invalidf("Invalid rule id %s", in.ID).WithSub(400, 12)
			}
			r.CreatedAt, action = old.CreatedAt, "access_rule.update"
		}
		if err := s.store.SaveAccessRule(ctx, r); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, p.WorkspaceID)
		return s.audit.Record(ctx, p.WorkspaceID, action, "access_rule", r.ID, map[string]any{
			"name": r.Name, "entity_type": r.EntityType, "entity_id": r.EntityID,
			"permission": r.Permission.String(), "users": r.Users, "groups": r.Groups})
	})
	return r, err
}

func find(list []Rule, id string) *Rule {
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return apperr.Invalidf("Validation error ("+format+")", args...).WithSub(400, 12).
		OnField(field)
}

// validate checks every field of a rule against the workspace.
func (s *Service) validate(ctx context.Context, p identity.Principal, in Input) (Rule, error) {
	now := s.now()
	r := Rule{ID: in.ID, WorkspaceID: p.WorkspaceID, Name: strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(in.Description), EntityType: EntityType(in.EntityType),
		EntityID: strings.TrimSpace(in.EntityID), Users: dedupe(in.Users),
		Groups: dedupe(in.Groups), CreatedAt: now, UpdatedAt: now}
	if r.ID == "" {
		r.ID = secret.ID()
	}
	if n := utf8.RuneCountInString(r.Name); n < 1 || n > 100 {
		return Rule{}, invalid("name", "name must be 1 to 100 characters")
	}
	if utf8.RuneCountInString(r.Description) > 1000 {
		return Rule{}, invalid("description", "description must be at most 1000 characters")
	}
	if !slices.Contains(EntityTypes, r.EntityType) {
		return Rule{}, invalid("entity_type", "entity_type must be one of project, task, model, "+
			"dataset, queue; not %q", in.EntityType)
	}
	perm, ok := ParsePermission(in.Permission)
	if !ok {
		return Rule{}, invalid("access_permission", "access_permission must be read or "+
			"read_write; not %q", in.Permission)
	}
	r.Permission = perm
	if len(r.Users)+len(r.Groups) == 0 {
		return Rule{}, invalid("users", "a rule must name at least one user, service account or "+
			"group")
	}
	if err := s.checkEntity(ctx, p.WorkspaceID, &r); err != nil {
		return Rule{}, err
	}
	return r, s.checkPrincipals(ctx, p.WorkspaceID, r)
}

func (s *Service) checkEntity(ctx context.Context, wsID string, r *Rule) error {
	if r.EntityID == "" || r.EntityID == All {
		r.EntityID = All
		return nil
	}
	if s.objects == nil {
		return invalid("entity_id", "no %s %s in this workspace", r.EntityType, r.EntityID)
	}
	ok, err := s.objects.ObjectExists(ctx, wsID, r.EntityType, r.EntityID)
	if err != nil {
		return err
	}
	if !ok {
		// The same answer whether the id exists in another workspace or nowhere.
		return invalid("entity_id", "no %s %s in this workspace", r.EntityType, r.EntityID)
	}
	return nil
}

func (s *Service) checkPrincipals(ctx context.Context, wsID string, r Rule) error {
	groups, err := s.groupIDs(ctx, wsID)
	if err != nil {
		return err
	}
	for _, g := range r.Groups {
		if !groups[g] {
			return invalid("groups", "no group %s in this workspace", g)
		}
	}
	for _, u := range r.Users {
		if _, err := s.ids.Principal(ctx, wsID, u); err != nil {
			return invalid("users", "no active user or service account %s in this workspace", u)
		}
	}
	return nil
}

func dedupe(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Delete deletes rules; admins only; all or nothing.
func (s *Service) Delete(ctx context.Context, ids []string) (int, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		existing, err := s.store.AccessRules(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		for _, id := range dedupe(ids) {
			r := find(existing, id)
			if r == nil {
				return apperr.Invalidf("Invalid rule id %s", id).WithSub(400, 12)
			}
			if err := s.store.DeleteAccessRule(ctx, p.WorkspaceID, id); err != nil {
				return err
			}
			err := s.audit.Record(ctx, p.WorkspaceID, "access_rule.delete", "access_rule", id,
				map[string]any{"name": r.Name, "entity_type": r.EntityType,
					"entity_id": r.EntityID, "users": r.Users, "groups": r.Groups})
			if err != nil {
				return err
			}
			n++
		}
		s.store.Publish(ctx, Topic, p.WorkspaceID)
		return nil
	})
	return n, err
}

// RulesUsingGroup names the rules that grant to a group, for the group-deletion guard.
func (s *Service) RulesUsingGroup(ctx context.Context, wsID, groupID string) ([]string, error) {
	list, err := s.rules(ctx, wsID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range list {
		if slices.Contains(r.Groups, groupID) {
			out = append(out, "access rule "+r.Name)
		}
	}
	return out, nil
}

// ExplainFor lists what gives a user (or service account) access to one object; admins
// only, for the explain view.
func (s *Service) ExplainFor(ctx context.Context, userID string, t EntityType, id string) (
	[]Grant, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	target, err := s.ids.Principal(ctx, p.WorkspaceID, userID)
	if err != nil {
		return nil, invalid("user", "no active user or service account %s", userID)
	}
	if s.objects == nil {
		return nil, invalid("entity_id", "no %s %s in this workspace", t, id)
	}
	obj, ok, err := s.objects.Describe(ctx, p.WorkspaceID, t, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalid("entity_id", "no %s %s in this workspace", t, id)
	}
	return s.Explain(ctx, target, obj)
}
