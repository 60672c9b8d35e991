package registry

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// QueueInput is what queues.create accepts.
type QueueInput struct {
	Name       string
	Tags       []string
	SystemTags []string
}

// QueueChange is what queues.update accepts; nil fields stay.
type QueueChange struct {
	Name       *string
	Tags       *[]string
	SystemTags *[]string
}

// QueueQuery is what queues.get_all accepts.
type QueueQuery struct {
	IDs        []string
	Name       string // a regular expression
	Tags       []string
	SystemTags []string
	OrderBy    []string
	Page       Page
}

// Next is what queues.get_next_task hands an agent: the entry it popped and its task.
type Next struct {
	Entry QueueEntry
	Task  Task
}

// CreateQueue creates a queue owned by the caller.
func (s *Service) CreateQueue(ctx context.Context, in QueueInput) (Queue, error) {
	if strings.TrimSpace(in.Name) == "" {
		return Queue{}, missingField("name")
	}
	var out Queue
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.allowQueueAdmin(ctx, p); err != nil {
			return err
		}
		var err error
		out, err = s.createQueue(ctx, p, in, p.UserID, now)
		return err
	})
	return out, err
}

// allowQueueAdmin checks that the caller may create queues: Queue admins may, and others
// with a read_write rule on all queues (admins outside Queue admins only read queues).
func (s *Service) allowQueueAdmin(ctx context.Context, p identity.Principal) error {
	ok, err := s.allowAll(ctx, p, access.ReadWrite, access.Queue)
	if err != nil || ok {
		return err
	}
	return forbidden("queue")
}

func (s *Service) createQueue(ctx context.Context, p identity.Principal, in QueueInput,
	owner string, now time.Time) (Queue, error) {
	q := Queue{ID: secret.ID(), WorkspaceID: p.WorkspaceID, Name: in.Name, UserID: owner,
		Tags: cleanTags(in.Tags), SystemTags: cleanTags(in.SystemTags), CreatedAt: now,
		LastUpdate: now}
	if err := s.store.CreateQueue(ctx, q); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return Queue{}, duplicateName("Queue", in.Name)
		}
		return Queue{}, err
	}
	s.store.Publish(ctx, Topic, q.ID)
	return q, s.record(ctx, p, "queue.create", "queue", q.ID, map[string]any{"name": q.Name})
}

// Queue returns one queue with its entries.
func (s *Service) Queue(ctx context.Context, id string) (Queue, error) {
	p, err := caller(ctx)
	if err != nil {
		return Queue{}, err
	}
	q, err := s.store.Queue(ctx, p.WorkspaceID, id)
	if err != nil {
		return Queue{}, orNotFound(err, invalidQueueID, id)
	}
	if err := s.allow(ctx, p, queueSubject(q), access.Read); err != nil {
		return Queue{}, err
	}
	list, err := s.withEntries(ctx, p.WorkspaceID, []Queue{q})
	if err != nil {
		return Queue{}, err
	}
	return list[0], nil
}

// Queues lists the caller's queues with their entries, as queues.get_all asks. The
// workspace's default queue is created on the first listing, so an agent started with
// "--queue default" on a fresh server finds it.
func (s *Service) Queues(ctx context.Context, q QueueQuery) ([]Queue, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	match, err := compileName(q.Name)
	if err != nil {
		return nil, err
	}
	all, err := s.allQueues(ctx, p)
	if err != nil {
		return nil, err
	}
	if all, err = s.readableQueues(ctx, p, all); err != nil {
		return nil, err
	}
	kept := filterQueues(all, q, match)
	sortQueues(kept, q.OrderBy)
	return s.withEntries(ctx, p.WorkspaceID, pageOf(kept, q.Page))
}

