package registry

import (
	"context"
	"sort"
	"strings"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// ProjectInput is what projects.create accepts.
type ProjectInput struct {
	Name                     string
	Description              string
	Tags                     []string
	SystemTags               []string
	DefaultOutputDestination string
}

// ProjectChange is what projects.update accepts; nil fields stay as they are.
type ProjectChange struct {
	Name                     *string
	Description              *string
	Tags                     *[]string
	SystemTags               *[]string
	DefaultOutputDestination *string
}

// ProjectQuery is what projects.get_all accepts.
type ProjectQuery struct {
	IDs          []string
	Name         string // a regular expression over the full name
	ParentIDs    []string
	Shallow      bool // only direct children of ParentIDs, or top-level projects
	SearchHidden bool
	Tags         []string // ClearML tag filter syntax
	SystemTags   []string
	OrderBy      []string
	Page         Page
}

// ProjectDeletion is what deleting a project did.
type ProjectDeletion struct {
	Deleted            int
	DeletedTasks       int
	DisassociatedTasks int
	DeletedModels      int
	URLs               Cleanup
}

// cleanProjectName normalises a project path as ClearML does: outer slashes and empty
// segments are dropped. It returns the name and its parent path ("" at the top).
func cleanProjectName(name string) (full, location string, err error) {
	var segs []string
	for _, s := range strings.Split(name, "/") {
		if strings.TrimSpace(s) != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return "", "", apperr.Invalidf("Invalid project name: name=%s", name).WithSub(400, 407)
	}
	return strings.Join(segs, "/"), strings.Join(segs[:len(segs)-1], "/"), nil
}

func basename(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

// CreateProject creates a project, and any missing parents on its path, as the caller.
func (s *Service) CreateProject(ctx context.Context, in ProjectInput) (Project, error) {
	name, location, err := cleanProjectName(in.Name)
	if err != nil {
		return Project{}, err
	}
	var out Project
	err = s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if _, err := s.store.ProjectByName(ctx, p.WorkspaceID, name); err == nil {
			return duplicateName("Project", name)
		} else if !notFound(err) {
			return err
		}
		if err := s.allowInside(ctx, p, location); err != nil {
			return err
		}
		hidden := hasTag(in.SystemTags, TagHidden)
		parentID, err := s.ensureParents(ctx, p, location, hidden, now)
		if err != nil {
			return err
		}
		out = Project{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: name,
			Basename: basename(name), ParentID: parentID, Description: in.Description,
			UserID: p.UserID, Tags: cleanTags(in.Tags), SystemTags: cleanTags(in.SystemTags),
			DefaultOutputDestination: in.DefaultOutputDestination, CreatedAt: now, LastUpdate: now}
		if err := s.store.CreateProject(ctx, out); err != nil {
			if apperr.Is(err, apperr.Conflict) {
				return duplicateName("Project", name)
			}
			return err
		}
		s.store.Publish(ctx, Topic, out.ID)
		return s.record(ctx, p, "project.create", "project", out.ID,
			map[string]any{"name": name})
	})
	return out, err
}

// allowInside checks that the caller may create a project under location: it needs
// read_write on the deepest project of the path that exists. Anyone may create top-level
// projects, and parents that do not exist yet are created as the caller's own. A parent
// the caller may not read gets the same 403 as one it may only read, so creating never
// reveals which hidden projects exist.
func (s *Service) allowInside(ctx context.Context, p identity.Principal, location string) error {
	for location != "" {
		parent, err := s.store.ProjectByName(ctx, p.WorkspaceID, location)
		if err == nil {
			sub := projectSubject(parent)
			sub.notFound = forbidden("project " + location)
			return s.allow(ctx, p, sub, access.ReadWrite)
		}
		if !notFound(err) {
			return err
		}
		i := strings.LastIndex(location, "/")
		location = location[:max(i, 0)]
	}
	return nil
}

// ensureParents makes sure every project on the path exists and returns the id of the
// last one ("" for a top-level project). A parent created for a hidden project is hidden
// when its own name starts with "." (".datasets", ".pipelines"), so the SDK's hidden
// folders stay out of plain listings while the user's own project stays visible.
func (s *Service) ensureParents(ctx context.Context, p identity.Principal, location string,
	hidden bool, now time.Time) (string, error) {
	if location == "" {
		return "", nil
	}
	parentID := ""
	segs := strings.Split(location, "/")
	for i := range segs {
		name := strings.Join(segs[:i+1], "/")
		sys := []string{}
		if hidden && strings.HasPrefix(segs[i], ".") {
			sys = []string{TagHidden}
		}
		proj := Project{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: name,
			Basename: segs[i], ParentID: parentID, UserID: p.UserID, Tags: []string{},
			SystemTags: sys, CreatedAt: now, LastUpdate: now}
		got, created, err := s.ensureProject(ctx, proj)
		if err != nil {
			return "", err
		}
		if created {
			err := s.record(ctx, p, "project.create", "project", got.ID,
				map[string]any{"name": name, "implicit": true})
			if err != nil {
				return "", err
			}
		}
		parentID = got.ID
	}
	return parentID, nil
}

