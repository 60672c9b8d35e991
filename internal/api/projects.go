package api

import (
	"atrium/internal/registry"
)

func (a *API) projectEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "projects.create", Handle: a.createProject},
		{Name: "projects.get_all", Handle: a.getAllProjects},
		{Name: "projects.get_all_ex", Handle: a.getAllProjects},
		{Name: "projects.get_by_id", Handle: a.getProjectByID},
		{Name: "projects.update", Handle: a.updateProject},
		{Name: "projects.delete", Handle: a.deleteProject},
	}
}

// projectJSON is a project as ClearML returns it.
type projectJSON struct {
	ID                       string   `json:"id"`
	Name                     string   `json:"name"`
	Basename                 string   `json:"basename"`
	Description              string   `json:"description"`
	User                     string   `json:"user"`
	Company                  string   `json:"company"`
	Parent                   string   `json:"parent,omitempty"`
	Tags                     []string `json:"tags"`
	SystemTags               []string `json:"system_tags"`
	DefaultOutputDestination string   `json:"default_output_destination,omitempty"`
	Created                  *Time    `json:"created,omitempty"`
	LastUpdate               *Time    `json:"last_update,omitempty"`
}

func projectOut(p registry.Project) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, Basename: p.Basename,
		Description: p.Description, User: p.UserID, Company: p.WorkspaceID, Parent: p.ParentID,
		Tags: p.Tags, SystemTags: p.SystemTags,
		DefaultOutputDestination: p.DefaultOutputDestination, Created: timePtr(p.CreatedAt),
		LastUpdate: timePtr(p.LastUpdate)}
}

func (a *API) createProject(c *Call) (any, error) {
	var req struct {
		Name                     string   `json:"name"`
		Description              string   `json:"description"`
		Tags                     []string `json:"tags"`
		SystemTags               []string `json:"system_tags"`
		DefaultOutputDestination string   `json:"default_output_destination"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, missing("name")
	}
	p, err := a.svc.Registry.CreateProject(c.Context(), registry.ProjectInput{
		Name: req.Name, Description: req.Description, Tags: req.Tags,
		SystemTags: req.SystemTags, DefaultOutputDestination: req.DefaultOutputDestination})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": p.ID}, nil
}

func (a *API) getAllProjects(c *Call) (any, error) {
	var req struct {
		listQuery
		Parent        stringList `json:"parent"`
		ShallowSearch bool       `json:"shallow_search"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	pg, err := req.page()
	if err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.Projects(c.Context(), registry.ProjectQuery{IDs: req.ID,
		Name: req.Name, ParentIDs: req.Parent, Shallow: req.ShallowSearch,
		SearchHidden: req.SearchHidden, Tags: req.Tags, SystemTags: req.SystemTags,
		OrderBy: req.OrderBy, Page: pg})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(list))
	for i, p := range list {
		out[i] = selectFields(withDoc{fixed: projectOut(p)}, req.OnlyFields, nil)
	}
	return map[string]any{"projects": out}, nil
}

func (a *API) getProjectByID(c *Call) (any, error) {
	var req struct {
		Project string `json:"project"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Project == "" {
		return nil, missing("project")
	}
	p, err := a.svc.Registry.Project(c.Context(), req.Project)
	if err != nil {
		return nil, err
	}
	return map[string]any{"project": projectOut(p)}, nil
}

func (a *API) updateProject(c *Call) (any, error) {
	var req struct {
		Project                  string    `json:"project"`
		Name                     *string   `json:"name"`
		Description              *string   `json:"description"`
		Tags                     *[]string `json:"tags"`
		SystemTags               *[]string `json:"system_tags"`
		DefaultOutputDestination *string   `json:"default_output_destination"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Project == "" {
		return nil, missing("project")
	}
	p, changed, err := a.svc.Registry.UpdateProject(c.Context(), req.Project,
		registry.ProjectChange{Name: req.Name, Description: req.Description, Tags: req.Tags,
			SystemTags: req.SystemTags, DefaultOutputDestination: req.DefaultOutputDestination})
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(len(changed) > 0),
		"fields": fieldsOf(projectOut(p), changed)}, nil
}

func (a *API) deleteProject(c *Call) (any, error) {
	var req struct {
		Project        string `json:"project"`
		Force          bool   `json:"force"`
		DeleteContents bool   `json:"delete_contents"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Project == "" {
		return nil, missing("project")
	}
	d, err := a.svc.Registry.DeleteProject(c.Context(), req.Project, req.Force,
		req.DeleteContents)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": d.Deleted, "disassociated_tasks": d.DisassociatedTasks,
		"deleted_tasks": d.DeletedTasks, "deleted_models": d.DeletedModels,
		"urls": urlsOut(d.URLs)}, nil
}
