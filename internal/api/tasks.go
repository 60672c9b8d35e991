package api

import (
	"context"
	"encoding/json"

	"atrium/internal/registry"
)

func (a *API) taskEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "tasks.create", Handle: a.createTask},
		{Name: "tasks.get_by_id", Handle: a.getTaskByID},
		{Name: "tasks.get_all", Handle: a.getAllTasks},
		{Name: "tasks.get_all_ex", Handle: a.getAllTasks},
		{Name: "tasks.edit", Handle: a.editTask},
		{Name: "tasks.update", Handle: a.updateTask},
		{Name: "tasks.started", Handle: a.statusCall(a.svc.Registry.Started)},
		{Name: "tasks.stopped", Handle: a.statusCall(a.svc.Registry.Stopped)},
		{Name: "tasks.failed", Handle: a.statusCall(a.svc.Registry.Failed)},
		{Name: "tasks.close", Handle: a.statusCall(a.svc.Registry.Close)},
		{Name: "tasks.publish", Handle: a.statusCall(a.svc.Registry.Publish)},
		{Name: "tasks.stop", Handle: a.statusCall(a.svc.Registry.Stop)},
		{Name: "tasks.completed", Handle: a.completedTask},
		{Name: "tasks.ping", Handle: a.pingTask},
		{Name: "tasks.enqueue", Handle: a.enqueueTask},
		{Name: "tasks.dequeue", Handle: a.dequeueTask},
		{Name: "tasks.reset", Handle: a.resetTask},
		{Name: "tasks.delete", Handle: a.deleteTask},
		{Name: "tasks.clone", Handle: a.cloneTask},
	}
}

// taskJSON is a task's fixed fields as ClearML returns them; the free-form sections
// (script, execution, ...) follow from the stored document.
type taskJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	User          string   `json:"user"`
	Company       string   `json:"company"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	StatusReason  string   `json:"status_reason"`
	StatusMessage string   `json:"status_message"`
	StatusChanged *Time    `json:"status_changed,omitempty"`
	Comment       string   `json:"comment"`
	Project       string   `json:"project,omitempty"`
	Parent        string   `json:"parent,omitempty"`
	Tags          []string `json:"tags"`
	SystemTags    []string `json:"system_tags"`
	Created       *Time    `json:"created,omitempty"`
	Started       *Time    `json:"started,omitempty"`
	Completed     *Time    `json:"completed,omitempty"`
	Published     *Time    `json:"published,omitempty"`
	LastUpdate    *Time    `json:"last_update,omitempty"`
	LastChange    *Time    `json:"last_change,omitempty"`
	LastIteration int64    `json:"last_iteration"`
	LastWorker    string   `json:"last_worker,omitempty"`
	EnqueueStatus string   `json:"enqueue_status,omitempty"`
}

func taskFixed(t registry.Task) taskJSON {
	return taskJSON{ID: t.ID, Name: t.Name, User: t.UserID, Company: t.WorkspaceID,
		Type: t.Type, Status: string(t.Status), StatusReason: t.StatusReason,
		StatusMessage: t.StatusMessage, StatusChanged: timePtr(t.StatusChangedAt),
		Comment: t.Comment, Project: t.ProjectID, Parent: t.ParentID, Tags: t.Tags,
		SystemTags: t.SystemTags, Created: timePtr(t.CreatedAt), Started: timePtr(t.StartedAt),
		Completed: timePtr(t.CompletedAt), Published: timePtr(t.PublishedAt),
		LastUpdate: timePtr(t.LastUpdate), LastChange: timePtr(t.LastUpdate),
		LastIteration: t.LastIteration, LastWorker: t.LastWorker,
		EnqueueStatus: string(t.EnqueueStatus)}
}

func taskOut(t registry.Task) withDoc { return withDoc{fixed: taskFixed(t), doc: t.Doc} }

// taskWrite is the writable part of tasks.create and tasks.edit.
type taskWrite struct {
	Name          *string         `json:"name"`
	Type          *string         `json:"type"`
	Comment       *string         `json:"comment"`
	Project       *string         `json:"project"`
	Parent        *string         `json:"parent"`
	Tags          *[]string       `json:"tags"`
	SystemTags    *[]string       `json:"system_tags"`
	Script        json.RawMessage `json:"script"`
	Hyperparams   json.RawMessage `json:"hyperparams"`
	Configuration json.RawMessage `json:"configuration"`
	Runtime       json.RawMessage `json:"runtime"`
	Execution     json.RawMessage `json:"execution"`
	Models        json.RawMessage `json:"models"`
	Container     json.RawMessage `json:"container"`
	Output        json.RawMessage `json:"output"`
}

// sections collects the free-form fields the request carried.
func (w taskWrite) sections() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for name, raw := range map[string]json.RawMessage{"script": w.Script,
		"hyperparams": w.Hyperparams, "configuration": w.Configuration, "runtime": w.Runtime,
		"execution": w.Execution, "models": w.Models, "container": w.Container,
		"output": w.Output} {
		if raw != nil {
			out[name] = raw
		}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (a *API) createTask(c *Call) (any, error) {
	var req taskWrite
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if deref(req.Name) == "" {
		return nil, missing("name")
	}
	t, err := a.svc.Registry.CreateTask(c.Context(), registry.TaskInput{
		Name: deref(req.Name), Type: deref(req.Type), ProjectID: deref(req.Project),
		Comment: deref(req.Comment), ParentID: deref(req.Parent), Tags: deref(req.Tags),
		SystemTags: deref(req.SystemTags), Sections: req.sections()})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": t.ID}, nil
}

func (a *API) getTaskByID(c *Call) (any, error) {
	var req taskRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	t, err := a.svc.Registry.Task(c.Context(), req.Task)
	if err != nil {
		return nil, err
	}
	return map[string]any{"task": taskOut(t)}, nil
}

func (a *API) getAllTasks(c *Call) (any, error) {
	var req struct {
		listQuery
		Project stringList `json:"project"`
		Status  stringList `json:"status"`
		Type    stringList `json:"type"`
		User    stringList `json:"user"`
		Parent  stringList `json:"parent"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	pg, err := req.page()
	if err != nil {
		return nil, err
	}
	statuses := make([]registry.Status, len(req.Status))
	for i, s := range req.Status {
		statuses[i] = registry.Status(s)
	}
	list, err := a.svc.Registry.Tasks(c.Context(), registry.TaskQuery{IDs: req.ID,
		ProjectIDs: req.Project, Statuses: statuses, Types: req.Type, UserIDs: req.User,
		ParentIDs: req.Parent, Name: req.Name, Tags: req.Tags, SystemTags: req.SystemTags,
		SearchHidden: req.SearchHidden, OrderBy: req.OrderBy, Page: pg})
	if err != nil {
		return nil, err
	}
	if len(req.OnlyFields) == 0 {
		return map[string]any{"tasks": taskList(list)}, nil
	}
	out := make([]any, len(list))
	for i, t := range list {
		out[i] = selectFields(taskOut(t), req.OnlyFields, registry.TaskSections)
	}
	return map[string]any{"tasks": out}, nil
}