// ensureProject returns the project named proj.Name, creating proj when there is none.
func (s *Service) ensureProject(ctx context.Context, proj Project) (Project, bool, error) {
	got, err := s.store.ProjectByName(ctx, proj.WorkspaceID, proj.Name)
	if err == nil {
		return got, false, nil
	}
	if !notFound(err) {
		return Project{}, false, err
	}
	if err := s.store.CreateProject(ctx, proj); err != nil {
		return Project{}, false, err
	}
	return proj, true, nil
}

// Project returns one project of the caller's workspace.
func (s *Service) Project(ctx context.Context, id string) (Project, error) {
	p, err := caller(ctx)
	if err != nil {
		return Project{}, err
	}
	proj, err := s.store.Project(ctx, p.WorkspaceID, id)
	if err != nil {
		return Project{}, orNotFound(err, invalidProjectID, id)
	}
	return proj, s.allow(ctx, p, projectSubject(proj), access.Read)
}

// Projects lists the caller's projects as projects.get_all asks.
func (s *Service) Projects(ctx context.Context, q ProjectQuery) ([]Project, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	match, err := compileName(q.Name)
	if err != nil {
		return nil, err
	}
	visible, err := s.visibility(ctx, p, access.Project)
	if err != nil {
		return nil, err
	}
	f := ProjectFilter{IDs: q.IDs, ParentIDs: q.ParentIDs, IncludeHidden: q.SearchHidden,
		TopLevel: q.Shallow && len(q.ParentIDs) == 0, NameMatch: match, Visible: visible}
	list, err := s.store.Projects(ctx, p.WorkspaceID, f)
	if err != nil {
		return nil, err
	}
	tags, sys := ParseTagFilter(q.Tags), ParseTagFilter(q.SystemTags)
	kept := list[:0]
	for _, proj := range list {
		if matchTags(proj.Tags, tags) && matchTags(proj.SystemTags, sys) {
			kept = append(kept, proj)
		}
	}
	sortProjects(kept, q.OrderBy)
	return pageOf(kept, q.Page), nil
}

// sortProjects orders by the first known ClearML key, then by name.
func sortProjects(list []Project, orderBy []string) {
	key := "name"
	for _, k := range orderBy {
		if projectLess(strings.TrimPrefix(k, "-")) != nil {
			key = k
			break
		}
	}
	desc := strings.HasPrefix(key, "-")
	less := projectLess(strings.TrimPrefix(key, "-"))
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch {
		case less(a, b):
			return !desc
		case less(b, a):
			return desc
		}
		return a.Name < b.Name
	})
}

func projectLess(key string) func(a, b Project) bool {
	switch key {
	case "name":
		return func(a, b Project) bool { return strings.ToLower(a.Name) < strings.ToLower(b.Name) }
	case "basename":
		return func(a, b Project) bool { return a.Basename < b.Basename }
	case "created":
		return func(a, b Project) bool { return a.CreatedAt.Before(b.CreatedAt) }
	case "last_update":
		return func(a, b Project) bool { return a.LastUpdate.Before(b.LastUpdate) }
	case "id":
		return func(a, b Project) bool { return a.ID < b.ID }
	}
	return nil
}

func pageOf[T any](list []T, pg Page) []T {
	if pg.Limit <= 0 {
		return list
	}
	if pg.Offset >= len(list) {
		return []T{}
	}
	return list[pg.Offset:min(pg.Offset+pg.Limit, len(list))]
}

// UpdateProject changes a project. A new name may change the last segment only (ClearML
// moves projects with a separate call); descendants are renamed with it.
func (s *Service) UpdateProject(ctx context.Context, id string, ch ProjectChange) (
	Project, []string, error) {
	var out Project
	var changed []string
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		old, err := s.store.Project(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidProjectID, id)
		}
		if err := s.allow(ctx, p, projectSubject(old), access.ReadWrite); err != nil {
			return err
		}
		newName := old.Name
		if ch.Name != nil {
			if newName, err = projectRename(old, *ch.Name); err != nil {
				return err
			}
			if err := s.checkNameFree(ctx, p.WorkspaceID, old.Name, newName); err != nil {
				return err
			}
		}
		out, err = s.store.UpdateProject(ctx, p.WorkspaceID, id, func(pr *Project) error {
			changed = applyProjectChange(pr, ch, newName)
			pr.LastUpdate = now
			return nil
		})
		if err != nil {
			return err
		}
		if newName != old.Name {
			err := s.store.RenameProjectTree(ctx, p.WorkspaceID, old.Name, newName, now)
			if err != nil {
				return err
			}
		}
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "project.update", "project", id,
			map[string]any{"fields": changed})
	})
	return out, changed, err
}

func projectRename(old Project, name string) (string, error) {
	full, location, err := cleanProjectName(name)
	if err != nil {
		return "", err
	}
	oldLocation := strings.TrimSuffix(strings.TrimSuffix(old.Name, old.Basename), "/")
	if location != oldLocation {
		return "", apperr.Invalidf("Cannot update project location: name=%s", name).
			WithSub(400, 408)
	}
	return full, nil
}

