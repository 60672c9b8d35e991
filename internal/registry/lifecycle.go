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

// Cleanup lists the stored files that belonged to deleted or reset objects: artifact,
// model and event (debug image, plot) URLs. Nothing deletes them yet: they are returned
// to the caller, ready for the storage clean-up of product.md ("Storage credentials"),
// which is not built yet. DeleteExternal records the caller's delete_external_artifacts.
type Cleanup struct {
	ArtifactURLs   []string
	ModelURLs      []string
	EventURLs      []string
	DeleteExternal bool
}

func (c *Cleanup) add(o Cleanup) {
	for _, u := range o.ArtifactURLs {
		c.ArtifactURLs = appendURL(c.ArtifactURLs, u)
	}
	for _, u := range o.ModelURLs {
		c.ModelURLs = appendURL(c.ModelURLs, u)
	}
	for _, u := range o.EventURLs {
		c.EventURLs = appendURL(c.EventURLs, u)
	}
}

func appendURL(list []string, u string) []string {
	if u == "" {
		return list
	}
	for _, x := range list {
		if x == u {
			return list
		}
	}
	return append(list, u)
}

// ResetOptions are tasks.reset's switches.
type ResetOptions struct {
	Force                   bool
	ClearAll                bool // also drop script, execution and runtime
	DeleteOutputModels      bool
	DeleteExternalArtifacts bool
}

// TaskReset is what resetting a task did.
type TaskReset struct {
	Task          Task
	Dequeued      bool
	DeletedModels int
	URLs          Cleanup
}

// DeleteOptions are tasks.delete's switches.
type DeleteOptions struct {
	Force                   bool
	DeleteOutputModels      bool
	DeleteExternalArtifacts bool
}

// TaskDeletion is what deleting a task did.
type TaskDeletion struct {
	Deleted         int
	UpdatedChildren int
	DeletedModels   int
	UpdatedModels   int
	URLs            Cleanup
}

// checkRemovable refuses to reset or delete a running or published task without force.
func checkRemovable(t Task, force bool) error {
	switch {
	case force:
		return nil
	case t.Status == StatusInProgress:
		return apperr.Invalidf("Task in progress (invalid task status): id=%s", t.ID).
			WithSub(400, 112)
	case t.Status == StatusPublished:
		return apperr.Invalidf("Task published (invalid task status): id=%s", t.ID).
			WithSub(400, 113)
	}
	return nil
}

// ResetTask returns a task to created: it leaves its queue, loses its run times, output
// artifacts, output model references and events. The URLs of what it loses are returned.
func (s *Service) ResetTask(ctx context.Context, id string, o ResetOptions) (TaskReset, error) {
	out := TaskReset{URLs: Cleanup{DeleteExternal: o.DeleteExternalArtifacts}}
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		t, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
		if err := checkRemovable(t, o.Force); err != nil {
			return err
		}
		out.Dequeued = t.Status == StatusQueued
		if err := s.dropTaskOutputs(ctx, p.WorkspaceID, t, o.DeleteOutputModels, &out.URLs,
			&out.DeletedModels, nil); err != nil {
			return err
		}
		out.Task, err = s.store.UpdateTask(ctx, p.WorkspaceID, id, func(t *Task) error {
			return resetFields(t, o.ClearAll, now)
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "task.reset", "task", id, map[string]any{
			"from": string(t.Status), "deleted_models": out.DeletedModels})
	})
	return out, err
}

func resetFields(t *Task, clearAll bool, now time.Time) error {
	t.Status, t.StatusReason, t.StatusMessage = StatusCreated, "", ""
	t.StatusChangedAt, t.LastUpdate = now, now
	t.StartedAt, t.CompletedAt, t.PublishedAt = time.Time{}, time.Time{}, time.Time{}
	t.QueueID, t.EnqueueStatus, t.LastWorker, t.LastIteration = "", "", "", 0
	sec, err := DecodeSections(t.Doc)
	if err != nil {
		return err
	}
	if clearAll {
		delete(sec, "script")
		delete(sec, "execution")
		delete(sec, "runtime")
	}
	if err := keepInputArtifacts(sec); err != nil {
		return err
	}
	if err := sec.DeleteField("models", "output"); err != nil {
		return err
	}
	if t.Doc, err = sec.Encode(); err != nil {
		return err
	}
	return t.syncQueue()
}