// allQueues lists the workspace's queues, oldest first, creating the default queue when
// there is none.
func (s *Service) allQueues(ctx context.Context, p identity.Principal) ([]Queue, error) {
	all, err := s.store.Queues(ctx, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if _, err := pickDefault(all); err == nil {
		return all, nil
	}
	if _, err := s.createDefaultQueue(ctx, p); err != nil {
		return nil, err
	}
	return s.store.Queues(ctx, p.WorkspaceID)
}

// readableQueues drops the queues the caller may not read. A workspace has few queues, so
// this is done in memory, before paging.
func (s *Service) readableQueues(ctx context.Context, p identity.Principal, all []Queue) (
	[]Queue, error) {
	sc, err := s.readScope(ctx, p, access.Queue)
	if err != nil || sc.All {
		return all, err
	}
	kept := all[:0:0]
	for _, q := range all {
		if (q.UserID != "" && q.UserID == sc.Owner) || slices.Contains(sc.IDs, q.ID) {
			kept = append(kept, q)
		}
	}
	return kept, nil
}

// filterQueues applies a queue query in memory: a workspace has few queues.
func filterQueues(all []Queue, q QueueQuery, match func(string) bool) []Queue {
	tags, sys := ParseTagFilter(q.Tags), ParseTagFilter(q.SystemTags)
	var kept []Queue
	for _, x := range all {
		switch {
		case len(q.IDs) > 0 && !hasTag(q.IDs, x.ID):
		case match != nil && !match(x.Name):
		case !matchTags(x.Tags, tags) || !matchTags(x.SystemTags, sys):
		default:
			kept = append(kept, x)
		}
	}
	return kept
}

// sortQueues orders by name or creation (oldest first by default).
func sortQueues(list []Queue, orderBy []string) {
	key := ""
	if len(orderBy) > 0 {
		key = orderBy[0]
	}
	desc := strings.HasPrefix(key, "-")
	byName := strings.TrimPrefix(key, "-") == "name"
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if desc {
			a, b = b, a
		}
		if byName {
			return a.Name < b.Name
		}
		return a.CreatedAt.Before(b.CreatedAt)
	})
}

func (s *Service) withEntries(ctx context.Context, ws string, list []Queue) ([]Queue, error) {
	if len(list) == 0 {
		return list, nil
	}
	ids := make([]string, len(list))
	for i, q := range list {
		ids[i] = q.ID
	}
	entries, err := s.store.QueueEntries(ctx, ws, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Entries = entries[list[i].ID]
	}
	return list, nil
}

// DefaultQueue returns the workspace's default queue, creating it when there is none. It
// answers every caller, whatever the rules: the SDK and the agent look the default queue
// up before anything else, and using it (enqueueing, popping) still needs read on it.
func (s *Service) DefaultQueue(ctx context.Context) (Queue, error) {
	p, err := caller(ctx)
	if err != nil {
		return Queue{}, err
	}
	all, err := s.allQueues(ctx, p)
	if err != nil {
		return Queue{}, err
	}
	q, err := pickDefault(all)
	if err != nil {
		return Queue{}, err
	}
	list, err := s.withEntries(ctx, p.WorkspaceID, []Queue{q})
	if err != nil {
		return Queue{}, err
	}
	return list[0], nil
}

// createDefaultQueue creates the default queue in its own transaction. When another
// replica creates it at the same moment, that one is returned.
func (s *Service) createDefaultQueue(ctx context.Context, p identity.Principal) (
	Queue, error) {
	var q Queue
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		q, err = s.defaultQueueTx(ctx, p, s.now())
		return err
	})
	if apperr.Is(err, apperr.Conflict) {
		all, err := s.store.Queues(ctx, p.WorkspaceID)
		if err != nil {
			return Queue{}, err
		}
		return pickDefault(all)
	}
	return q, err
}