func (s *Service) checkNameFree(ctx context.Context, ws, oldName, newName string) error {
	if newName == oldName {
		return nil
	}
	_, err := s.store.ProjectByName(ctx, ws, newName)
	if err == nil {
		return duplicateName("Project", newName)
	}
	if notFound(err) {
		return nil
	}
	return err
}

func applyProjectChange(pr *Project, ch ProjectChange, newName string) []string {
	var changed []string
	if newName != pr.Name {
		pr.Name, pr.Basename = newName, basename(newName)
		changed = append(changed, "name", "basename")
	}
	if ch.Description != nil {
		pr.Description = *ch.Description
		changed = append(changed, "description")
	}
	if ch.Tags != nil {
		pr.Tags = cleanTags(*ch.Tags)
		changed = append(changed, "tags")
	}
	if ch.SystemTags != nil {
		pr.SystemTags = cleanTags(*ch.SystemTags)
		changed = append(changed, "system_tags")
	}
	if ch.DefaultOutputDestination != nil {
		pr.DefaultOutputDestination = *ch.DefaultOutputDestination
		changed = append(changed, "default_output_destination")
	}
	return changed
}

// DeleteProject removes a project and its sub-projects. Without deleteContents, a project
// that still holds tasks or models is refused unless force is set, in which case its tasks
// and models are kept without a project, as ClearML does.
func (s *Service) DeleteProject(ctx context.Context, id string, force, deleteContents bool) (
	ProjectDeletion, error) {
	var out ProjectDeletion
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		ids, err := s.projectTree(ctx, p, id)
		if err != nil {
			return err
		}
		tasks, models, err := s.store.ProjectContents(ctx, p.WorkspaceID, ids)
		if err != nil {
			return err
		}
		switch {
		case deleteContents:
			err = s.deleteProjectContents(ctx, p, ids, &out)
		case tasks > 0 && !force:
			return apperr.Conflictf("Project has associated tasks: id=%s, tasks=%d", id, tasks).
				WithSub(400, 402)
		case models > 0 && !force:
			return apperr.Conflictf("Project has associated models: id=%s, models=%d", id,
				models).WithSub(400, 405)
		case tasks+models > 0:
			out.DisassociatedTasks, err = s.store.DetachProjectContents(ctx, p.WorkspaceID, ids)
		}
		if err != nil {
			return err
		}
		if err := s.store.DeleteProjects(ctx, p.WorkspaceID, ids); err != nil {
			return err
		}
		out.Deleted = len(ids)
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "project.delete", "project", id, map[string]any{
			"projects": len(ids), "deleted_tasks": out.DeletedTasks,
			"deleted_models": out.DeletedModels, "disassociated_tasks": out.DisassociatedTasks})
	})
	return out, err
}

// projectTree returns the project and every descendant, the project first, when the
// caller may change the project (which covers what is inside it).
func (s *Service) projectTree(ctx context.Context, p identity.Principal, id string) (
	[]string, error) {
	ws := p.WorkspaceID
	root, err := s.store.Project(ctx, ws, id)
	if err != nil {
		return nil, orNotFound(err, invalidProjectID, id)
	}
	if err := s.allow(ctx, p, projectSubject(root), access.ReadWrite); err != nil {
		return nil, err
	}
	prefix := root.Name + "/"
	all, err := s.store.Projects(ctx, ws, ProjectFilter{IncludeHidden: true,
		NameMatch: func(n string) bool { return strings.HasPrefix(n, prefix) }})
	if err != nil {
		return nil, err
	}
	ids := []string{root.ID}
	for _, pr := range all {
		ids = append(ids, pr.ID)
	}
	return ids, nil
}

func (s *Service) deleteProjectContents(ctx context.Context, p identity.Principal,
	ids []string, out *ProjectDeletion) error {
	tasks, err := s.store.Tasks(ctx, p.WorkspaceID, TaskFilter{ProjectIDs: ids,
		IncludeHidden: true})
	if err != nil {
		return err
	}
	for _, t := range tasks {
		// The project's owner may delete it, but not what others own inside it.
		sub := taskSubject(t)
		sub.notFound = forbidden("project contents")
		if err := s.allow(ctx, p, sub, access.ReadWrite); err != nil {
			return err
		}
		del, err := s.deleteTaskTx(ctx, p, t, DeleteOptions{Force: true,
			DeleteOutputModels: true, DeleteExternalArtifacts: true})
		if err != nil {
			return err
		}
		out.DeletedTasks++
		out.DeletedModels += del.DeletedModels
		out.URLs.add(del.URLs)
	}
	models, err := s.store.Models(ctx, p.WorkspaceID, ModelFilter{ProjectIDs: ids})
	if err != nil {
		return err
	}
	for _, m := range models {
		sub := modelSubject(m)
		sub.notFound = forbidden("project contents")
		if err := s.allow(ctx, p, sub, access.ReadWrite); err != nil {
			return err
		}
		if err := s.store.DeleteModel(ctx, p.WorkspaceID, m.ID); err != nil {
			return err
		}
		out.DeletedModels++
		out.URLs.ModelURLs = appendURL(out.URLs.ModelURLs, m.URI)
	}
	return nil
}
