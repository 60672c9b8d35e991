package registry

import (
	"context"
	"encoding/json"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// ModelInput is what models.create accepts. Sections holds design, labels and metadata.
type ModelInput struct {
	Name       string
	URI        string
	Framework  string
	Comment    string
	ProjectID  string
	TaskID     string
	ParentID   string
	Tags       []string
	SystemTags []string
	Ready      bool
	Sections   map[string]json.RawMessage
}

// ModelChange is what models.update and models.edit accept; nil fields stay.
type ModelChange struct {
	Name       *string
	URI        *string
	Framework  *string
	Comment    *string
	ProjectID  *string
	TaskID     *string
	ParentID   *string
	Tags       *[]string
	SystemTags *[]string
	Ready      *bool
	Sections   map[string]json.RawMessage
}

// ModelQuery is what models.get_all accepts.
type ModelQuery struct {
	IDs        []string
	Name       string
	ProjectIDs []string
	TaskIDs    []string
	UserIDs    []string
	Frameworks []string
	URIs       []string
	Ready      *bool
	Tags       []string
	SystemTags []string
	OrderBy    []string
	Page       Page
}

// CreateModel registers a model owned by the caller.
func (s *Service) CreateModel(ctx context.Context, in ModelInput) (Model, error) {
	if in.Name == "" {
		return Model{}, missingField("name")
	}
	doc, _, err := applySections(json.RawMessage("{}"), in.Sections, ModelSections)
	if err != nil {
		return Model{}, err
	}
	var out Model
	err = s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.checkRefs(ctx, p, in.ProjectID, in.TaskID); err != nil {
			return err
		}
		out = Model{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: in.Name,
			ProjectID: in.ProjectID, TaskID: in.TaskID, ParentID: in.ParentID, UserID: p.UserID,
			URI: in.URI, Framework: in.Framework, Comment: in.Comment, Tags: cleanTags(in.Tags),
			SystemTags: cleanTags(in.SystemTags), Ready: in.Ready, Doc: doc, CreatedAt: now,
			LastUpdate: now}
		if err := s.store.CreateModel(ctx, out); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, out.ID)
		return s.record(ctx, p, "model.create", "model", out.ID,
			map[string]any{"name": out.Name, "task": out.TaskID})
	})
	return out, err
}

// Model returns one model of the caller's workspace.
func (s *Service) Model(ctx context.Context, id string) (Model, error) {
	p, err := caller(ctx)
	if err != nil {
		return Model{}, err
	}
	m, err := s.store.Model(ctx, p.WorkspaceID, id)
	if err != nil {
		return Model{}, orNotFound(err, invalidModelID, id)
	}
	return m, s.allow(ctx, p, modelSubject(m), access.Read)
}

// Models lists the caller's models as models.get_all asks.
func (s *Service) Models(ctx context.Context, q ModelQuery) ([]Model, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	match, err := compileName(q.Name)
	if err != nil {
		return nil, err
	}
	visible, err := s.readScope(ctx, p, access.Model)
	if err != nil {
		return nil, err
	}
	f := ModelFilter{IDs: q.IDs, ProjectIDs: q.ProjectIDs,
		TaskIDs: q.TaskIDs, UserIDs: q.UserIDs, Frameworks: q.Frameworks, URIs: q.URIs,
		Ready: q.Ready, Tags: ParseTagFilter(q.Tags), SystemTags: ParseTagFilter(q.SystemTags),
		NameMatch: match, OrderBy: q.OrderBy, Page: q.Page}
	if !visible.All {
		f.Visible = &visible
	}
	return s.store.Models(ctx, p.WorkspaceID, f)
}

// UpdateModel changes a model and returns it with the names of what changed. A ready
// (published) model keeps its URI, as in ClearML.
func (s *Service) UpdateModel(ctx context.Context, id string, ch ModelChange) (
	Model, []string, error) {
	var out Model
	var changed []string
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.checkModelRefs(ctx, p, ch); err != nil {
			return err
		}
		var err error
		out, err = s.store.UpdateModel(ctx, p.WorkspaceID, id, func(m *Model) error {
			if err := s.allow(ctx, p, modelSubject(*m), access.ReadWrite); err != nil {
				return err
			}
			if m.Ready && ch.URI != nil && *ch.URI != m.URI {
				return apperr.Invalidf("Model is ready: id=%s", id).WithSub(400, 203)
			}
			var cerr error
			changed, cerr = applyModelChange(m, ch)
			m.LastUpdate = now
			return cerr
		})
		if err != nil {
			return orNotFound(err, invalidModelID, id)
		}
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "model.update", "model", id, map[string]any{"fields": changed})
	})
	return out, changed, err
}