// defaultQueueTx returns the default queue, creating one in the caller's transaction when
// there is none, as ClearML does at start-up: named "default", system tag "default". It
// is created whatever the caller's rights and owned by no one, so whoever happened to
// ask first does not gain read_write on it.
func (s *Service) defaultQueueTx(ctx context.Context, p identity.Principal, now time.Time) (
	Queue, error) {
	all, err := s.store.Queues(ctx, p.WorkspaceID)
	if err != nil {
		return Queue{}, err
	}
	if q, err := pickDefault(all); err == nil {
		return q, nil
	}
	return s.createQueue(ctx, p, QueueInput{Name: DefaultQueueName,
		SystemTags: []string{TagDefault}}, "", now)
}

// pickDefault finds the queue tagged "default", else the one named "default".
func pickDefault(all []Queue) (Queue, error) {
	for _, q := range all {
		if hasTag(q.SystemTags, TagDefault) {
			return q, nil
		}
	}
	for _, q := range all {
		if q.Name == DefaultQueueName {
			return q, nil
		}
	}
	return Queue{}, apperr.NotFoundf("No queue is tagged as the default queue for this "+
		"company").WithSub(400, 707)
}

func (s *Service) queueByName(ctx context.Context, ws, name string) (Queue, error) {
	all, err := s.store.Queues(ctx, ws)
	if err != nil {
		return Queue{}, err
	}
	for _, q := range all {
		if q.Name == name {
			return q, nil
		}
	}
	return Queue{}, invalidQueueID(name)
}

// UpdateQueue renames or retags a queue.
func (s *Service) UpdateQueue(ctx context.Context, id string, ch QueueChange) (
	Queue, []string, error) {
	var out Queue
	var changed []string
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		var err error
		out, err = s.store.UpdateQueue(ctx, p.WorkspaceID, id, func(q *Queue) error {
			if err := s.allow(ctx, p, queueSubject(*q), access.ReadWrite); err != nil {
				return err
			}
			changed = applyQueueChange(q, ch)
			q.LastUpdate = now
			return nil
		})
		if apperr.Is(err, apperr.Conflict) && ch.Name != nil {
			return duplicateName("Queue", *ch.Name)
		}
		if err != nil {
			return orNotFound(err, invalidQueueID, id)
		}
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "queue.update", "queue", id, map[string]any{"fields": changed})
	})
	return out, changed, err
}

func applyQueueChange(q *Queue, ch QueueChange) []string {
	var changed []string
	if ch.Name != nil && strings.TrimSpace(*ch.Name) != "" {
		q.Name = *ch.Name
		changed = append(changed, "name")
	}
	if ch.Tags != nil {
		q.Tags = cleanTags(*ch.Tags)
		changed = append(changed, "tags")
	}
	if ch.SystemTags != nil {
		q.SystemTags = cleanTags(*ch.SystemTags)
		changed = append(changed, "system_tags")
	}
	return changed
}

// DeleteQueue removes a queue. A queue with tasks needs force; its tasks then return to
// the status they had before they were enqueued.
func (s *Service) DeleteQueue(ctx context.Context, id string, force bool) error {
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		q, err := s.store.Queue(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidQueueID, id)
		}
		if err := s.allow(ctx, p, queueSubject(q), access.ReadWrite); err != nil {
			return err
		}
		entries, err := s.store.QueueEntries(ctx, p.WorkspaceID, []string{id})
		if err != nil {
			return err
		}
		if n := len(entries[id]); n > 0 && !force {
			return apperr.Conflictf("Queue is not empty: queue=%s, tasks=%d", id, n).
				WithSub(400, 702)
		}
		for _, e := range entries[id] {
			if err := s.returnFromQueue(ctx, p, e.TaskID, now); err != nil {
				return err
			}
		}
		if err := s.store.DeleteQueue(ctx, p.WorkspaceID, id); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, id)
		return s.record(ctx, p, "queue.delete", "queue", id,
			map[string]any{"tasks": len(entries[id])})
	})
	return err
}

