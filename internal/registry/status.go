package registry

import (
	"context"
	"slices"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// transitions is ClearML's task state machine (clearml-server bll/task/utils.py): the
// statuses each status may change to without force. Staying in the same status is
// allowed unless the call says otherwise.
var transitions = map[Status][]Status{
	StatusCreated:    {StatusQueued, StatusInProgress},
	StatusQueued:     {StatusCreated, StatusInProgress},
	StatusInProgress: {StatusStopped, StatusFailed, StatusCreated, StatusCompleted},
	StatusStopped: {StatusClosed, StatusCreated, StatusFailed, StatusInProgress,
		StatusPublished, StatusPublishing, StatusCompleted},
	StatusClosed: {StatusCreated, StatusFailed, StatusPublished, StatusPublishing,
		StatusStopped},
	StatusFailed:     {StatusCreated, StatusStopped, StatusPublished},
	StatusPublishing: {StatusPublished},
	StatusPublished:  {},
	StatusCompleted:  {StatusPublished, StatusInProgress, StatusCreated},
}

// CanChange reports whether a task may go from one status to another without force.
func CanChange(from, to Status) bool {
	return from == to || slices.Contains(transitions[from], to)
}

// StatusChange is a requested status change with ClearML's reason, message and force.
type StatusChange struct {
	Reason  string
	Message string
	Force   bool
	// Worker names the agent or machine making the call (X-ClearML-Worker), if any.
	Worker string
	// system marks a change the registry makes on its own (a deleted queue returning its
	// tasks), which the caller's rights on the task do not govern.
	system bool
}

// Started moves a task to in_progress and records its start time.
func (s *Service) Started(ctx context.Context, id string, ch StatusChange) (Task, error) {
	return s.changeStatus(ctx, id, StatusInProgress, ch, func(ctx context.Context, ws string,
		t *Task, from Status, now time.Time) error {
		if t.StartedAt.IsZero() || from != StatusInProgress {
			t.StartedAt = now
		}
		t.CompletedAt = time.Time{}
		if ch.Worker != "" {
			t.LastWorker = ch.Worker
		}
		return s.store.RemoveTaskEntries(ctx, ws, t.ID)
	})
}

// Completed moves a task to completed, and on to published when publish is set.
func (s *Service) Completed(ctx context.Context, id string, ch StatusChange, publish bool) (
	Task, error) {
	t, err := s.changeStatus(ctx, id, StatusCompleted, ch, ended)
	if err != nil || !publish {
		return t, err
	}
	return s.Publish(ctx, id, StatusChange{Reason: ch.Reason, Message: ch.Message})
}

// Stopped moves a task to stopped.
func (s *Service) Stopped(ctx context.Context, id string, ch StatusChange) (Task, error) {
	return s.changeStatus(ctx, id, StatusStopped, ch, ended)
}

// Failed moves a task to failed.
func (s *Service) Failed(ctx context.Context, id string, ch StatusChange) (Task, error) {
	return s.changeStatus(ctx, id, StatusFailed, ch, ended)
}

// Close moves a task to closed.
func (s *Service) Close(ctx context.Context, id string, ch StatusChange) (Task, error) {
	return s.changeStatus(ctx, id, StatusClosed, ch, nil)
}

// Publish moves a task to published and marks the models it produced ready.
func (s *Service) Publish(ctx context.Context, id string, ch StatusChange) (Task, error) {
	return s.changeStatus(ctx, id, StatusPublished, ch, func(ctx context.Context, ws string,
		t *Task, _ Status, now time.Time) error {
		t.PublishedAt = now
		return s.publishOutputModels(ctx, ws, t.ID, now)
	})
}

func ended(_ context.Context, _ string, t *Task, _ Status, now time.Time) error {
	t.CompletedAt = now
	return nil
}

func (s *Service) publishOutputModels(ctx context.Context, ws, taskID string,
	now time.Time) error {
	models, err := s.store.Models(ctx, ws, ModelFilter{TaskIDs: []string{taskID}})
	if err != nil {
		return err
	}
	for _, m := range models {
		if m.Ready {
			continue
		}
		_, err := s.store.UpdateModel(ctx, ws, m.ID, func(m *Model) error {
			m.Ready, m.LastUpdate = true, now
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Stop is ClearML's tasks.stop: a running task is asked to stop (its status message
// becomes "stopping" and the SDK's abort watcher ends it), unless force stops it at once;
// a queued task leaves its queue and is stopped.
func (s *Service) Stop(ctx context.Context, id string, ch StatusChange) (Task, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		t, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
		if t.Status == StatusInProgress && !ch.Force {
			out, err = s.markStopping(ctx, p, t, ch, now)
			return err
		}
		if t.Status == StatusQueued {
			ch.Force = true
		}
		out, err = s.changeStatusTx(ctx, p, id, StatusStopped, ch, now,
			func(ctx context.Context, ws string, t *Task, _ Status, now time.Time) error {
				t.CompletedAt = now
				return s.leaveQueue(ctx, ws, t)
			})
		return err
	})
	return out, err
}

func (s *Service) markStopping(ctx context.Context, p identity.Principal, t Task,
	ch StatusChange, now time.Time) (Task, error) {
	out, err := s.store.UpdateTask(ctx, p.WorkspaceID, t.ID, func(t *Task) error {
		t.StatusMessage, t.StatusReason, t.LastUpdate = "stopping", ch.Reason, now
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	s.store.Publish(ctx, Topic, t.ID)
	return out, s.record(ctx, p, "task.stop", "task", t.ID, map[string]any{"stopping": true})
}

// leaveQueue takes a task out of every queue and forgets its queue.
func (s *Service) leaveQueue(ctx context.Context, ws string, t *Task) error {
	if err := s.store.RemoveTaskEntries(ctx, ws, t.ID); err != nil {
		return err
	}
	if t.QueueID == "" {
		return nil
	}
	t.QueueID, t.EnqueueStatus = "", ""
	return t.syncQueue()
}

// statusHook runs on the locked task after its status changed from from.
type statusHook func(ctx context.Context, ws string, t *Task, from Status, now time.Time) error

// changeStatus moves a task to status to, checking the state machine unless forced, then
// runs hook on the locked task, all in one transaction.
func (s *Service) changeStatus(ctx context.Context, id string, to Status, ch StatusChange,
	hook statusHook) (Task, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		var err error
		out, err = s.changeStatusTx(ctx, p, id, to, ch, now, hook)
		return err
	})
	return out, err
}

func (s *Service) changeStatusTx(ctx context.Context, p identity.Principal, id string,
	to Status, ch StatusChange, now time.Time, hook statusHook) (Task, error) {
	var from Status
	out, err := s.store.UpdateTask(ctx, p.WorkspaceID, id, func(t *Task) error {
		if !ch.system {
			if err := s.allow(ctx, p, taskSubject(*t), access.ReadWrite); err != nil {
				return err
			}
		}
		from = t.Status
		if !ch.Force && !CanChange(t.Status, to) {
			return invalidStatusChange(t.Status, to)
		}
		setStatus(t, to, ch, now)
		if hook != nil {
			return hook(ctx, p.WorkspaceID, t, from, now)
		}
		return nil
	})
	if err != nil {
		return Task{}, orNotFound(err, invalidTaskID, id)
	}
	s.store.Publish(ctx, Topic, id)
	return out, s.record(ctx, p, "task.status", "task", id,
		map[string]any{"from": string(from), "to": string(to), "force": ch.Force})
}

func setStatus(t *Task, to Status, ch StatusChange, now time.Time) {
	t.Status, t.StatusReason, t.StatusMessage = to, ch.Reason, ch.Message
	t.StatusChangedAt, t.LastUpdate = now, now
}

// Enqueue puts a task into a queue (the workspace's default queue when queueID and
// queueName are empty) and moves it to queued. It returns the task and the queue id.
func (s *Service) Enqueue(ctx context.Context, id, queueID, queueName string,
	ch StatusChange) (Task, string, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		q, err := s.resolveQueue(ctx, p, queueID, queueName, now)
		if err != nil {
			return err
		}
		queueID = q.ID
		out, err = s.changeStatusTx(ctx, p, id, StatusQueued, ch, now,
			func(ctx context.Context, ws string, t *Task, from Status, now time.Time) error {
				if from == StatusQueued && !ch.Force {
					return invalidStatus("Task already in requested status", from)
				}
				return s.enterQueue(ctx, ws, t, from, q.ID, now)
			})
		return err
	})
	return out, queueID, err
}

// enterQueue records the queue on the task and adds the queue entry. ClearML drops the
// development tag here: a queued task runs on an agent, not on the developer's machine.
func (s *Service) enterQueue(ctx context.Context, ws string, t *Task, from Status,
	queueID string, now time.Time) error {
	// A task enqueued again with force leaves its old queue first.
	if err := s.store.RemoveTaskEntries(ctx, ws, t.ID); err != nil {
		return err
	}
	if from != StatusQueued {
		t.EnqueueStatus = from
	}
	t.QueueID = queueID
	t.SystemTags = withoutTag(t.SystemTags, TagDevelopment)
	if err := t.syncQueue(); err != nil {
		return err
	}
	return s.store.AddQueueEntry(ctx, ws, queueID, QueueEntry{TaskID: t.ID, AddedAt: now},
		false)
}

// resolveQueue finds the queue named by id or name, or the default queue, and checks
// that the caller may read it (which is what enqueueing into it takes).
func (s *Service) resolveQueue(ctx context.Context, p identity.Principal, id, name string,
	now time.Time) (Queue, error) {
	var q Queue
	var err error
	switch {
	case id != "":
		q, err = s.store.Queue(ctx, p.WorkspaceID, id)
		err = orNotFound(err, invalidQueueID, id)
	case name != "":
		q, err = s.queueByName(ctx, p.WorkspaceID, name)
	default:
		q, err = s.defaultQueueTx(ctx, p, now)
	}
	if err != nil {
		return Queue{}, err
	}
	sub := queueSubject(q)
	if id == "" && name != "" {
		sub.notFound = invalidQueueID(name)
	}
	return q, s.allow(ctx, p, sub, access.Read)
}

// Dequeue takes a queued task out of its queue and back to the status it had before.
func (s *Service) Dequeue(ctx context.Context, id string, ch StatusChange) (Task, error) {
	var out Task
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		t, err := s.store.Task(ctx, p.WorkspaceID, id)
		if err != nil {
			return orNotFound(err, invalidTaskID, id)
		}
		if err := s.allow(ctx, p, taskSubject(t), access.ReadWrite); err != nil {
			return err
		}
		if t.Status != StatusQueued {
			return invalidStatus("Task is not queued", t.Status)
		}
		back := t.EnqueueStatus
		if back == "" || back == StatusQueued {
			back = StatusCreated
		}
		ch.Force = true
		out, err = s.changeStatusTx(ctx, p, id, back, ch, now,
			func(ctx context.Context, ws string, t *Task, _ Status, _ time.Time) error {
				return s.leaveQueue(ctx, ws, t)
			})
		return err
	})
	return out, err
}

// errAlreadyQueued is ClearML's answer to adding a task to a queue it is in.
func errAlreadyQueued(taskID string) error {
	return apperr.Conflictf("Failed adding task to queue since task is already queued: task=%s",
		taskID).WithSub(400, 706)
}
