package registry

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"atrium/internal/access"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// TaskInput is what tasks.create accepts. Sections holds the free-form fields by name
// (see TaskSections); others are ignored.
type TaskInput struct {
	Name       string
	Type       string
	ProjectID  string
	Comment    string
	ParentID   string
	Tags       []string
	SystemTags []string
	Sections   map[string]json.RawMessage
}

// TaskEdit is what tasks.edit accepts; nil fields stay as they are.
type TaskEdit struct {
	Name       *string
	Type       *string
	Comment    *string
	ProjectID  *string
	ParentID   *string
	Tags       *[]string
	SystemTags *[]string
	Sections   map[string]json.RawMessage
}

// TaskQuery is what tasks.get_all accepts.
type TaskQuery struct {
	IDs          []string
	ProjectIDs   []string
	Statuses     []Status
	Types        []string
	UserIDs      []string
	ParentIDs    []string
	Name         string   // a regular expression
	Tags         []string // ClearML tag filter syntax
	SystemTags   []string
	SearchHidden bool
	OrderBy      []string
	Page         Page
}

// CreateTask creates a task in the created status, owned by the caller.
func (s *Service) CreateTask(ctx context.Context, in TaskInput) (Task, error) {
	if in.Name == "" {
		return Task{}, missingField("name")
	}
	if in.Type == "" {
		in.Type = "training"
	}
	if !slices.Contains(TaskTypes, in.Type) {
		return Task{}, validation("type must be one of %v", TaskTypes)
	}
	doc, _, err := applySections(json.RawMessage("{}"), in.Sections, TaskSections)
	if err != nil {
		return Task{}, err
	}
	var out Task
	err = s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.checkRefs(ctx, p, in.ProjectID, in.ParentID); err != nil {
			return err
		}
		out = Task{ID: secret.ID(), WorkspaceID: p.WorkspaceID, ProjectID: in.ProjectID,
			UserID: p.UserID, Name: in.Name, Type: in.Type, Status: StatusCreated,
			Comment: in.Comment, ParentID: in.ParentID, Tags: cleanTags(in.Tags),
			SystemTags: cleanTags(in.SystemTags), Doc: doc, CreatedAt: now,
			StatusChangedAt: now, LastUpdate: now}
		if err := s.store.CreateTask(ctx, &out); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, out.ID)
		return s.record(ctx, p, "task.create", "task", out.ID,
			map[string]any{"name": out.Name, "project": out.ProjectID})
	})
	return out, err
}

// checkRefs verifies that a project and a task (a parent, or a model's task), when given,
// exist, that the caller may put things into the project (read_write on it) and that it
// may read the task.
func (s *Service) checkRefs(ctx context.Context, p identity.Principal, projectID,
	taskID string) error {
	if projectID != "" {
		proj, err := s.store.Project(ctx, p.WorkspaceID, projectID)
		if err != nil {
			return orNotFound(err, invalidProjectID, projectID)
		}
		if err := s.allow(ctx, p, projectSubject(proj), access.ReadWrite); err != nil {
			return err
		}
	}
	if taskID != "" {
		t, err := s.store.Task(ctx, p.WorkspaceID, taskID)
		if err != nil {
			return orNotFound(err, invalidTaskID, taskID)
		}
		return s.allow(ctx, p, taskSubject(t), access.Read)
	}
	return nil
}

// Task returns one task of the caller's workspace, hidden or not.
func (s *Service) Task(ctx context.Context, id string) (Task, error) {
	p, err := caller(ctx)
	if err != nil {
		return Task{}, err
	}
	t, err := s.store.Task(ctx, p.WorkspaceID, id)
	if err != nil {
		return Task{}, orNotFound(err, invalidTaskID, id)
	}
	return t, s.allow(ctx, p, taskSubject(t), access.Read)
}

// Tasks lists the caller's tasks as tasks.get_all asks.
func (s *Service) Tasks(ctx context.Context, q TaskQuery) ([]Task, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	match, err := compileName(q.Name)
	if err != nil {
		return nil, err
	}
	visible, err := s.visibility(ctx, p, access.Task)
	if err != nil {
		return nil, err
	}
	return s.store.Tasks(ctx, p.WorkspaceID, TaskFilter{IDs: q.IDs, ProjectIDs: q.ProjectIDs,
		Statuses: q.Statuses, Types: q.Types, UserIDs: q.UserIDs, ParentIDs: q.ParentIDs,
		IncludeHidden: q.SearchHidden, Tags: ParseTagFilter(q.Tags),
		SystemTags: ParseTagFilter(q.SystemTags), NameMatch: match, OrderBy: q.OrderBy,
		Page: q.Page, Visible: visible})
}

