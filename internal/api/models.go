package api

import (
	"encoding/json"

	"atrium/internal/registry"
)

func (a *API) modelEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "models.create", Handle: a.createModel},
		{Name: "models.get_all", Handle: a.getAllModels},
		{Name: "models.get_all_ex", Handle: a.getAllModels},
		{Name: "models.get_by_id", Handle: a.getModelByID},
		{Name: "models.update", Handle: a.updateModel},
		{Name: "models.edit", Handle: a.updateModel},
		{Name: "models.set_ready", Handle: a.setModelReady},
		{Name: "models.update_for_task", Handle: a.updateModelForTask},
		{Name: "models.delete", Handle: a.deleteModel},
	}
}

// modelJSON is a model's fixed fields as ClearML returns them; design, labels and
// metadata follow from the stored document.
type modelJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	User       string   `json:"user"`
	Company    string   `json:"company"`
	Comment    string   `json:"comment"`
	Tags       []string `json:"tags"`
	SystemTags []string `json:"system_tags"`
	Framework  string   `json:"framework,omitempty"`
	URI        string   `json:"uri"`
	Task       string   `json:"task,omitempty"`
	Project    string   `json:"project,omitempty"`
	Parent     string   `json:"parent,omitempty"`
	Ready      bool     `json:"ready"`
	Created    *Time    `json:"created,omitempty"`
	LastUpdate *Time    `json:"last_update,omitempty"`
}

func modelOut(m registry.Model) withDoc {
	return withDoc{doc: m.Doc, fixed: modelJSON{ID: m.ID, Name: m.Name, User: m.UserID,
		Company: m.WorkspaceID, Comment: m.Comment, Tags: m.Tags, SystemTags: m.SystemTags,
		Framework: m.Framework, URI: m.URI, Task: m.TaskID, Project: m.ProjectID,
		Parent: m.ParentID, Ready: m.Ready, Created: timePtr(m.CreatedAt),
		LastUpdate: timePtr(m.LastUpdate)}}
}

// modelWrite is the writable part of models.create, update and edit.
type modelWrite struct {
	Name       *string         `json:"name"`
	URI        *string         `json:"uri"`
	Framework  *string         `json:"framework"`
	Comment    *string         `json:"comment"`
	Project    *string         `json:"project"`
	Task       *string         `json:"task"`
	Parent     *string         `json:"parent"`
	Tags       *[]string       `json:"tags"`
	SystemTags *[]string       `json:"system_tags"`
	Ready      *bool           `json:"ready"`
	Design     json.RawMessage `json:"design"`
	Labels     json.RawMessage `json:"labels"`
	Metadata   json.RawMessage `json:"metadata"`
}

func (w modelWrite) sections() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for name, raw := range map[string]json.RawMessage{"design": w.Design,
		"labels": w.Labels, "metadata": w.Metadata} {
		if raw != nil {
			out[name] = raw
		}
	}
	return out
}

func (a *API) createModel(c *Call) (any, error) {
	var req modelWrite
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if deref(req.Name) == "" {
		return nil, missing("name")
	}
	m, err := a.svc.Registry.CreateModel(c.Context(), registry.ModelInput{
		Name: deref(req.Name), URI: deref(req.URI), Framework: deref(req.Framework),
		Comment: deref(req.Comment), ProjectID: deref(req.Project), TaskID: deref(req.Task),
		ParentID: deref(req.Parent), Tags: deref(req.Tags), SystemTags: deref(req.SystemTags),
		Ready: deref(req.Ready), Sections: req.sections()})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": m.ID, "created": true}, nil
}

func (a *API) getAllModels(c *Call) (any, error) {
	var req struct {
		listQuery
		Project   stringList `json:"project"`
		Task      stringList `json:"task"`
		User      stringList `json:"user"`
		Framework stringList `json:"framework"`
		URI       stringList `json:"uri"`
		Ready     *bool      `json:"ready"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	pg, err := req.page()
	if err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.Models(c.Context(), registry.ModelQuery{IDs: req.ID,
		Name: req.Name, ProjectIDs: req.Project, TaskIDs: req.Task, UserIDs: req.User,
		Frameworks: req.Framework, URIs: req.URI, Ready: req.Ready, Tags: req.Tags,
		SystemTags: req.SystemTags, OrderBy: req.OrderBy, Page: pg})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(list))
	for i, m := range list {
		out[i] = selectFields(modelOut(m), req.OnlyFields, registry.ModelSections)
	}
	return map[string]any{"models": out}, nil
}

func (a *API) getModelByID(c *Call) (any, error) {
	var req struct {
		Model string `json:"model"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, missing("model")
	}
	m, err := a.svc.Registry.Model(c.Context(), req.Model)
	if err != nil {
		return nil, err
	}
	return map[string]any{"model": modelOut(m)}, nil
}

func (a *API) updateModel(c *Call) (any, error) {
	var req struct {
		modelWrite
		Model string `json:"model"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, missing("model")
	}
	w := req.modelWrite
	m, changed, err := a.svc.Registry.UpdateModel(c.Context(), req.Model, registry.ModelChange{
		Name: w.Name, URI: w.URI, Framework: w.Framework, Comment: w.Comment,
		ProjectID: w.Project, TaskID: w.Task, ParentID: w.Parent, Tags: w.Tags,
		SystemTags: w.SystemTags, Ready: w.Ready, Sections: w.sections()})
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(len(changed) > 0),
		"fields": fieldsOf(modelOut(m), changed)}, nil
}

func (a *API) setModelReady(c *Call) (any, error) {
	var req struct {
		Model string `json:"model"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, missing("model")
	}
	if _, err := a.svc.Registry.PublishModel(c.Context(), req.Model); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "published_task": map[string]any{}}, nil
}

func (a *API) updateModelForTask(c *Call) (any, error) {
	var req struct {
		Task            string    `json:"task"`
		URI             string    `json:"uri"`
		Name            string    `json:"name"`
		Comment         *string   `json:"comment"`
		Tags            *[]string `json:"tags"`
		OverrideModelID string    `json:"override_model_id"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	m, created, err := a.svc.Registry.UpdateForTask(c.Context(), registry.ModelForTask{
		TaskID: req.Task, URI: req.URI, Name: req.Name, Comment: req.Comment, Tags: req.Tags,
		OverrideModelID: req.OverrideModelID})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": m.ID, "created": created, "updated": 1,
		"fields": map[string]any{}}, nil
}

func (a *API) deleteModel(c *Call) (any, error) {
	var req struct {
		Model string `json:"model"`
		Force bool   `json:"force"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Model == "" {
		return nil, missing("model")
	}
	uri, err := a.svc.Registry.DeleteModel(c.Context(), req.Model, req.Force)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": true, "url": uri}, nil
}