func (a *API) editTask(c *Call) (any, error) {
	var req struct {
		taskRef
		taskWrite
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	return a.applyEdit(c, req.Task, req.taskWrite, req.Force)
}

func (a *API) applyEdit(c *Call, id string, w taskWrite, force bool) (any, error) {
	t, changed, err := a.svc.Registry.EditTask(c.Context(), id, registry.TaskEdit{
		Name: w.Name, Type: w.Type, Comment: w.Comment, ProjectID: w.Project,
		ParentID: w.Parent, Tags: w.Tags, SystemTags: w.SystemTags, Sections: w.sections()},
		force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(len(changed) > 0),
		"fields": fieldsOf(taskOut(t), changed)}, nil
}

// updateTask is ClearML's tasks.update: the descriptive fields (name, comment, tags,
// project, parent), in any status.
func (a *API) updateTask(c *Call) (any, error) {
	var req struct {
		Task       string    `json:"task"`
		Name       *string   `json:"name"`
		Comment    *string   `json:"comment"`
		Project    *string   `json:"project"`
		Parent     *string   `json:"parent"`
		Tags       *[]string `json:"tags"`
		SystemTags *[]string `json:"system_tags"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Task == "" {
		return nil, missing("task")
	}
	return a.applyEdit(c, req.Task, taskWrite{Name: req.Name, Comment: req.Comment,
		Project: req.Project, Parent: req.Parent, Tags: req.Tags, SystemTags: req.SystemTags},
		true)
}

// statusRequest is what the status calls carry.
type statusRequest struct {
	taskRef
	StatusReason  string `json:"status_reason"`
	StatusMessage string `json:"status_message"`
}

func (r statusRequest) change(c *Call) registry.StatusChange {
	return registry.StatusChange{Reason: r.StatusReason, Message: r.StatusMessage,
		Force: r.Force, Worker: c.Worker}
}

// statusFields are the "fields" of a status call's answer.
func statusFields(t registry.Task) map[string]any {
	return fieldsOf(taskOut(t), []string{"status", "status_reason", "status_message",
		"status_changed", "last_update", "started", "completed", "published"})
}

type statusFunc func(ctx context.Context, id string, ch registry.StatusChange) (
	registry.Task, error)

// statusCall builds the handler of a plain status change (started, stopped, ...).
func (a *API) statusCall(fn statusFunc) func(c *Call) (any, error) {
	return func(c *Call) (any, error) {
		var req statusRequest
		if err := c.Decode(&req); err != nil {
			return nil, err
		}
		if err := req.check(); err != nil {
			return nil, err
		}
		t, err := fn(c.Context(), req.Task, req.change(c))
		if err != nil {
			return nil, err
		}
		return map[string]any{"updated": 1, "fields": statusFields(t)}, nil
	}
}

func (a *API) completedTask(c *Call) (any, error) {
	var req struct {
		statusRequest
		Publish bool `json:"publish"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	t, err := a.svc.Registry.Completed(c.Context(), req.Task, req.change(c), req.Publish)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "fields": statusFields(t),
		"published": boolInt(t.Status == registry.StatusPublished)}, nil
}

func (a *API) pingTask(c *Call) (any, error) {
	var req taskRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	return map[string]any{}, a.svc.Registry.Ping(c.Context(), req.Task)
}

func (a *API) enqueueTask(c *Call) (any, error) {
	var req struct {
		statusRequest
		Queue     string `json:"queue"`
		QueueName string `json:"queue_name"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	t, _, err := a.svc.Registry.Enqueue(c.Context(), req.Task, req.Queue, req.QueueName,
		req.change(c))
	if err != nil {
		return nil, err
	}
	return map[string]any{"queued": 1, "updated": 1, "fields": statusFields(t)}, nil
}

func (a *API) dequeueTask(c *Call) (any, error) {
	var req statusRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	t, err := a.svc.Registry.Dequeue(c.Context(), req.Task, req.change(c))
	if err != nil {
		return nil, err
	}
	return map[string]any{"dequeued": 1, "updated": 1, "fields": statusFields(t)}, nil
}

// removal is what tasks.reset and tasks.delete accept. ClearML's defaults: output models
// and external artifacts are deleted unless the caller says otherwise.
type removal struct {
	taskRef
	ClearAll                bool  `json:"clear_all"`
	DeleteOutputModels      *bool `json:"delete_output_models"`
	DeleteExternalArtifacts *bool `json:"delete_external_artifacts"`
}

func orTrue(b *bool) bool { return b == nil || *b }

func (a *API) resetTask(c *Call) (any, error) {
	var req removal
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	r, err := a.svc.Registry.ResetTask(c.Context(), req.Task, registry.ResetOptions{
		Force: req.Force, ClearAll: req.ClearAll,
		DeleteOutputModels:      orTrue(req.DeleteOutputModels),
		DeleteExternalArtifacts: orTrue(req.DeleteExternalArtifacts)})
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "fields": statusFields(r.Task),
		"dequeued":       map[string]any{"removed": boolInt(r.Dequeued)},
		"deleted_models": r.DeletedModels, "urls": urlsOut(r.URLs)}, nil
}

func (a *API) deleteTask(c *Call) (any, error) {
	var req removal
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	d, err := a.svc.Registry.DeleteTask(c.Context(), req.Task, registry.DeleteOptions{
		Force: req.Force, DeleteOutputModels: orTrue(req.DeleteOutputModels),
		DeleteExternalArtifacts: orTrue(req.DeleteExternalArtifacts)})
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": d.Deleted, "updated_children": d.UpdatedChildren,
		"updated_models": d.UpdatedModels, "deleted_models": d.DeletedModels,
		"urls": urlsOut(d.URLs)}, nil
}

func (a *API) cloneTask(c *Call) (any, error) {
	var req struct {
		Task                 string          `json:"task"`
		NewTaskName          string          `json:"new_task_name"`
		NewTaskComment       *string         `json:"new_task_comment"`
		NewTaskTags          *[]string       `json:"new_task_tags"`
		NewTaskSystemTags    *[]string       `json:"new_task_system_tags"`
		NewTaskProject       string          `json:"new_task_project"`
		NewTaskParent        string          `json:"new_task_parent"`
		NewTaskHyperparams   json.RawMessage `json:"new_task_hyperparams"`
		NewTaskConfiguration json.RawMessage `json:"new_task_configuration"`
		ExecutionOverrides   json.RawMessage `json:"execution_overrides"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Task == "" {
		return nil, missing("task")
	}
	t, err := a.svc.Registry.CloneTask(c.Context(), req.Task, registry.CloneInput{
		Name: req.NewTaskName, Comment: req.NewTaskComment, Tags: req.NewTaskTags,
		SystemTags: req.NewTaskSystemTags, ProjectID: req.NewTaskProject,
		ParentID: req.NewTaskParent, Hyperparams: req.NewTaskHyperparams,
		Configuration: req.NewTaskConfiguration, Execution: req.ExecutionOverrides})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": t.ID}, nil
}

// taskFieldEndpoints are the calls that edit one part of a task.
func (a *API) taskFieldEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "tasks.set_requirements", Handle: a.setRequirements},
		{Name: "tasks.edit_hyper_params", Handle: a.editHyperParams},
		{Name: "tasks.get_hyper_params", Handle: a.getHyperParams},
		{Name: "tasks.edit_configuration", Handle: a.editConfiguration},
		{Name: "tasks.get_configurations", Handle: a.getConfigurations},
		{Name: "tasks.get_configuration_names", Handle: a.getConfigurationNames},
		{Name: "tasks.add_or_update_artifacts", Handle: a.addOrUpdateArtifacts},
		{Name: "tasks.delete_artifacts", Handle: a.deleteArtifacts},
		{Name: "tasks.add_or_update_model", Handle: a.addOrUpdateModel},
		{Name: "tasks.delete_models", Handle: a.deleteModelRefs},
	}
}