// editable says whether a task's fields may change: tasks that have not run yet or are
// running may always be edited (the SDK writes to its own running task); others need
// force, as in ClearML.
func editable(t Task, force bool) error {
	if force || t.Status == StatusCreated || t.Status == StatusInProgress {
		return nil
	}
	return invalidStatus("Task is not in 'created' or 'in_progress' status, use force", t.Status)
}

// EditTask changes the fields of a task and returns it with the names of what changed.
func (s *Service) EditTask(ctx context.Context, id string, e TaskEdit, force bool) (
	Task, []string, error) {
	if e.Type != nil && !slices.Contains(TaskTypes, *e.Type) {
		return Task{}, nil, validation("type must be one of %v", TaskTypes)
	}
	var changed []string
	out, err := s.updateTask(ctx, id, "task.edit", func(ctx context.Context, ws string,
		t *Task) error {
		if err := editable(*t, force); err != nil {
			return err
		}
		if err := s.checkEditRefs(ctx, t.ID, e); err != nil {
			return err
		}
		var err error
		changed, err = applyTaskEdit(t, e)
		return err
	}, func() map[string]any { return map[string]any{"fields": changed} })
	return out, changed, err
}

func (s *Service) checkEditRefs(ctx context.Context, id string, e TaskEdit) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	project, parent := "", ""
	if e.ProjectID != nil {
		project = *e.ProjectID
	}
	if e.ParentID != nil {
		if *e.ParentID == id {
			return validation("a task cannot be its own parent")
		}
		parent = *e.ParentID
	}
	return s.checkRefs(ctx, p, project, parent)
}

func applyTaskEdit(t *Task, e TaskEdit) ([]string, error) {
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("name", &t.Name, e.Name)
	set("type", &t.Type, e.Type)
	set("comment", &t.Comment, e.Comment)
	set("project", &t.ProjectID, e.ProjectID)
	set("parent", &t.ParentID, e.ParentID)
	if e.Tags != nil {
		t.Tags = cleanTags(*e.Tags)
		changed = append(changed, "tags")
	}
	if e.SystemTags != nil {
		t.SystemTags = cleanTags(*e.SystemTags)
		changed = append(changed, "system_tags")
	}
	doc, sections, err := applySections(t.Doc, e.Sections, TaskSections)
	if err != nil {
		return nil, err
	}
	t.Doc = doc
	if len(sections) > 0 {
		if err := t.syncQueue(); err != nil {
			return nil, err
		}
	}
	return append(changed, sections...), nil
}

// syncQueue keeps execution.queue equal to the queue column after the document changed.
func (t *Task) syncQueue() error {
	s, err := DecodeSections(t.Doc)
	if err != nil {
		return err
	}
	if t.QueueID == "" {
		err = s.DeleteField("execution", "queue")
	} else {
		err = s.SetField("execution", "queue", t.QueueID)
	}
	if err != nil {
		return err
	}
	t.Doc, err = s.Encode()
	return err
}

// updateTask runs fn on the locked task in one transaction, then stamps the last update,
// publishes the change and writes the audit entry (details are built after fn ran).
func (s *Service) updateTask(ctx context.Context, id, action string,
	fn func(ctx context.Context, ws string, t *Task) error, details func() map[string]any) (
	Task, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		var err error
		out, err = s.store.UpdateTask(ctx, p.WorkspaceID, id, func(t *Task) error {
			if err := s.allow(ctx, p, taskSubject(*t), access.ReadWrite); err != nil {
				return err
			}
			if err := fn(ctx, p.WorkspaceID, t); err != nil {
				return err
			}
			t.LastUpdate = now
			return nil
		})
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		s.store.Publish(ctx, Topic, id)
		var d map[string]any
		if details != nil {
			d = details()
		}
		return s.record(ctx, p, action, "task", id, d)
	})
	return out, err
}

// Ping records that a running task is alive. It is not audited: agents and the SDK call
// it every few seconds.
func (s *Service) Ping(ctx context.Context, id string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	all, err := s.allowAll(ctx, p, access.ReadWrite, access.Task, access.Dataset)
	if err != nil {
		return err
	}
	if !all {
		t, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
	}
	err = s.store.TouchTask(ctx, p.WorkspaceID, id, s.now())
	return orNotFound(err, invalidTaskID, id)
}
