package identity

import (
	"context"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/secret"
)

// Built-in group names.
const (
	UsersGroup       = "Users"
	AdminsGroup      = "Admins"
	QueueAdminsGroup = "Queue admins"
)

var builtinGroups = []struct {
	kind GroupKind
	name string
	desc string
}{
	{GroupUsers, UsersGroup, "Everyone in the workspace"},
	{GroupAdmins, AdminsGroup, "Workspace administrators"},
	{GroupQueueAdmins, QueueAdminsGroup, "May create, rename, reorder and delete queues"},
}

// GroupUseFunc lists what uses a group ("access rule read-all", "vault team-defaults"), so a
// group in use is not deleted from under it. Later features register one each.
type GroupUseFunc func(ctx context.Context, workspaceID, groupID string) ([]string, error)

type groupUses struct {
	mu  sync.RWMutex
	fns []GroupUseFunc
}

// RegisterGroupUse adds a source of group users, consulted before a group is deleted.
func (s *Service) RegisterGroupUse(fn GroupUseFunc) {
	s.groupUses.mu.Lock()
	s.groupUses.fns = append(s.groupUses.fns, fn)
	s.groupUses.mu.Unlock()
}

// ensureBuiltinGroups creates the built-in groups in every workspace that lacks them.
func (s *Service) ensureBuiltinGroups(ctx context.Context) error {
	all, err := s.store.Workspaces(ctx)
	if err != nil {
		return err
	}
	for _, ws := range all {
		err := s.store.InTx(ctx, func(ctx context.Context) error {
			have, err := s.store.Groups(ctx, ws.ID)
			if err != nil {
				return err
			}
			for i, b := range builtinGroups {
				if findKind(have, b.kind) != nil {
					continue
				}
				now := s.now()
				g := Group{ID: secret.ID(), WorkspaceID: ws.ID, Name: b.name, Description: b.desc,
					Kind: b.kind, Position: i - len(builtinGroups), CreatedAt: now, UpdatedAt: now}
				if err := s.store.CreateGroup(ctx, g); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func findKind(groups []Group, kind GroupKind) *Group {
	for i := range groups {
		if groups[i].Kind == kind {
			return &groups[i]
		}
	}
	return nil
}

// groupsOf lists every group id the user is in: explicit memberships plus the implicit
// Users group and, for admins, Admins.
func (s *Service) groupsOf(ctx context.Context, u User) ([]string, error) {
	explicit, err := s.store.UserGroups(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Groups(ctx, u.WorkspaceID)
	if err != nil {
		return nil, err
	}
	out := explicit
	if g := findKind(all, GroupUsers); g != nil {
		out = append(out, g.ID)
	}
	if g := findKind(all, GroupAdmins); g != nil && u.Role == RoleAdmin {
		out = append(out, g.ID)
	}
	sort.Strings(out)
	return out, nil
}

// GroupView is a group with its members, as listed.
type GroupView struct {
	Group
	Members    []string
	System     bool // cannot be renamed or deleted
	Assignable bool // membership can be edited
}

// Groups lists the caller's workspace groups with members. Everyone may list groups; the
// member lists of built-in Users are everyone active.
func (s *Service) Groups(ctx context.Context) ([]GroupView, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.groupViews(ctx, p.WorkspaceID)
}

// WorkspaceGroups lists a workspace's groups in their set order, with members. It checks
// no caller: other services use it to resolve group names and order.
func (s *Service) WorkspaceGroups(ctx context.Context, wsID string) ([]GroupView, error) {
	return s.groupViews(ctx, wsID)
}

// GroupTopic is published with the workspace id whenever a group is created, changed or
// deleted.
const GroupTopic = "group"

func (s *Service) groupViews(ctx context.Context, wsID string) ([]GroupView, error) {
	groups, err := s.store.Groups(ctx, wsID)
	if err != nil {
		return nil, err
	}
	members, err := s.store.GroupMembers(ctx, wsID)
	if err != nil {
		return nil, err
	}
	var everyone, admins []string
	users, err := s.store.Users(ctx, wsID, UserFilter{Statuses: []Status{StatusActive,
		StatusDeactivated, StatusInvited}})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		everyone = append(everyone, u.ID)
		if u.Role == RoleAdmin && u.Status == StatusActive {
			admins = append(admins, u.ID)
		}
	}
	out := make([]GroupView, 0, len(groups))
	for _, g := range groups {
		v := GroupView{Group: g, Members: members[g.ID], System: g.Kind != GroupCustom,
			Assignable: g.Kind != GroupUsers}
		switch g.Kind {
		case GroupUsers:
			v.Members = everyone
		case GroupAdmins:
			v.Members = admins
		}
		if v.Members == nil {
			v.Members = []string{}
		}
		out = append(out, v)
	}
	return out, nil
}

// GroupInput creates (no ID) or updates a group. Nil fields are left unchanged on update.
type GroupInput struct {
	ID          string
	Name        *string
	Description *string
	Members     *[]string
}

// SaveGroup creates or updates a group; admins only. Built-in Users cannot change; the
// other built-ins keep their names; Admins membership is the admin role.
func (s *Service) SaveGroup(ctx context.Context, in GroupInput) (GroupView, error) {
	p, err := caller(ctx)
	if err != nil {
		return GroupView{}, err
	}
	if err := requireAdmin(p); err != nil {
		return GroupView{}, err
	}
	if err := checkGroupInput(in); err != nil {
		return GroupView{}, err
	}
	var id string
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if in.ID == "" {
			id, err = s.createGroup(ctx, p, in)
		} else {
			id, err = in.ID, s.updateGroup(ctx, p, in)
		}
		return err
	})
	if err != nil {
		return GroupView{}, err
	}
	views, err := s.groupViews(ctx, p.WorkspaceID)
	if err != nil {
		return GroupView{}, err
	}
	for _, v := range views {
		if v.ID == id {
			return v, nil
		}
	}
	return GroupView{}, apperr.NotFoundf("group not found")
}

func checkGroupInput(in GroupInput) error {
	if in.ID == "" && in.Name == nil {
		return apperr.Invalidf("Missing required fields (name)").WithSub(400, 11).OnField("name")
	}
	if in.Name != nil {
		n := utf8.RuneCountInString(strings.TrimSpace(*in.Name))
		if HasControl(*in.Name) {
			return apperr.Invalidf("Group name must not contain control characters").
				OnField("name")
		}
		if n < 1 || n > 100 {
			return apperr.Invalidf("Group name must be 1 to 100 characters").OnField("name")
		}
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 1000 {
		return apperr.Invalidf("Description must be at most 1000 characters").
			OnField("description")
	}
	return nil
}

func groupNameTaken(name string) error {
	return apperr.Conflictf("A group named %q already exists", name).OnField("name").
		WithSub(400, 12)
}

func (s *Service) createGroup(ctx context.Context, p Principal, in GroupInput) (string, error) {
	now := s.now()
	g := Group{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: strings.TrimSpace(*in.Name),
		Kind: GroupCustom, CreatedAt: now, UpdatedAt: now}
	if in.Description != nil {
		g.Description = strings.TrimSpace(*in.Description)
	}
	if err := s.store.CreateGroup(ctx, g); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return "", groupNameTaken(g.Name)
		}
		return "", err
	}
	if in.Members != nil {
		if err := s.setMembers(ctx, p, g, *in.Members); err != nil {
			return "", err
		}
	}
	s.store.Publish(ctx, GroupTopic, p.WorkspaceID)
	return g.ID, s.audit.Record(ctx, p.WorkspaceID, "group.create", "group", g.ID,
		map[string]any{"name": g.Name, "members": memberCount(in.Members)})
}

func memberCount(m *[]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

func (s *Service) updateGroup(ctx context.Context, p Principal, in GroupInput) error {
	var g Group
	_, err := s.store.UpdateGroup(ctx, p.WorkspaceID, in.ID, func(x *Group) error {
		if x.Kind == GroupUsers {
			return apperr.Invalidf("The built-in %s group cannot be edited", x.Name).
				WithSub(400, 12)
		}
		if in.Name != nil && strings.TrimSpace(*in.Name) != x.Name {
			if x.Kind != GroupCustom {
				return apperr.Invalidf("The built-in %s group cannot be renamed", x.Name).
					OnField("name").WithSub(400, 12)
			}
			x.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			x.Description = strings.TrimSpace(*in.Description)
		}
		x.UpdatedAt = s.now()
		g = *x
		return nil
	})
	if apperr.Is(err, apperr.Conflict) {
		return groupNameTaken(*in.Name)
	}
	if apperr.Is(err, apperr.NotFound) {
		return apperr.Invalidf("Invalid group id %s", in.ID).OnField("id").WithSub(400, 12)
	}
	if err != nil {
		return err
	}
	if in.Members != nil {
		if err := s.setMembers(ctx, p, g, *in.Members); err != nil {
			return err
		}
	}
	s.store.Publish(ctx, GroupTopic, p.WorkspaceID)
	return s.audit.Record(ctx, p.WorkspaceID, "group.update", "group", g.ID,
		map[string]any{"name": g.Name, "members": memberCount(in.Members)})
}

// setMembers replaces a group's members after checking every id is a live identity of the
// workspace. For Admins it changes roles instead.
func (s *Service) setMembers(ctx context.Context, p Principal, g Group, ids []string) error {
	ids = dedupe(ids)
	var users []User
	if len(ids) > 0 {
		var err error
		users, err = s.store.Users(ctx, p.WorkspaceID, UserFilter{IDs: ids})
		if err != nil {
			return err
		}
	}
	found := map[string]User{}
	for _, u := range users {
		if u.Status != StatusRemoved {
			found[u.ID] = u
		}
	}
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			return apperr.Invalidf("Invalid user id %s: not a member of this workspace", id).
				OnField("users").WithSub(400, 301)
		}
	}
	if g.Kind == GroupAdmins {
		return s.setAdmins(ctx, p, found)
	}
	before, err := s.store.GroupMembers(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	if err := s.store.SetGroupMembers(ctx, p.WorkspaceID, g.ID, ids); err != nil {
		return err
	}
	for _, id := range append(before[g.ID], ids...) {
		s.store.Publish(ctx, Topic, id)
	}
	return nil
}

// setAdmins makes exactly the given people admins, keeping at least one.
func (s *Service) setAdmins(ctx context.Context, p Principal, want map[string]User) error {
	current, err := s.store.Users(ctx, p.WorkspaceID, UserFilter{Kind: KindPerson})
	if err != nil {
		return err
	}
	for id, u := range want {
		if u.Kind == KindService && !s.opts.AllowAdminServiceAccounts {
			return apperr.Invalidf("Service account %s cannot be an admin on this server", id).
				OnField("users").WithSub(400, 12)
		}
	}
	for id, u := range want {
		if u.Role != RoleAdmin {
			if err := s.setRole(ctx, p, id, RoleAdmin); err != nil {
				return err
			}
		}
	}
	// Demote after promoting, so handing the role over is not refused as "last admin".
	for _, u := range current {
		_, keep := want[u.ID]
		if u.Role == RoleAdmin && !keep {
			if err := s.setRole(ctx, p, u.ID, RoleUser); err != nil {
				return err
			}
		}
	}
	return nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// DeleteGroups deletes custom groups; admins only. A built-in group, or one something else
// uses, is refused with the list of its users, and nothing is deleted.
func (s *Service) DeleteGroups(ctx context.Context, ids []string) (int, error) {
	p, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		for _, id := range dedupe(ids) {
			if err := s.deleteGroup(ctx, p, id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Service) deleteGroup(ctx context.Context, p Principal, id string) error {
	g, err := s.store.Group(ctx, p.WorkspaceID, id)
	if apperr.Is(err, apperr.NotFound) {
		return apperr.Invalidf("Invalid group id %s", id).WithSub(400, 12)
	}
	if err != nil {
		return err
	}
	if g.Kind != GroupCustom {
		return apperr.Invalidf("The built-in %s group cannot be deleted", g.Name).WithSub(400, 12)
	}
	uses, err := s.usesOf(ctx, p.WorkspaceID, id)
	if err != nil {
		return err
	}
	if len(uses) > 0 {
		return apperr.Conflictf("Group %s is in use and cannot be deleted: %s", g.Name,
			strings.Join(uses, "; ")).WithSub(400, 12)
	}
	members, err := s.store.GroupMembers(ctx, p.WorkspaceID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteGroup(ctx, p.WorkspaceID, id); err != nil {
		return err
	}
	for _, u := range members[id] {
		s.store.Publish(ctx, Topic, u)
	}
	s.store.Publish(ctx, GroupTopic, p.WorkspaceID)
	return s.audit.Record(ctx, p.WorkspaceID, "group.delete", "group", id,
		map[string]any{"name": g.Name})
}

func (s *Service) usesOf(ctx context.Context, wsID, groupID string) ([]string, error) {
	s.groupUses.mu.RLock()
	fns := s.groupUses.fns
	s.groupUses.mu.RUnlock()
	var out []string
	for _, fn := range fns {
		uses, err := fn(ctx, wsID, groupID)
		if err != nil {
			return nil, err
		}
		out = append(out, uses...)
	}
	return out, nil
}

// BuiltinGroup returns the id of a built-in group of the workspace.
func (s *Service) BuiltinGroup(ctx context.Context, wsID string, kind GroupKind) (string, error) {
	groups, err := s.store.Groups(ctx, wsID)
	if err != nil {
		return "", err
	}
	if g := findKind(groups, kind); g != nil {
		return g.ID, nil
	}
	return "", apperr.NotFoundf("built-in group %s missing", kind)
}

// SetGroupOrder sets the admin-set order of groups (it decides the precedence of group
// vaults); groups not listed keep their relative order after the listed ones. Admins only.
func (s *Service) SetGroupOrder(ctx context.Context, ids []string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		groups, err := s.store.Groups(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		pos := map[string]int{}
		for i, id := range dedupe(ids) {
			pos[id] = i
		}
		for id := range pos {
			if !containsGroup(groups, id) {
				return apperr.Invalidf("Invalid group id %s", id).WithSub(400, 12)
			}
		}
		next := len(pos)
		for _, g := range groups {
			want, listed := pos[g.ID]
			if !listed {
				want = next
				next++
			}
			_, err := s.store.UpdateGroup(ctx, p.WorkspaceID, g.ID, func(x *Group) error {
				x.Position, x.UpdatedAt = want, s.now()
				return nil
			})
			if err != nil {
				return err
			}
		}
		s.store.Publish(ctx, GroupTopic, p.WorkspaceID)
		return s.audit.Record(ctx, p.WorkspaceID, "group.reorder", "workspace", p.WorkspaceID,
			map[string]any{"groups": ids})
	})
}

func containsGroup(groups []Group, id string) bool {
	for _, g := range groups {
		if g.ID == id {
			return true
		}
	}
	return false
}

// GroupList lists the caller's workspace groups without members: cheap at any size.
func (s *Service) GroupList(ctx context.Context) ([]Group, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Groups(ctx, p.WorkspaceID)
}