// returnFromQueue sets a queued task back to its status before it was enqueued.
func (s *Service) returnFromQueue(ctx context.Context, p identity.Principal, taskID string,
	now time.Time) error {
	t, err := s.store.Task(ctx, p.WorkspaceID, taskID)
	if notFound(err) || (err == nil && t.Status != StatusQueued) {
		return nil
	}
	if err != nil {
		return err
	}
	back := t.EnqueueStatus
	if back == "" || back == StatusQueued {
		back = StatusCreated
	}
	_, err = s.changeStatusTx(ctx, p, taskID, back, StatusChange{Force: true,
		Reason: "queue deleted", system: true}, now, func(ctx context.Context, ws string, t *Task,
		_ Status, _ time.Time) error {
		return s.leaveQueue(ctx, ws, t)
	})
	return err
}

// AddTask puts a task at the end of a queue without changing its status (ClearML's
// low-level queues.add_task; tasks.enqueue is the usual way).
func (s *Service) AddTask(ctx context.Context, queueID, taskID string) error {
	return s.queueOp(ctx, queueID, taskID, "queue.add_task", access.Read,
		func(ctx context.Context, ws string, now time.Time) error {
			p, err := caller(ctx)
			if err != nil {
				return err
			}
			t, err := s.store.Task(ctx, ws, taskID)
			if err != nil {
				return orNotFound(err, invalidTaskID, taskID)
			}
			if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
				return err
			}
			err = s.store.AddQueueEntry(ctx, ws, queueID, QueueEntry{TaskID: taskID,
				AddedAt: now}, false)
			if apperr.Is(err, apperr.Conflict) {
				return errAlreadyQueued(taskID)
			}
			return err
		})
}

// RemoveTask takes a task out of a queue without changing its status.
func (s *Service) RemoveTask(ctx context.Context, queueID, taskID string) error {
	return s.queueOp(ctx, queueID, taskID, "queue.remove_task", access.ReadWrite,
		func(ctx context.Context, ws string, _ time.Time) error {
			ok, err := s.store.RemoveQueueEntry(ctx, ws, queueID, taskID)
			if err == nil && !ok {
				return notInQueue(queueID, taskID)
			}
			return err
		})
}

// MoveTask puts a queued task first or last and returns its new position.
func (s *Service) MoveTask(ctx context.Context, queueID, taskID string, front bool) (
	int, error) {
	pos := 0
	err := s.queueOp(ctx, queueID, taskID, "queue.move_task", access.ReadWrite,
		func(ctx context.Context, ws string, _ time.Time) error {
			var err error
			pos, err = s.store.MoveQueueEntry(ctx, ws, queueID, taskID, front)
			if notFound(err) {
				return notInQueue(queueID, taskID)
			}
			return err
		})
	return pos, err
}

func notInQueue(queueID, taskID string) error {
	return apperr.NotFoundf("Invalid queue id or task not in queue: queue=%s, task=%s",
		queueID, taskID).WithSub(400, 703)
}

// queueOp runs fn on a queue the caller has want on: read to add a task, read_write to
// remove or move one.
func (s *Service) queueOp(ctx context.Context, queueID, taskID, action string,
	want access.Permission, fn func(ctx context.Context, ws string, now time.Time) error) error {
	return s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		q, err := s.store.Queue(ctx, p.WorkspaceID, queueID)
		if err != nil {
			return orNotFound(err, invalidQueueID, queueID)
		}
		if err := s.allow(ctx, p, queueSubject(q), want); err != nil {
			return err
		}
		if err := fn(ctx, p.WorkspaceID, now); err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, queueID)
		return s.record(ctx, p, action, "queue", queueID, map[string]any{"task": taskID})
	})
}

// checkQueue turns an empty pop from a queue that does not exist into ClearML's error.
func (s *Service) checkQueue(ctx context.Context, ws, queueID string, err error) error {
	if err != nil {
		return err
	}
	_, err = s.store.Queue(ctx, ws, queueID)
	return orNotFound(err, invalidQueueID, queueID)
}