func keepInputArtifacts(sec Sections) error {
	arts, err := artifacts(sec)
	if err != nil || len(arts) == 0 {
		return err
	}
	kept := arts[:0]
	for _, a := range arts {
		if artifactKey(a).Mode == "input" {
			kept = append(kept, a)
		}
	}
	return sec.SetField("execution", "artifacts", kept)
}

// dropTaskOutputs takes a task out of its queues, deletes its events and its draft output
// models (when deleteModels is set), and collects the URLs of its output artifacts,
// models and events. Ready models only lose their task when detached is not nil.
func (s *Service) dropTaskOutputs(ctx context.Context, ws string, t Task, deleteModels bool,
	urls *Cleanup, deleted, detached *int) error {
	if err := s.store.RemoveTaskEntries(ctx, ws, t.ID); err != nil {
		return err
	}
	if err := s.collectArtifactURLs(t, detached != nil, urls); err != nil {
		return err
	}
	eventURLs, err := s.store.EventURLs(ctx, ws, t.ID)
	if err != nil {
		return err
	}
	for _, u := range eventURLs {
		urls.EventURLs = appendURL(urls.EventURLs, u)
	}
	if err := s.store.DeleteEvents(ctx, ws, t.ID); err != nil {
		return err
	}
	return s.dropOutputModels(ctx, ws, t.ID, deleteModels, urls, deleted, detached)
}

// collectArtifactURLs adds the task's artifact URIs: all of them when the task goes
// away, the output ones when it is only reset.
func (s *Service) collectArtifactURLs(t Task, all bool, urls *Cleanup) error {
	sec, err := DecodeSections(t.Doc)
	if err != nil {
		return err
	}
	arts, err := artifacts(sec)
	if err != nil {
		return err
	}
	for _, a := range arts {
		if all || artifactKey(a).Mode == "output" {
			urls.ArtifactURLs = appendURL(urls.ArtifactURLs, a.Str("uri"))
		}
	}
	return nil
}

func (s *Service) dropOutputModels(ctx context.Context, ws, taskID string, deleteModels bool,
	urls *Cleanup, deleted, detached *int) error {
	models, err := s.store.Models(ctx, ws, ModelFilter{TaskIDs: []string{taskID}})
	if err != nil {
		return err
	}
	for _, m := range models {
		switch {
		case deleteModels && !m.Ready:
			if err := s.store.DeleteModel(ctx, ws, m.ID); err != nil {
				return err
			}
			*deleted++
			urls.ModelURLs = appendURL(urls.ModelURLs, m.URI)
		case detached != nil:
			_, err := s.store.UpdateModel(ctx, ws, m.ID, func(m *Model) error {
				m.TaskID = ""
				return nil
			})
			if err != nil {
				return err
			}
			*detached++
		}
	}
	return nil
}

// DeleteTask removes a task, its queue entries and events, and (by default) its draft
// output models; ready models stay without their task and children lose their parent.
func (s *Service) DeleteTask(ctx context.Context, id string, o DeleteOptions) (
	TaskDeletion, error) {
	var out TaskDeletion
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		t, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
		if err := checkRemovable(t, o.Force); err != nil {
			return err
		}
		out, err = s.deleteTaskTx(ctx, p, t, o)
		return err
	})
	return out, err
}

func (s *Service) deleteTaskTx(ctx context.Context, p identity.Principal, t Task,
	o DeleteOptions) (TaskDeletion, error) {
	out := TaskDeletion{Deleted: 1, URLs: Cleanup{DeleteExternal: o.DeleteExternalArtifacts}}
	err := s.dropTaskOutputs(ctx, p.WorkspaceID, t, o.DeleteOutputModels, &out.URLs,
		&out.DeletedModels, &out.UpdatedModels)
	if err != nil {
		return out, err
	}
	if out.UpdatedChildren, err = s.store.ClearTaskParent(ctx, p.WorkspaceID, t.ID); err != nil {
		return out, err
	}
	if err := s.store.DeleteTask(ctx, p.WorkspaceID, t.ID); err != nil {
		return out, err
	}
	s.store.Publish(ctx, Topic, t.ID)
	return out, s.record(ctx, p, "task.delete", "task", t.ID, map[string]any{
		"name": t.Name, "status": string(t.Status), "deleted_models": out.DeletedModels,
		"artifact_urls": len(out.URLs.ArtifactURLs)})
}

