package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/registry"
)

// The Workspace objects section is a read-only browser of the registry: what the ClearML
// SDK and agents created, as the signed-in user may see it. It has no forms but GET
// filters; every call goes through the registry service with the caller's principal, so
// the service's access rules decide what is listed.

// Paths of the Workspace objects pages.
const (
	pathProjects = "/settings/projects"
	pathTasks    = "/settings/tasks"
	pathModels   = "/settings/models"
	pathQueues   = "/settings/queues"
)

// tasksPerPage is the size of one page of a project's tasks.
const tasksPerPage = 50

// logLines is how many of a task's last log lines its page shows.
const logLines = 100

// listLimit bounds the models and queues a page lists.
const listLimit = 500

// workloadRoutes are the section's routes; none without a registry.
func (w *Web) workloadRoutes() []route {
	if w.svc.Registry == nil {
		return nil
	}
	return []route{
		{"GET " + pathProjects, w.page(w.projectsPage)},
		{"GET " + pathProjects + "/{id}", w.page(w.projectPage)},
		{"GET " + pathTasks + "/{id}", w.page(w.taskPage)},
		{"GET " + pathModels, w.page(w.modelsPage)},
		{"GET " + pathQueues, w.page(w.queuesPage)},
	}
}

// owners resolves user ids to display names once per request. Removed users keep their
// name; an id that does not resolve is shown as it is.
type owners struct {
	ids   *identity.Service
	ctx   context.Context
	names map[string]string
}

func (w *Web) owners(r *http.Request) *owners {
	return &owners{ids: w.svc.Identity, ctx: r.Context(), names: map[string]string{}}
}

func (o *owners) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := o.names[id]; ok {
		return n
	}
	n := id
	if u, err := o.ids.User(o.ctx, id); err == nil {
		n = orDefault(u.Name, orDefault(u.Email, id))
	}
	o.names[id] = n
	return n
}

// registryFail answers a registry error: an unknown or unreadable object is a 404, the
// rest a server error.
func (w *Web) registryFail(rw http.ResponseWriter, r *http.Request, s *session, err error,
	what, back string) {
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) ||
		apperr.Is(err, apperr.Forbidden) {
		w.fail(rw, r, s, http.StatusNotFound, what+" not found",
			"There is no "+strings.ToLower(what)+" with this ID that you can see.", back)
		return
	}
	w.serverError(rw, r, s, err)
}

// Projects ------------------------------------------------------------------------------

// projectsView is the project tree.
type projectsView struct {
	chrome
	Rows       []projectRow
	ShowHidden bool
}

// projectRow is one project, indented by its depth in the tree.
type projectRow struct {
	ID         string
	Name       string // the last segment
	Path       string // the full name
	Depth      int
	Indent     string // a class for the depth
	Hidden     bool
	Owner      string
	Created    when
	LastUpdate when
}

func (w *Web) projectsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	v := projectsView{chrome: w.chrome(r, s, "Projects", pathProjects)}
	if prefs, err := w.svc.Identity.Preferences(ctx); err == nil {
		v.ShowHidden, _ = lookup(prefs, "rootProjects.showHidden").(bool)
	}
	list, err := w.svc.Registry.Projects(ctx, registry.ProjectQuery{SearchHidden: v.ShowHidden,
		OrderBy: []string{"name"}})
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	o, now := w.owners(r), w.now()
	for _, p := range list {
		depth := strings.Count(p.Name, "/")
		v.Rows = append(v.Rows, projectRow{ID: p.ID, Name: orDefault(p.Basename, p.Name),
			Path: p.Name, Depth: depth, Indent: "indent-" + strconv.Itoa(min(depth, 6)),
			Hidden: p.Hidden(), Owner: o.name(p.UserID), Created: pastOf(now, p.CreatedAt),
			LastUpdate: pastOf(now, p.LastUpdate)})
	}
	w.render(rw, r, http.StatusOK, tmplProjects, v)
}

// projectView is one project's tasks, a page at a time, with a status filter.
type projectView struct {
	chrome
	Crumbs   []crumb
	Project  projectRow
	Statuses []choice
	Status   string
	Rows     []taskRow
	From, To int
	PrevURL  string
	NextURL  string
}

// crumb is one link of a breadcrumb.
type crumb struct {
	Title string
	Path  string
}

// taskRow is one task of a listing.
type taskRow struct {
	ID          string
	Name        string
	Type        string
	Status      string
	StatusClass string
	Owner       string
	Created     when
	Started     when
	Finished    when // completed, or the last update while not finished
	FinishedIs  string
}

