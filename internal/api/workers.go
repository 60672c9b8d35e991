package api

import (
	"encoding/json"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/registry"
)

func (a *API) workerEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "workers.register", Handle: a.registerWorker},
		{Name: "workers.unregister", Handle: a.unregisterWorker},
		{Name: "workers.status_report", Handle: a.workerStatusReport},
		{Name: "workers.get_all", Handle: a.getAllWorkers},
		{Name: "workers.get_runtime_properties", Handle: getRuntimeProperties},
	}
}

// workerRequest is what register and status_report carry.
type workerRequest struct {
	Worker       string          `json:"worker"`
	Timeout      *int64          `json:"timeout"`
	Queues       []string        `json:"queues"`
	Queue        string          `json:"queue"`
	Tags         []string        `json:"tags"`
	SystemTags   []string        `json:"system_tags"`
	Task         *string         `json:"task"`
	MachineStats json.RawMessage `json:"machine_stats"`
}

func (r workerRequest) report(c *Call) registry.WorkerReport {
	rep := registry.WorkerReport{ID: r.Worker, Queues: r.Queues, Tags: r.Tags,
		SystemTags: r.SystemTags, TaskID: r.Task, IP: c.Address, MachineStats: r.MachineStats}
	if r.Timeout != nil && *r.Timeout > 0 {
		rep.Timeout = time.Duration(*r.Timeout) * time.Second
	}
	if rep.Queues == nil && r.Queue != "" {
		rep.Queues = []string{r.Queue}
	}
	return rep
}

func (a *API) registerWorker(c *Call) (any, error) {
	var req workerRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Worker == "" {
		return nil, missing("worker")
	}
	return map[string]any{}, a.svc.Registry.RegisterWorker(c.Context(), req.report(c))
}

func (a *API) unregisterWorker(c *Call) (any, error) {
	var req workerRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Worker == "" {
		return nil, missing("worker")
	}
	return map[string]any{}, a.svc.Registry.UnregisterWorker(c.Context(), req.Worker)
}

func (a *API) workerStatusReport(c *Call) (any, error) {
	var req workerRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Worker == "" {
		return nil, missing("worker")
	}
	return map[string]any{}, a.svc.Registry.WorkerStatus(c.Context(), req.report(c))
}

// workerJSON is a worker as ClearML's workers.get_all returns it.
type workerJSON struct {
	ID               string           `json:"id"`
	User             map[string]any   `json:"user"`
	Company          map[string]any   `json:"company"`
	IP               string           `json:"ip,omitempty"`
	RegisterTime     *Time            `json:"register_time,omitempty"`
	RegisterTimeout  int64            `json:"register_timeout"`
	LastActivityTime *Time            `json:"last_activity_time,omitempty"`
	LastReportTime   *Time            `json:"last_report_time,omitempty"`
	Queues           []map[string]any `json:"queues"`
	Task             map[string]any   `json:"task,omitempty"`
	Tags             []string         `json:"tags"`
	SystemTags       []string         `json:"system_tags"`
}

func (a *API) getAllWorkers(c *Call) (any, error) {
	var req struct {
		LastSeen *int64 `json:"last_seen"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	lastSeen := time.Duration(0)
	if req.LastSeen != nil && *req.LastSeen > 0 {
		lastSeen = time.Duration(*req.LastSeen) * time.Second
	}
	list, err := a.svc.Registry.Workers(c.Context(), lastSeen)
	if err != nil {
		return nil, err
	}
	names, err := a.queueNames(c)
	if err != nil {
		return nil, err
	}
	out := make([]workerJSON, len(list))
	for i, w := range list {
		out[i] = workerOut(w, names)
	}
	return map[string]any{"workers": out}, nil
}

func (a *API) queueNames(c *Call) (map[string]string, error) {
	queues, err := a.svc.Registry.Queues(c.Context(), registry.QueueQuery{})
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(queues))
	for _, q := range queues {
		names[q.ID] = q.Name
	}
	return names, nil
}

func workerOut(w registry.Worker, queueNames map[string]string) workerJSON {
	out := workerJSON{ID: w.ID, User: map[string]any{"id": w.UserID},
		Company: map[string]any{"id": w.WorkspaceID}, IP: w.IP,
		RegisterTime: timePtr(w.RegisteredAt), RegisterTimeout: int64(w.Timeout / time.Second),
		LastActivityTime: timePtr(w.LastActivity), LastReportTime: timePtr(w.LastReport),
		Queues: []map[string]any{}, Tags: w.Tags, SystemTags: w.SystemTags}
	for _, q := range w.Queues {
		out.Queues = append(out.Queues, map[string]any{"id": q, "name": queueNames[q]})
	}
	if w.TaskID != "" {
		out.Task = map[string]any{"id": w.TaskID}
	}
	return out
}

// getRuntimeProperties answers the Enterprise call workers.get_runtime_properties with a
// 400, on purpose. clearml-agent (wire.md 7.2) reads data["runtime_properties"] from a
// 200 answer and crashes when it is missing; on any error it records that the server
// does not support the call and stops asking for the rest of its run, which is also what
// it does against the open-source ClearML server (a 404 there). Answering 200 with an
// empty list would work as well, but the agent would then call it on every polling round
// and treat runtime properties (dynamic GPUs, uptime windows) as supported.
func getRuntimeProperties(*Call) (any, error) {
	return nil, apperr.Invalidf("Endpoint is not supported (workers.get_runtime_properties: "+
		"runtime properties are an Enterprise feature this server does not keep)").
		WithSub(400, 1)
}