func (a *API) setRequirements(c *Call) (any, error) {
	var req struct {
		taskRef
		Requirements json.RawMessage `json:"requirements"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	t, err := a.svc.Registry.SetRequirements(c.Context(), req.Task, req.Requirements,
		req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "fields": fieldsOf(taskOut(t), []string{"script"})},
		nil
}

func (a *API) editHyperParams(c *Call) (any, error) {
	var req struct {
		taskRef
		Hyperparams        []registry.Item `json:"hyperparams"`
		ReplaceHyperparams string          `json:"replace_hyperparams"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	_, err := a.svc.Registry.EditHyperParams(c.Context(), req.Task, req.Hyperparams,
		req.ReplaceHyperparams, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}

func (a *API) getHyperParams(c *Call) (any, error) {
	var req struct {
		Tasks stringList `json:"tasks"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.HyperParams(c.Context(), req.Tasks)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, ti := range list {
		out[i] = map[string]any{"task": ti.TaskID, "hyperparams": itemsOut(ti.Items)}
	}
	return map[string]any{"params": out}, nil
}

func itemsOut(items []registry.Item) []registry.Item {
	if items == nil {
		return []registry.Item{}
	}
	return items
}

func (a *API) editConfiguration(c *Call) (any, error) {
	var req struct {
		taskRef
		Configuration        []registry.Item `json:"configuration"`
		ReplaceConfiguration bool            `json:"replace_configuration"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	_, err := a.svc.Registry.EditConfiguration(c.Context(), req.Task, req.Configuration,
		req.ReplaceConfiguration, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}

func (a *API) getConfigurations(c *Call) (any, error) {
	var req struct {
		Tasks stringList `json:"tasks"`
		Names stringList `json:"names"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.Configurations(c.Context(), req.Tasks, req.Names)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, ti := range list {
		out[i] = map[string]any{"task": ti.TaskID, "configuration": itemsOut(ti.Items)}
	}
	return map[string]any{"configurations": out}, nil
}

func (a *API) getConfigurationNames(c *Call) (any, error) {
	var req struct {
		Tasks stringList `json:"tasks"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.Configurations(c.Context(), req.Tasks, nil)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, ti := range list {
		names := []string{}
		for _, it := range ti.Items {
			names = append(names, it.Str("name"))
		}
		out[i] = map[string]any{"task": ti.TaskID, "names": names}
	}
	return map[string]any{"configurations": out}, nil
}

func (a *API) addOrUpdateArtifacts(c *Call) (any, error) {
	var req struct {
		taskRef
		Artifacts []registry.Item `json:"artifacts"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	n, err := a.svc.Registry.AddOrUpdateArtifacts(c.Context(), req.Task, req.Artifacts,
		req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": n}, nil
}

func (a *API) deleteArtifacts(c *Call) (any, error) {
	var req struct {
		taskRef
		Artifacts []struct {
			Key  string `json:"key"`
			Mode string `json:"mode"`
		} `json:"artifacts"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	keys := make([]registry.ArtifactKey, len(req.Artifacts))
	for i, k := range req.Artifacts {
		keys[i] = registry.ArtifactKey{Key: k.Key, Mode: k.Mode}
	}
	n, err := a.svc.Registry.DeleteArtifacts(c.Context(), req.Task, keys, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}

func (a *API) addOrUpdateModel(c *Call) (any, error) {
	var req struct {
		taskRef
		Name  string `json:"name"`
		Model string `json:"model"`
		Type  string `json:"type"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	_, err := a.svc.Registry.AddOrUpdateModel(c.Context(), req.Task, registry.ModelRef{
		Name: req.Name, ModelID: req.Model, Type: req.Type}, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}

func (a *API) deleteModelRefs(c *Call) (any, error) {
	var req struct {
		taskRef
		Models []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"models"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	refs := make([]registry.ModelRef, len(req.Models))
	for i, m := range req.Models {
		refs[i] = registry.ModelRef{Name: m.Name, Type: m.Type}
	}
	n, err := a.svc.Registry.DeleteModelRefs(c.Context(), req.Task, refs, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}