// statusChoices are the filter's options, ClearML's statuses in life-cycle order.
func statusChoices(selected string) []choice {
	out := []choice{{Value: "", Label: "Any status"}}
	for _, st := range []registry.Status{registry.StatusCreated, registry.StatusQueued,
		registry.StatusInProgress, registry.StatusStopped, registry.StatusCompleted,
		registry.StatusFailed, registry.StatusPublished, registry.StatusClosed} {
		out = append(out, choice{Value: string(st), Label: taskStatusLabel(st)})
	}
	return choose(selected, out)
}

// taskStatusLabel is a task status as people read it.
func taskStatusLabel(st registry.Status) string {
	return strings.ReplaceAll(string(st), "_", " ")
}

// taskStatusClass is the badge class of a status.
func taskStatusClass(st registry.Status) string {
	switch st {
	case registry.StatusCompleted, registry.StatusPublished:
		return "badge-active"
	case registry.StatusInProgress, registry.StatusQueued:
		return "badge-invited"
	case registry.StatusFailed:
		return "badge-danger"
	case registry.StatusStopped:
		return "badge-warn"
	}
	return "badge-deactivated"
}

func (w *Web) projectPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	proj, err := w.svc.Registry.Project(ctx, r.PathValue("id"))
	if err != nil {
		w.registryFail(rw, r, s, err, "Project", pathProjects)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if !validStatus(status) {
		status = ""
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	tq := registry.TaskQuery{ProjectIDs: []string{proj.ID}, OrderBy: []string{"-created"},
		Page: registry.Page{Limit: tasksPerPage + 1, Offset: (pg - 1) * tasksPerPage}}
	if status != "" {
		tq.Statuses = []registry.Status{registry.Status(status)}
	}
	tasks, err := w.svc.Registry.Tasks(ctx, tq)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	o, now := w.owners(r), w.now()
	v := projectView{chrome: w.chrome(r, s, proj.Name, pathProjects),
		Crumbs: w.projectCrumbs(ctx, proj), Statuses: statusChoices(status), Status: status,
		Project: projectRow{ID: proj.ID, Name: proj.Basename, Path: proj.Name,
			Hidden: proj.Hidden(), Owner: o.name(proj.UserID),
			Created: pastOf(now, proj.CreatedAt), LastUpdate: pastOf(now, proj.LastUpdate)}}
	more := len(tasks) > tasksPerPage
	tasks = tasks[:min(len(tasks), tasksPerPage)]
	for _, t := range tasks {
		v.Rows = append(v.Rows, w.taskRowOf(t, o))
	}
	if len(tasks) > 0 {
		v.From, v.To = (pg-1)*tasksPerPage+1, (pg-1)*tasksPerPage+len(tasks)
	}
	link := func(n int) string {
		u := url.Values{}
		if status != "" {
			u.Set("status", status)
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return pathProjects + "/" + proj.ID
		}
		return pathProjects + "/" + proj.ID + "?" + u.Encode()
	}
	if pg > 1 {
		v.PrevURL = link(pg - 1)
	}
	if more {
		v.NextURL = link(pg + 1)
	}
	w.render(rw, r, http.StatusOK, tmplProject, v)
}

func validStatus(s string) bool {
	for _, c := range statusChoices("") {
		if c.Value != "" && c.Value == s {
			return true
		}
	}
	return false
}

// projectCrumbs links the project's ancestors, from the top of the tree.
func (w *Web) projectCrumbs(ctx context.Context, proj registry.Project) []crumb {
	out := []crumb{{Title: "Projects", Path: pathProjects}}
	var up []crumb
	for id, n := proj.ParentID, 0; id != "" && n < 32; n++ {
		p, err := w.svc.Registry.Project(ctx, id)
		if err != nil {
			break
		}
		up = append(up, crumb{Title: orDefault(p.Basename, p.Name), Path: pathProjects + "/" + p.ID})
		id = p.ParentID
	}
	for i := len(up) - 1; i >= 0; i-- {
		out = append(out, up[i])
	}
	return out
}

func (w *Web) taskRowOf(t registry.Task, o *owners) taskRow {
	now := w.now()
	row := taskRow{ID: t.ID, Name: t.Name, Type: t.Type, Status: taskStatusLabel(t.Status),
		StatusClass: taskStatusClass(t.Status), Owner: o.name(t.UserID),
		Created: pastOf(now, t.CreatedAt), Started: pastOf(now, t.StartedAt),
		Finished: pastOf(now, t.LastUpdate), FinishedIs: "updated"}
	if t.StartedAt.IsZero() {
		row.Started = when{Text: "Not started"}
	}
	if !t.CompletedAt.IsZero() {
		row.Finished, row.FinishedIs = pastOf(now, t.CompletedAt), "ended"
		if t.Status == registry.StatusCompleted || t.Status == registry.StatusPublished {
			row.FinishedIs = "completed"
		}
	}
	return row
}

// Tasks ---------------------------------------------------------------------------------

// taskView is one task: its fields, what it produced and the end of its log.
type taskView struct {
	chrome
	Crumbs        []crumb
	Task          taskRow
	StatusMessage string
	StatusReason  string
	ProjectID     string
	ProjectName   string
	Completed     when
	LastUpdate    when
	Queue         string
	Worker        string
	Tags          []string
	SystemTags    []string
	Comment       string
	Script        taskScript
	Params        []paramRow
	Configs       []string
	Artifacts     []artifactRow
	Models        []modelRef
	Log           []logLine
	LogTotal      int
	LogError      bool
}

// taskScript is where the task's code comes from.
type taskScript struct {
	Repository string
	Branch     string
	Commit     string
	EntryPoint string
	WorkingDir string
}

// paramRow is one hyperparameter.
type paramRow struct {
	Section, Name, Value, Type, Description string
}

// artifactRow is one artifact and where it is stored.
type artifactRow struct {
	Key, Type, Mode, URI string
}

// modelRef is a model the task used or produced.
type modelRef struct {
	Mode string // input or output
	Name string
	ID   string
}

// logLine is one line of the task's console output.
type logLine struct {
	At    string
	Level string
	Text  string
}

func (w *Web) taskPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	t, err := w.svc.Registry.Task(ctx, r.PathValue("id"))
	if err != nil {
		w.registryFail(rw, r, s, err, "Task", pathProjects)
		return
	}
	o, now := w.owners(r), w.now()
	v := taskView{chrome: w.chrome(r, s, t.Name, pathProjects), Task: w.taskRowOf(t, o),
		StatusMessage: t.StatusMessage, StatusReason: t.StatusReason, ProjectID: t.ProjectID,
		Completed: pastOf(now, t.CompletedAt), LastUpdate: pastOf(now, t.LastUpdate),
		Worker: t.LastWorker, Tags: t.Tags, SystemTags: t.SystemTags, Comment: t.Comment}
	v.Crumbs = []crumb{{Title: "Projects", Path: pathProjects}}
	if t.ProjectID != "" {
		if p, err := w.svc.Registry.Project(ctx, t.ProjectID); err == nil {
			v.ProjectName = p.Name
			v.Crumbs = append(w.projectCrumbs(ctx, p), crumb{Title: orDefault(p.Basename, p.Name),
				Path: pathProjects + "/" + p.ID})
		} else {
			v.ProjectName = t.ProjectID
		}
	}
	d := parseTaskDoc(t.Doc)
	v.Script, v.Params, v.Configs, v.Artifacts, v.Models = d.script(), d.params(), d.configs(),
		d.artifacts(), d.models()
	v.Models = w.withTaskModels(ctx, t.ID, v.Models)
	v.Queue = w.queueName(ctx, orDefault(t.QueueID, d.Execution.Queue))
	v.Log, v.LogTotal, v.LogError = w.taskLog(ctx, t.ID)
	w.render(rw, r, http.StatusOK, tmplTask, v)
}

