package access

import (
	"context"
	"slices"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// Object is what a permission is asked about.
type Object struct {
	Type  EntityType
	ID    string
	Owner string
	// Projects are the project the object is in and all its ancestors (for a project: the
	// project itself and its ancestors). A project rule covers an object when it names one
	// of them.
	Projects []string
}

// Grant explains one reason a caller has access.
type Grant struct {
	Permission Permission
	Reason     string // "admin", "owner", "queue admins", or "rule"
	Rule       *Rule
}

// Permission returns the caller's permission on an object.
func (s *Service) Permission(ctx context.Context, p identity.Principal, o Object) (Permission,
	error) {
	grants, err := s.Explain(ctx, p, o)
	if err != nil {
		return None, err
	}
	best := None
	for _, g := range grants {
		best = max(best, g.Permission)
	}
	return best, nil
}

// Explain lists every grant that gives the caller access to an object.
func (s *Service) Explain(ctx context.Context, p identity.Principal, o Object) ([]Grant, error) {
	var out []Grant
	queueAdmin, err := s.queueAdmin(ctx, p)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Type == Queue && queueAdmin:
		out = append(out, Grant{Permission: ReadWrite, Reason: "queue admins"})
	case o.Type == Queue && p.IsAdmin():
		out = append(out, Grant{Permission: Read, Reason: "admin"})
	case p.IsAdmin():
		out = append(out, Grant{Permission: ReadWrite, Reason: "admin"})
	}
	if o.Owner != "" && o.Owner == p.UserID {
		out = append(out, Grant{Permission: ReadWrite, Reason: "owner"})
	}
	rules, err := s.rules(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	for i := range rules {
		r := &rules[i]
		if names(r, p) && covers(r, o) {
			perm := r.Permission
			if o.Type == Queue && p.IsAdmin() && !queueAdmin {
				perm = min(perm, Read) // admins change queues only as Queue admins
			}
			out = append(out, Grant{Permission: perm, Reason: "rule", Rule: r})
		}
	}
	return out, nil
}

func (s *Service) queueAdmin(ctx context.Context, p identity.Principal) (bool, error) {
	id, err := s.ids.BuiltinGroup(ctx, p.WorkspaceID, identity.GroupQueueAdmins)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	return err == nil && p.InGroup(id), err
}

// names reports whether a rule grants to the caller, directly or through a group.
func names(r *Rule, p identity.Principal) bool {
	if slices.Contains(r.Users, p.UserID) {
		return true
	}
	for _, g := range r.Groups {
		if p.InGroup(g) {
			return true
		}
	}
	return false
}

// covers reports whether a rule applies to an object: a rule of the object's type for it or
// for all, or a project rule for one of the projects the object is in.
func covers(r *Rule, o Object) bool {
	if r.EntityType == o.Type && (r.EntityID == All || r.EntityID == o.ID) {
		return true
	}
	if r.EntityType != Project || o.Type == Queue {
		return false
	}
	if r.EntityID == All {
		return len(o.Projects) > 0
	}
	return slices.Contains(o.Projects, r.EntityID)
}

// Scope describes every object of a type the caller may read, for filtering listings in
// the query itself so paging stays correct.
type Scope struct {
	All      bool            // every object of the type
	Owner    string          // objects the caller owns
	IDs      map[string]bool // objects granted one by one
	Projects map[string]bool // objects in these projects or their descendants (to expand)
	// AnyProject: every object that is in some project (a project rule for all projects).
	AnyProject bool
}

// ReadScope returns what the caller may read of one type.
func (s *Service) ReadScope(ctx context.Context, p identity.Principal, t EntityType) (Scope,
	error) {
	sc := Scope{Owner: p.UserID, IDs: map[string]bool{}, Projects: map[string]bool{}}
	if p.IsAdmin() {
		sc.All = true
		return sc, nil
	}
	if t == Queue {
		if qa, err := s.queueAdmin(ctx, p); err != nil || qa {
			sc.All = qa
			return sc, err
		}
	}
	rules, err := s.rules(ctx, p.WorkspaceID)
	if err != nil {
		return Scope{}, err
	}
	for i := range rules {
		r := &rules[i]
		if !names(r, p) {
			continue
		}
		switch {
		case r.EntityType == t && r.EntityID == All:
			sc.All = true
		case r.EntityType == t:
			sc.IDs[r.EntityID] = true
			if t == Project {
				sc.Projects[r.EntityID] = true
			}
		case r.EntityType == Project && t != Queue && r.EntityID == All:
			sc.AnyProject = true
		case r.EntityType == Project && t != Queue:
			sc.Projects[r.EntityID] = true
		}
	}
	return sc, nil
}

// Require returns ClearML's 403 "modification not allowed" unless the caller has want on the
// object, and an error that reads as "not found" when the caller may not even read it.
func (s *Service) Require(ctx context.Context, p identity.Principal, o Object, want Permission,
	notFound error) error {
	got, err := s.Permission(ctx, p, o)
	if err != nil {
		return err
	}
	if got >= want {
		return nil
	}
	if got == None {
		return notFound
	}
	return apperr.Forbiddenf("Forbidden (modification not allowed): %s %s", o.Type, o.ID).
		WithSub(403, 21)
}