func (s *Service) checkModelRefs(ctx context.Context, p identity.Principal,
	ch ModelChange) error {
	project, task := "", ""
	if ch.ProjectID != nil {
		project = *ch.ProjectID
	}
	if ch.TaskID != nil {
		task = *ch.TaskID
	}
	return s.checkRefs(ctx, p, project, task)
}

func applyModelChange(m *Model, ch ModelChange) ([]string, error) {
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("name", &m.Name, ch.Name)
	set("uri", &m.URI, ch.URI)
	set("framework", &m.Framework, ch.Framework)
	set("comment", &m.Comment, ch.Comment)
	set("project", &m.ProjectID, ch.ProjectID)
	set("task", &m.TaskID, ch.TaskID)
	set("parent", &m.ParentID, ch.ParentID)
	if ch.Tags != nil {
		m.Tags = cleanTags(*ch.Tags)
		changed = append(changed, "tags")
	}
	if ch.SystemTags != nil {
		m.SystemTags = cleanTags(*ch.SystemTags)
		changed = append(changed, "system_tags")
	}
	if ch.Ready != nil {
		m.Ready = *ch.Ready
		changed = append(changed, "ready")
	}
	doc, sections, err := applySections(m.Doc, ch.Sections, ModelSections)
	m.Doc = doc
	return append(changed, sections...), err
}

// PublishModel marks a model ready.
func (s *Service) PublishModel(ctx context.Context, id string) (Model, error) {
	ready := true
	m, _, err := s.UpdateModel(ctx, id, ModelChange{Ready: &ready})
	return m, err
}

// DeleteModel removes a model and returns its URI for the storage clean-up. A ready
// model needs force.
func (s *Service) DeleteModel(ctx context.Context, id string, force bool) (string, error) {
	var uri string
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		m, err := s.store.Model(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidModelID, id)
		}
		if err := s.allow(ctx, p, modelSubject(m), access.ReadWrite); err != nil {
			return err
		}
		if m.Ready && !force {
			return apperr.Invalidf("Model is ready (use force to delete it): id=%s", id).
				WithSub(400, 203)
		}
		if err := s.store.DeleteModel(ctx, p.WorkspaceID, id); err != nil {
			return err
		}
		uri = m.URI
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "model.delete", "model", id, map[string]any{"name": m.Name})
	})
	return uri, err
}

// ModelForTask is what models.update_for_task accepts: the output model a task
// produced, as a new model or over an existing one.
type ModelForTask struct {
	TaskID          string
	URI             string
	Name            string
	Comment         *string
	Tags            *[]string
	OverrideModelID string
}

// UpdateForTask records a task's output model: it creates the model (or updates the one
// named by OverrideModelID) and references it from the task's output models.
func (s *Service) UpdateForTask(ctx context.Context, in ModelForTask) (Model, bool, error) {
	if in.TaskID == "" {
		return Model{}, false, missingField("task")
	}
	var out Model
	created := false
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		t, err := s.store.Task(ctx, p.WorkspaceID, in.TaskID)
		if err != nil {
			return orNotFound(err, invalidTaskID, in.TaskID)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
		if in.Name == "" {
			in.Name = t.Name
		}
		if out, err = s.taskModel(ctx, t, in); err != nil {
			return err
		}
		created = in.OverrideModelID == ""
		_, err = s.AddOrUpdateModel(ctx, t.ID, ModelRef{Name: out.Name, ModelID: out.ID,
			Type: "output"}, true)
		return err
	})
	return out, created, err
}

func (s *Service) taskModel(ctx context.Context, t Task, in ModelForTask) (Model, error) {
	if in.OverrideModelID == "" {
		return s.CreateModel(ctx, ModelInput{Name: in.Name, URI: in.URI, TaskID: t.ID,
			ProjectID: t.ProjectID, Comment: deref(in.Comment), Tags: deref(in.Tags)})
	}
	m, _, err := s.UpdateModel(ctx, in.OverrideModelID, ModelChange{Name: &in.Name,
		URI: &in.URI, TaskID: &t.ID, Comment: in.Comment, Tags: in.Tags})
	return m, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
