package vault

import (
	"context"
	"sort"
	"strings"

	"atrium/internal/identity"
)

// snapshot is a workspace's vaults, opened and parsed once, in delivery order.
type snapshot struct {
	revision   uint64
	entries    []entry
	groupOrder map[string]int    // group id -> admin-set position
	groupNames map[string]string // group id -> name
}

type entry struct {
	v       Vault
	deliver string // the text clients receive: HOCON as written, JSON and YAML as JSON
}

func (s *Service) snapshot(ctx context.Context, wsID string) (*snapshot, error) {
	s.mu.RLock()
	snap, rev := s.snapshots[wsID], s.revision
	s.mu.RUnlock()
	if snap != nil {
		return snap, nil
	}
	snap, err := s.build(ctx, wsID)
	if err != nil {
		return nil, err
	}
	snap.revision = rev
	s.mu.Lock()
	if s.revision == rev { // no change arrived while building: the snapshot is current
		s.snapshots[wsID] = snap
	}
	s.mu.Unlock()
	return snap, nil
}

func (s *Service) build(ctx context.Context, wsID string) (*snapshot, error) {
	all, err := s.store.Vaults(ctx, wsID)
	if err != nil {
		return nil, err
	}
	groups, err := s.groups.WorkspaceGroups(ctx, wsID)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{groupOrder: map[string]int{}, groupNames: map[string]string{}}
	for i, g := range groups {
		snap.groupOrder[g.ID], snap.groupNames[g.ID] = i, g.Name
	}
	for _, sealed := range all {
		v, err := s.open(sealed)
		if err != nil {
			s.log.Error("skip a vault that cannot be opened", "vault", sealed.ID, "error", err)
			continue
		}
		p, err := parseData(v.Format, v.Data)
		if err != nil {
			s.log.Error("skip a stored vault that no longer parses", "vault", v.ID, "error", err)
			continue
		}
		snap.entries = append(snap.entries, entry{v: v, deliver: p.deliver})
	}
	sort.SliceStable(snap.entries, func(i, j int) bool {
		return snap.less(snap.entries[i].v, snap.entries[j].v)
	})
	return snap, nil
}

// rank orders scopes lowest precedence first.
func rank(s Scope) int {
	switch s {
	case ScopeOrganization:
		return 0
	case ScopeGroup:
		return 1
	}
	return 2
}

func (snap *snapshot) less(a, b Vault) bool {
	if rank(a.Scope) != rank(b.Scope) {
		return rank(a.Scope) < rank(b.Scope)
	}
	if a.Scope == ScopeGroup && a.GroupID != b.GroupID {
		return snap.groupOrder[a.GroupID] < snap.groupOrder[b.GroupID]
	}
	return a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID)
}

// Query selects what users.get_vaults returns.
type Query struct {
	Enabled *bool
	Types   []Type
	// Preview hides every string leaf of the data, for showing structure only.
	Preview bool
}

// Delivered is a vault as a client receives it.
type Delivered struct {
	Vault
	GroupName string
	Deliver   string
}

// ForCaller returns the vaults that apply to the caller, lowest precedence first: the
// workspace's, those of every group the caller is in (in the admin-set order), then the
// caller's own. An impersonated session gets the impersonated user's. Disabled vaults are
// shown only to their owner (their own vault) and to admins (group and workspace vaults).
func (s *Service) ForCaller(ctx context.Context, q Query) ([]Delivered, error) {
	d, err := s.Deliver(ctx, q)
	return d.Vaults, err
}

// Delivery is the vaults for one caller and the revision of the state they came from: the
// same caller, query and revision always give the same vaults, so callers may cache.
type Delivery struct {
	Vaults   []Delivered
	Revision uint64
}

// Deliver is ForCaller with the revision.
func (s *Service) Deliver(ctx context.Context, q Query) (Delivery, error) {
	p, err := caller(ctx)
	if err != nil {
		return Delivery{}, err
	}
	snap, err := s.snapshot(ctx, p.WorkspaceID)
	if err != nil {
		return Delivery{}, err
	}
	out := make([]Delivered, 0, len(snap.entries))
	for _, e := range snap.entries {
		if !applies(p, e.v) || !q.matches(e.v) {
			continue
		}
		if !e.v.Enabled && !p.IsAdmin() && e.v.UserID != p.UserID {
			continue
		}
		d := Delivered{Vault: e.v, GroupName: snap.groupNames[e.v.GroupID], Deliver: e.deliver}
		if q.Preview {
			d.Deliver = preview(e.v.Format, e.v.Data)
		}
		out = append(out, d)
	}
	return Delivery{Vaults: out, Revision: snap.revision}, nil
}

// applies reports whether v is one of the vaults p receives.
func applies(p identity.Principal, v Vault) bool {
	switch v.Scope {
	case ScopeOrganization:
		return true
	case ScopeGroup:
		return p.InGroup(v.GroupID)
	}
	return v.UserID == p.UserID
}

func (q Query) matches(v Vault) bool {
	if q.Enabled != nil && v.Enabled != *q.Enabled {
		return false
	}
	if len(q.Types) == 0 {
		return true
	}
	for _, t := range q.Types {
		if t == v.Type {
			return true
		}
	}
	return false
}

// ParseTypes reads the types list of users.get_vaults, accepting "config" and friends.
func ParseTypes(in []string) []Type {
	var out []Type
	seen := map[Type]bool{}
	for _, t := range in {
		for _, part := range strings.Split(t, ",") {
			tt := Type(strings.TrimSpace(part))
			if tt != "" && !seen[tt] {
				seen[tt] = true
				out = append(out, tt)
			}
		}
	}
	return out
}

// Revision returns the revision of the workspace's current snapshot, and false when none
// is built: a caller's cached delivery of that revision is still exact.
func (s *Service) Revision(wsID string) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := s.snapshots[wsID]
	if snap == nil {
		return 0, false
	}
	return snap.revision, true
}