// CloneInput is what tasks.clone accepts; empty fields are taken from the source task.
type CloneInput struct {
	Name          string
	Comment       *string
	Tags          *[]string
	SystemTags    *[]string
	ProjectID     string
	ParentID      string
	Hyperparams   json.RawMessage
	Configuration json.RawMessage
	Execution     json.RawMessage // execution_overrides, merged over the source's execution
}

// CloneTask makes a new created task from another: its script, parameters,
// configuration, container, input models and input artifacts, without run results.
func (s *Service) CloneTask(ctx context.Context, id string, in CloneInput) (Task, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		src, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(src), access.Read); err != nil {
			return err
		}
		project := in.ProjectID
		if project == "" {
			project = src.ProjectID // the clone lands in the source's project
		}
		if err := s.checkRefs(ctx, p, project, in.ParentID); err != nil {
			return err
		}
		out, err = cloneOf(src, in, p, now)
		if err != nil {
			return err
		}
		if err := s.store.CreateTask(ctx, &out); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, out.ID)
		return s.record(ctx, p, "task.clone", "task", out.ID, map[string]any{"source": id})
	})
	return out, err
}

func cloneOf(src Task, in CloneInput, p identity.Principal, now time.Time) (Task, error) {
	t := Task{ID: secret.ID(), WorkspaceID: p.WorkspaceID, ProjectID: src.ProjectID,
		UserID: p.UserID, Name: src.Name, Type: src.Type, Status: StatusCreated,
		Comment: src.Comment, ParentID: src.ParentID, Tags: src.Tags,
		SystemTags: withoutTag(src.SystemTags, "archived"), CreatedAt: now,
		StatusChangedAt: now, LastUpdate: now}
	if in.Name != "" {
		t.Name = in.Name
	}
	if in.Comment != nil {
		t.Comment = *in.Comment
	}
	if in.Tags != nil {
		t.Tags = cleanTags(*in.Tags)
	}
	if in.SystemTags != nil {
		t.SystemTags = cleanTags(*in.SystemTags)
	}
	if in.ProjectID != "" {
		t.ProjectID = in.ProjectID
	}
	if in.ParentID != "" {
		t.ParentID = in.ParentID
	}
	doc, err := cloneDoc(src.Doc, in)
	t.Doc = doc
	return t, err
}

func cloneDoc(doc json.RawMessage, in CloneInput) (json.RawMessage, error) {
	src, err := DecodeSections(doc)
	if err != nil {
		return nil, err
	}
	sec := Sections{}
	for _, k := range []string{"script", "hyperparams", "configuration", "execution",
		"container", "output", "models"} {
		if v, ok := src[k]; ok {
			sec[k] = v
		}
	}
	if len(in.Hyperparams) > 0 && in.Hyperparams[0] == '{' {
		sec["hyperparams"] = in.Hyperparams
	}
	if len(in.Configuration) > 0 && in.Configuration[0] == '{' {
		sec["configuration"] = in.Configuration
	}
	if err := cloneExecution(sec, in.Execution); err != nil {
		return nil, err
	}
	if err := sec.DeleteField("models", "output"); err != nil {
		return nil, err
	}
	return sec.Encode()
}

// cloneExecution keeps the source's execution minus its queue and output artifacts, with
// the caller's overrides on top.
func cloneExecution(sec Sections, overrides json.RawMessage) error {
	if err := sec.DeleteField("execution", "queue"); err != nil {
		return err
	}
	if err := keepInputArtifacts(sec); err != nil {
		return err
	}
	if len(overrides) == 0 || overrides[0] != '{' {
		return nil
	}
	var over map[string]json.RawMessage
	if err := json.Unmarshal(overrides, &over); err != nil {
		return validation("execution_overrides: %v", err)
	}
	exec, err := sec.Object("execution")
	if err != nil {
		return err
	}
	for k, v := range over {
		exec[k] = v
	}
	return sec.SetObject("execution", exec)
}
