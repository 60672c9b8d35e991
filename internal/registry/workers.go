package registry

import (
	"context"
	"encoding/json"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// WorkerReport is what workers.register and workers.status_report carry. Nil slices
// keep what the worker last reported.
type WorkerReport struct {
	ID           string
	Timeout      time.Duration // 0 keeps the registered timeout (or the default)
	Queues       []string
	Tags         []string
	SystemTags   []string
	TaskID       *string
	IP           string
	MachineStats json.RawMessage
}

// RegisterWorker records an agent as active in the caller's workspace. Registrations are
// audited; agents register once per start.
func (s *Service) RegisterWorker(ctx context.Context, r WorkerReport) error {
	if r.ID == "" {
		return missingField("worker")
	}
	return s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.store.DeleteExpiredWorkers(ctx, p.WorkspaceID, now); err != nil {
			return err
		}
		w := s.mergeWorker(Worker{RegisteredAt: now}, r, p, now)
		if err := s.store.PutWorker(ctx, w); err != nil {
			return err
		}
		return s.record(ctx, p, "worker.register", "worker", r.ID,
			map[string]any{"queues": w.Queues})
	})
}

// UnregisterWorker removes an agent. An unknown worker is ClearML's "worker is not
// registered".
func (s *Service) UnregisterWorker(ctx context.Context, id string) error {
	if id == "" {
		return missingField("worker")
	}
	return s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		err := s.store.DeleteWorker(ctx, p.WorkspaceID, id)
		if notFound(err) {
			return apperr.NotFoundf("Worker is not registered: worker=%s", id).WithSub(400, 1004)
		}
		if err != nil {
			return err
		}
		return s.record(ctx, p, "worker.unregister", "worker", id, nil)
	})
}

// WorkerStatus records an agent's periodic report. A worker that expired (or was never
// registered) is registered again, so an agent that outlived its timeout reappears. Not
// audited: agents report every half minute.
func (s *Service) WorkerStatus(ctx context.Context, r WorkerReport) error {
	if r.ID == "" {
		return missingField("worker")
	}
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	old, err := s.store.Worker(ctx, p.WorkspaceID, r.ID)
	switch {
	case notFound(err) || (err == nil && expired(old, now)):
		old = Worker{RegisteredAt: now}
	case err != nil:
		return err
	}
	w := s.mergeWorker(old, r, p, now)
	w.LastReport = now
	return s.store.PutWorker(ctx, w)
}

func expired(w Worker, now time.Time) bool { return now.After(w.LastActivity.Add(w.Timeout)) }

func (s *Service) mergeWorker(w Worker, r WorkerReport, p identity.Principal,
	now time.Time) Worker {
	w.ID, w.WorkspaceID, w.UserID, w.LastActivity = r.ID, p.WorkspaceID, p.UserID, now
	if r.Timeout > 0 {
		w.Timeout = r.Timeout
	}
	if w.Timeout <= 0 {
		w.Timeout = s.opts.WorkerTimeout
	}
	if r.Queues != nil {
		w.Queues = cleanTags(r.Queues)
	}
	if r.Tags != nil {
		w.Tags = cleanTags(r.Tags)
	}
	if r.SystemTags != nil {
		w.SystemTags = cleanTags(r.SystemTags)
	}
	if r.TaskID != nil {
		w.TaskID = *r.TaskID
	}
	if r.IP != "" {
		w.IP = r.IP
	}
	if len(r.MachineStats) > 0 {
		w.MachineStats = r.MachineStats
	}
	return w
}

// Workers lists the workers that have not expired and, when lastSeen is positive, were
// active within it.
func (s *Service) Workers(ctx context.Context, lastSeen time.Duration) ([]Worker, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	since := time.Time{}
	if lastSeen > 0 {
		since = now.Add(-lastSeen)
	}
	list, err := s.store.Workers(ctx, p.WorkspaceID, since)
	if err != nil {
		return nil, err
	}
	kept := list[:0]
	for _, w := range list {
		if !expired(w, now) {
			kept = append(kept, w)
		}
	}
	return kept, nil
}
