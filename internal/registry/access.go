package registry

import (
	"context"
	"slices"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// Access decides who may read and change registry objects; access.Service implements it.
//
// The registry asks it once per call, in the service layer (product.md section 6): a
// listing applies the caller's read scopes in its query, so pages and counts hold only
// what the caller may read; an object the caller may not read answers exactly as a
// missing id does; a change without read_write is ClearML's 403 "modification not
// allowed". Datasets are their own type: a dataset is a task with the dataset system tag
// or in a dataset project, and a dataset project is one with that tag or at or below a
// ".datasets" folder (Project.IsDataset). A dataset's id is its task's id, as in the SDK.
type Access interface {
	Permission(ctx context.Context, p identity.Principal, o access.Object) (access.Permission,
		error)
	ReadScope(ctx context.Context, p identity.Principal, t access.EntityType) (access.Scope,
		error)
	Require(ctx context.Context, p identity.Principal, o access.Object, want access.Permission,
		notFound error) error
}

// subject is an object whose permission is asked: its candidate types (a task outside a
// dataset project may still be a dataset through its project), id, owner and project
// (for a project, the project itself).
type subject struct {
	types    []access.EntityType
	id       string
	owner    string
	project  string
	notFound error
}

func taskSubject(t Task) subject {
	sub := subject{types: []access.EntityType{access.Task}, id: t.ID, owner: t.UserID,
		project: t.ProjectID, notFound: invalidTaskID(t.ID)}
	switch {
	case hasTag(t.SystemTags, TagDataset):
		sub.types = []access.EntityType{access.Dataset}
	case t.ProjectID != "":
		sub.types = append(sub.types, access.Dataset)
	}
	return sub
}

func projectSubject(p Project) subject {
	typ := access.Project
	if p.IsDataset() {
		typ = access.Dataset
	}
	return subject{types: []access.EntityType{typ}, id: p.ID, owner: p.UserID,
		project: p.ID, notFound: invalidProjectID(p.ID)}
}

func modelSubject(m Model) subject {
	return subject{types: []access.EntityType{access.Model}, id: m.ID, owner: m.UserID,
		project: m.ProjectID, notFound: invalidModelID(m.ID)}
}

func queueSubject(q Queue) subject {
	return subject{types: []access.EntityType{access.Queue}, id: q.ID, owner: q.UserID,
		notFound: invalidQueueID(q.ID)}
}

// allow returns nil when the caller has want on the object, ClearML's 403 when it may
// read but not change it, and the object's "invalid id" error when it may not even read
// it. The project ancestry is read (one query) only when the grants that do not depend on
// it fall short, so the default rules, owners and admins cost no query.
func (s *Service) allow(ctx context.Context, p identity.Principal, sub subject,
	want access.Permission) error {
	if s.access == nil {
		return nil
	}
	o := access.Object{ID: sub.id, Owner: sub.owner}
	if sub.project == sub.id && sub.id != "" {
		o.Projects = []string{sub.id}
	}
	enough := true
	for _, t := range sub.types {
		o.Type = t
		got, err := s.access.Permission(ctx, p, o)
		if err != nil {
			return err
		}
		enough = enough && got >= want
	}
	if enough {
		return nil
	}
	o.Type = sub.types[0]
	if sub.project != "" {
		ids, dataset, err := s.store.ProjectAncestry(ctx, p.WorkspaceID, sub.project)
		if err != nil {
			return err
		}
		o.Projects = ids
		if dataset && o.Type == access.Task {
			o.Type = access.Dataset
		}
	}
	return s.access.Require(ctx, p, o, want, sub.notFound)
}

// allowAll reports whether the caller has want on every object of the given types
// without looking at any one of them (admins, rules for all objects of the types).
func (s *Service) allowAll(ctx context.Context, p identity.Principal, want access.Permission,
	types ...access.EntityType) (bool, error) {
	if s.access == nil {
		return true, nil
	}
	for _, t := range types {
		got, err := s.access.Permission(ctx, p, access.Object{Type: t})
		if err != nil || got < want {
			return false, err
		}
	}
	return true, nil
}

// forbidden is ClearML's answer to a change the caller may not make.
func forbidden(what string) error {
	return apperr.Forbiddenf("Forbidden (modification not allowed): %s", what).WithSub(403, 21)
}

// readScope converts the access service's scope of one type for the store.
func (s *Service) readScope(ctx context.Context, p identity.Principal, t access.EntityType) (
	ReadScope, error) {
	if s.access == nil {
		return ReadScope{All: true}, nil
	}
	sc, err := s.access.ReadScope(ctx, p, t)
	if err != nil {
		return ReadScope{}, err
	}
	return ReadScope{All: sc.All, Owner: sc.Owner, IDs: keys(sc.IDs),
		Projects: keys(sc.Projects), AnyProject: sc.AnyProject}, nil
}

// visibility returns the scopes of a plain type and of datasets; nil when everything is
// visible, so the query stays as it was.
func (s *Service) visibility(ctx context.Context, p identity.Principal,
	plain access.EntityType) (*Visibility, error) {
	v := &Visibility{}
	var err error
	if v.Plain, err = s.readScope(ctx, p, plain); err != nil {
		return nil, err
	}
	if v.Dataset, err = s.readScope(ctx, p, access.Dataset); err != nil {
		return nil, err
	}
	if v.Plain.All && v.Dataset.All {
		return nil, nil
	}
	return v, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ObjectExists reports whether an object of a type exists in a workspace; an id of
// another workspace does not. It implements access.Objects with Describe.
func (s *Service) ObjectExists(ctx context.Context, workspaceID string, t access.EntityType,
	id string) (bool, error) {
	_, ok, err := s.Describe(ctx, workspaceID, t, id)
	return ok, err
}

// Describe returns what rules need to know of an object: its type (a dataset task or
// project is a dataset), owner and project ancestry. A task id asked as a task must not
// be a dataset and the other way round; a dataset may be a dataset task or project.
func (s *Service) Describe(ctx context.Context, workspaceID string, t access.EntityType,
	id string) (access.Object, bool, error) {
	var o access.Object
	var err error
	switch t {
	case access.Project:
		o, err = s.describeProject(ctx, workspaceID, id)
	case access.Task:
		o, err = s.describeTask(ctx, workspaceID, id)
	case access.Dataset:
		o, err = s.describeTask(ctx, workspaceID, id)
		if notFound(err) {
			o, err = s.describeProject(ctx, workspaceID, id)
		}
	case access.Model:
		var m Model
		if m, err = s.store.Model(ctx, workspaceID, id); err == nil {
			o = access.Object{Type: access.Model, ID: id, Owner: m.UserID}
			o.Projects, _, err = s.store.ProjectAncestry(ctx, workspaceID, m.ProjectID)
		}
	case access.Queue:
		var q Queue
		if q, err = s.store.Queue(ctx, workspaceID, id); err == nil {
			o = access.Object{Type: access.Queue, ID: id, Owner: q.UserID}
		}
	default:
		return access.Object{}, false, nil
	}
	if notFound(err) {
		return access.Object{}, false, nil
	}
	if err != nil {
		return access.Object{}, false, err
	}
	ok := o.Type == t || (t == access.Project && o.Type == access.Dataset)
	return o, ok, nil
}

func (s *Service) describeProject(ctx context.Context, ws, id string) (access.Object, error) {
	pr, err := s.store.Project(ctx, ws, id)
	if err != nil {
		return access.Object{}, err
	}
	o := access.Object{Type: access.Project, ID: id, Owner: pr.UserID}
	if pr.IsDataset() {
		o.Type = access.Dataset
	}
	o.Projects, _, err = s.store.ProjectAncestry(ctx, ws, id)
	return o, err
}

func (s *Service) describeTask(ctx context.Context, ws, id string) (access.Object, error) {
	t, err := s.store.Task(ctx, ws, id)
	if err != nil {
		return access.Object{}, err
	}
	o := access.Object{Type: access.Task, ID: id, Owner: t.UserID}
	dataset := false
	if t.ProjectID != "" {
		if o.Projects, dataset, err = s.store.ProjectAncestry(ctx, ws, t.ProjectID); err != nil {
			return access.Object{}, err
		}
	}
	if dataset || hasTag(t.SystemTags, TagDataset) {
		o.Type = access.Dataset
	}
	return o, nil
}

var _ access.Objects = (*Service)(nil)