// withTaskModels adds the models registered with the task as theirs (models.create with a
// task) to the references the task itself lists, once each, and names them.
func (w *Web) withTaskModels(ctx context.Context, taskID string, refs []modelRef) []modelRef {
	list, err := w.svc.Registry.Models(ctx, registry.ModelQuery{TaskIDs: []string{taskID},
		Page: registry.Page{Limit: listLimit}})
	if err != nil {
		return refs
	}
	named := map[string]string{}
	for _, m := range list {
		named[m.ID] = m.Name
	}
	seen := map[string]bool{}
	for i := range refs {
		seen[refs[i].ID] = true
		if n, ok := named[refs[i].ID]; ok && refs[i].Name == refs[i].ID {
			refs[i].Name = n
		}
	}
	for _, m := range list {
		if !seen[m.ID] {
			refs = append(refs, modelRef{Mode: "output", Name: m.Name, ID: m.ID})
		}
	}
	return refs
}

// queueName is a queue's name, or its id when it cannot be read.
func (w *Web) queueName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if q, err := w.svc.Registry.Queue(ctx, id); err == nil {
		return q.Name
	}
	return id
}

// taskLog reads the task's last log lines, oldest first.
func (w *Web) taskLog(ctx context.Context, id string) ([]logLine, int, bool) {
	page, err := w.svc.Registry.TaskEvents(ctx, registry.LogQuery{TaskID: id,
		Types: []string{registry.EventLog}, Limit: logLines, Descending: true})
	if err != nil {
		w.log.Warn("task log", "task_id", id, "error", err)
		return nil, 0, true
	}
	out := make([]logLine, 0, len(page.Events))
	for i := len(page.Events) - 1; i >= 0; i-- {
		e := page.Events[i]
		out = append(out, logLine{At: e.At.UTC().Format("2006-01-02 15:04:05"),
			Level: logField(e.Doc, "level"), Text: logField(e.Doc, "msg")})
	}
	return out, page.Total, false
}

