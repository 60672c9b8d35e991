package registry

import (
	"context"
	"sync"

	"atrium/internal/access"
	"atrium/internal/identity"
)

// maxPopBatch bounds how many waiting pops share one transaction.
const maxPopBatch = 64

// popper coalesces concurrent pops of one queue into one transaction, a group commit:
// with many agents polling, each commit serves all who are waiting, so pops per second
// grow with the number of agents instead of being bound by the database's commit
// latency (an fsync on SQLite). Every pop still removes exactly one entry, so an entry is
// handed out once, also across replicas (the store's pop guarantees that).
type popper struct {
	mu     sync.Mutex
	groups map[popKey]*popGroup
}

type popKey struct{ workspace, queue string }

type popGroup struct {
	waiters []chan popResult
}

type popResult struct {
	next Next
	ok   bool
	err  error
}

// NextTask pops the first task of a queue for an agent. Entries whose task was deleted
// or is no longer queued are dropped on the way, as ClearML does. ok is false when the
// queue has nothing to hand out. Pops are not audited: agents poll all the time.
func (s *Service) NextTask(ctx context.Context, queueID string) (Next, bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return Next{}, false, err
	}
	if err := s.allowPop(ctx, p, queueID); err != nil {
		return Next{}, false, err
	}
	key := popKey{p.WorkspaceID, queueID}
	ch := make(chan popResult, 1)
	s.pops.mu.Lock()
	if s.pops.groups == nil {
		s.pops.groups = map[popKey]*popGroup{}
	}
	g, running := s.pops.groups[key]
	if !running {
		g = &popGroup{}
		s.pops.groups[key] = g
	}
	g.waiters = append(g.waiters, ch)
	s.pops.mu.Unlock()
	if !running {
		// The batch outlives this request if others join it, so it must not be cancelled
		// with it; it keeps the request's values.
		go s.drainPops(context.WithoutCancel(ctx), key)
	}
	r := <-ch
	return r.next, r.ok, r.err
}

// allowPop checks that the caller may read the queue, which popping from it takes. Agents
// poll all the time, so the queue is read only when no rule for all queues decides.
func (s *Service) allowPop(ctx context.Context, p identity.Principal, queueID string) error {
	all, err := s.allowAll(ctx, p, access.Read, access.Queue)
	if err != nil || all {
		return err
	}
	q, err := s.store.Queue(ctx, p.WorkspaceID, queueID)
	if err != nil {
		return orNotFound(err, invalidQueueID, queueID)
	}
	return s.allow(ctx, p, queueSubject(q), access.Read)
}

// drainPops serves the waiters of one queue batch by batch until none are left.
func (s *Service) drainPops(ctx context.Context, key popKey) {
	for {
		s.pops.mu.Lock()
		g := s.pops.groups[key]
		n := min(len(g.waiters), maxPopBatch)
		if n == 0 {
			delete(s.pops.groups, key)
			s.pops.mu.Unlock()
			return
		}
		batch := g.waiters[:n:n]
		g.waiters = g.waiters[n:]
		s.pops.mu.Unlock()

		results := s.popBatch(ctx, key, n)
		for i, ch := range batch {
			ch <- results[i]
		}
	}
}

// popBatch pops up to n tasks in one transaction.
func (s *Service) popBatch(ctx context.Context, key popKey, n int) []popResult {
	results := make([]popResult, n)
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		for i := range results {
			next, ok, err := s.popOne(ctx, key)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			results[i] = popResult{next: next, ok: true}
		}
		if !results[0].ok {
			return s.checkQueue(ctx, key.workspace, key.queue, nil)
		}
		return nil
	})
	if err != nil {
		for i := range results {
			results[i] = popResult{err: err}
		}
	}
	return results
}

// popOne pops entries until one names a queued task.
func (s *Service) popOne(ctx context.Context, key popKey) (Next, bool, error) {
	for {
		e, found, err := s.store.PopQueueEntry(ctx, key.workspace, key.queue)
		if err != nil || !found {
			return Next{}, false, err
		}
		t, err := s.store.Task(ctx, key.workspace, e.TaskID)
		if notFound(err) || (err == nil && t.Status != StatusQueued) {
			continue
		}
		if err != nil {
			return Next{}, false, err
		}
		return Next{Entry: e, Task: t}, true, nil
	}
}
