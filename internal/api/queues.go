package api

import (
	"atrium/internal/registry"
)

func (a *API) queueEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "queues.create", Handle: a.createQueue},
		{Name: "queues.get_all", Handle: a.getAllQueues},
		{Name: "queues.get_all_ex", Handle: a.getAllQueues},
		{Name: "queues.get_by_id", Handle: a.getQueueByID},
		{Name: "queues.get_default", Handle: a.getDefaultQueue},
		{Name: "queues.update", Handle: a.updateQueue},
		{Name: "queues.delete", Handle: a.deleteQueue},
		{Name: "queues.add_task", Handle: a.addQueueTask},
		{Name: "queues.remove_task", Handle: a.removeQueueTask},
		{Name: "queues.move_task_to_front", Handle: a.moveQueueTask(true)},
		{Name: "queues.move_task_to_back", Handle: a.moveQueueTask(false)},
		{Name: "queues.get_next_task", Handle: a.getNextTask},
	}
}

// queueJSON is a queue as ClearML returns it, with its entries in pop order.
type queueJSON struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	User       string      `json:"user"`
	Company    string      `json:"company"`
	Tags       []string    `json:"tags"`
	SystemTags []string    `json:"system_tags"`
	Created    *Time       `json:"created,omitempty"`
	LastUpdate *Time       `json:"last_update,omitempty"`
	Entries    []entryJSON `json:"entries"`
}

type entryJSON struct {
	Task  string `json:"task"`
	Added *Time  `json:"added,omitempty"`
}

func queueOut(q registry.Queue) queueJSON {
	entries := make([]entryJSON, len(q.Entries))
	for i, e := range q.Entries {
		entries[i] = entryJSON{Task: e.TaskID, Added: timePtr(e.AddedAt)}
	}
	return queueJSON{ID: q.ID, Name: q.Name, User: q.UserID, Company: q.WorkspaceID,
		Tags: q.Tags, SystemTags: q.SystemTags, Created: timePtr(q.CreatedAt),
		LastUpdate: timePtr(q.LastUpdate), Entries: entries}
}

// queueRef is the queue (and task) the queue calls name.
type queueRef struct {
	Queue string `json:"queue"`
	Task  string `json:"task"`
}

func (a *API) createQueue(c *Call) (any, error) {
	var req struct {
		Name       string   `json:"name"`
		Tags       []string `json:"tags"`
		SystemTags []string `json:"system_tags"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, missing("name")
	}
	q, err := a.svc.Registry.CreateQueue(c.Context(), registry.QueueInput{Name: req.Name,
		Tags: req.Tags, SystemTags: req.SystemTags})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": q.ID}, nil
}

func (a *API) getAllQueues(c *Call) (any, error) {
	var req listQuery
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	pg, err := req.page()
	if err != nil {
		return nil, err
	}
	list, err := a.svc.Registry.Queues(c.Context(), registry.QueueQuery{IDs: req.ID,
		Name: req.Name, Tags: req.Tags, SystemTags: req.SystemTags, OrderBy: req.OrderBy,
		Page: pg})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(list))
	for i, q := range list {
		out[i] = selectFields(withDoc{fixed: queueOut(q)}, req.OnlyFields, nil)
	}
	return map[string]any{"queues": out}, nil
}

func (a *API) getQueueByID(c *Call) (any, error) {
	var req queueRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Queue == "" {
		return nil, missing("queue")
	}
	q, err := a.svc.Registry.Queue(c.Context(), req.Queue)
	if err != nil {
		return nil, err
	}
	return map[string]any{"queue": queueOut(q)}, nil
}

func (a *API) getDefaultQueue(c *Call) (any, error) {
	q, err := a.svc.Registry.DefaultQueue(c.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": q.ID, "name": q.Name}, nil
}

func (a *API) updateQueue(c *Call) (any, error) {
	var req struct {
		Queue      string    `json:"queue"`
		Name       *string   `json:"name"`
		Tags       *[]string `json:"tags"`
		SystemTags *[]string `json:"system_tags"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Queue == "" {
		return nil, missing("queue")
	}
	q, changed, err := a.svc.Registry.UpdateQueue(c.Context(), req.Queue, registry.QueueChange{
		Name: req.Name, Tags: req.Tags, SystemTags: req.SystemTags})
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(len(changed) > 0),
		"fields": fieldsOf(queueOut(q), changed)}, nil
}

func (a *API) deleteQueue(c *Call) (any, error) {
	var req struct {
		Queue string `json:"queue"`
		Force bool   `json:"force"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Queue == "" {
		return nil, missing("queue")
	}
	if err := a.svc.Registry.DeleteQueue(c.Context(), req.Queue, req.Force); err != nil {
		return nil, err
	}
	return map[string]any{"deleted": 1}, nil
}

func decodeQueueTask(c *Call) (queueRef, error) {
	var req queueRef
	if err := c.Decode(&req); err != nil {
		return req, err
	}
	if req.Queue == "" || req.Task == "" {
		return req, missing("queue", "task")
	}
	return req, nil
}

func (a *API) addQueueTask(c *Call) (any, error) {
	req, err := decodeQueueTask(c)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Registry.AddTask(c.Context(), req.Queue, req.Task); err != nil {
		return nil, err
	}
	return map[string]any{"added": 1}, nil
}

func (a *API) removeQueueTask(c *Call) (any, error) {
	req, err := decodeQueueTask(c)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Registry.RemoveTask(c.Context(), req.Queue, req.Task); err != nil {
		return nil, err
	}
	return map[string]any{"removed": 1}, nil
}

func (a *API) moveQueueTask(front bool) func(c *Call) (any, error) {
	return func(c *Call) (any, error) {
		req, err := decodeQueueTask(c)
		if err != nil {
			return nil, err
		}
		pos, err := a.svc.Registry.MoveTask(c.Context(), req.Queue, req.Task, front)
		if err != nil {
			return nil, err
		}
		return map[string]any{"position": pos}, nil
	}
}

// getNextTask hands the first queued task to an agent: {} when there is none, as the
// agent expects (wire.md 7.2), else the entry and, when asked, the task's owner and
// workspace for running it as its owner.
func (a *API) getNextTask(c *Call) (any, error) {
	var req struct {
		Queue       string `json:"queue"`
		GetTaskInfo bool   `json:"get_task_info"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Queue == "" {
		return nil, missing("queue")
	}
	next, ok, err := a.svc.Registry.NextTask(c.Context(), req.Queue)
	if err != nil || !ok {
		return map[string]any{}, err
	}
	out := map[string]any{"entry": entryJSON{Task: next.Entry.TaskID,
		Added: timePtr(next.Entry.AddedAt)}}
	if req.GetTaskInfo {
		out["task_info"] = map[string]any{"user": next.Task.UserID,
			"company": next.Task.WorkspaceID}
	}
	return out, nil
}