// Models and queues ---------------------------------------------------------------------

// modelsView lists the models.
type modelsView struct {
	chrome
	Rows      []modelRow
	Truncated bool
}

// modelRow is one model.
type modelRow struct {
	ID        string
	Name      string
	Framework string
	Ready     bool
	TaskID    string
	TaskName  string
	URI       string
	Owner     string
	Created   when
}

func (w *Web) modelsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	list, err := w.svc.Registry.Models(ctx, registry.ModelQuery{OrderBy: []string{"-created"},
		Page: registry.Page{Limit: listLimit + 1}})
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v := modelsView{chrome: w.chrome(r, s, "Models", pathModels),
		Truncated: len(list) > listLimit}
	list = list[:min(len(list), listLimit)]
	tasks := w.taskNames(ctx, list)
	o, now := w.owners(r), w.now()
	for _, m := range list {
		v.Rows = append(v.Rows, modelRow{ID: m.ID, Name: m.Name, Framework: m.Framework,
			Ready: m.Ready, TaskID: m.TaskID, TaskName: tasks[m.TaskID], URI: m.URI,
			Owner: o.name(m.UserID), Created: pastOf(now, m.CreatedAt)})
	}
	w.render(rw, r, http.StatusOK, tmplModels, v)
}

// taskNames reads the names of the models' tasks in one query.
func (w *Web) taskNames(ctx context.Context, models []registry.Model) map[string]string {
	out := map[string]string{}
	var ids []string
	for _, m := range models {
		if m.TaskID != "" {
			ids = append(ids, m.TaskID)
		}
	}
	if len(ids) == 0 {
		return out
	}
	tasks, err := w.svc.Registry.Tasks(ctx, registry.TaskQuery{IDs: ids, SearchHidden: true})
	if err != nil {
		return out
	}
	for _, t := range tasks {
		out[t.ID] = t.Name
	}
	return out
}

// queuesView lists the queues and the agents serving them.
type queuesView struct {
	chrome
	Rows []queueRow
}

// queueRow is one queue.
type queueRow struct {
	ID       string
	Name     string
	Default  bool
	Pending  int
	Next     []crumb // the first waiting tasks
	Workers  []string
	LastSeen when
	Owner    string
	Created  when
}

// queuedShown is how many waiting tasks a queue's row names.
const queuedShown = 5

func (w *Web) queuesPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	queues, err := w.svc.Registry.Queues(ctx, registry.QueueQuery{
		Page: registry.Page{Limit: listLimit}})
	var workers []registry.Worker
	if err == nil {
		workers, err = w.svc.Registry.Workers(ctx, 0)
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v := queuesView{chrome: w.chrome(r, s, "Queues", pathQueues)}
	o, now := w.owners(r), w.now()
	for _, q := range queues {
		row := queueRow{ID: q.ID, Name: q.Name, Default: hasString(q.SystemTags,
			registry.TagDefault), Pending: len(q.Entries), Owner: o.name(q.UserID),
			Created: pastOf(now, q.CreatedAt), LastSeen: when{Text: "No agent"}}
		var ids []string
		for _, e := range q.Entries[:min(len(q.Entries), queuedShown)] {
			ids = append(ids, e.TaskID)
		}
		row.Next = w.queuedTasks(ctx, ids)
		var seen time.Time
		for _, wk := range workers {
			if !hasString(wk.Queues, q.ID) && !hasString(wk.Queues, q.Name) {
				continue
			}
			row.Workers = append(row.Workers, wk.ID)
			if wk.LastActivity.After(seen) {
				seen = wk.LastActivity
				row.LastSeen = pastOf(now, seen)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	w.render(rw, r, http.StatusOK, tmplQueues, v)
}

// queuedTasks names waiting tasks, in queue order; a task the caller cannot read is left
// out.
func (w *Web) queuedTasks(ctx context.Context, ids []string) []crumb {
	if len(ids) == 0 {
		return nil
	}
	tasks, err := w.svc.Registry.Tasks(ctx, registry.TaskQuery{IDs: ids, SearchHidden: true})
	if err != nil {
		return nil
	}
	names := map[string]string{}
	for _, t := range tasks {
		names[t.ID] = t.Name
	}
	var out []crumb
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, crumb{Title: n, Path: pathTasks + "/" + id})
		}
	}
	return out
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
