package api_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"atrium/internal/registry"
)

// seedQueue creates a queue with n queued tasks through the registry service, in one
// transaction, and returns the queue id and the task ids.
func seedQueue(t *testing.T, s *regServer, n int) (string, map[string]bool) {
	t.Helper()
	ctx := s.asAdmin(t)
	ids := map[string]bool{}
	var qid string
	err := s.Srv.Store.InTx(ctx, func(ctx context.Context) error {
		q, err := s.Srv.Registry.CreateQueue(ctx, registry.QueueInput{Name: "load"})
		if err != nil {
			return err
		}
		qid = q.ID
		for i := 0; i < n; i++ {
			task, err := s.Srv.Registry.CreateTask(ctx, registry.TaskInput{
				Name: fmt.Sprint("job-", i)})
			if err != nil {
				return err
			}
			if _, _, err := s.Srv.Registry.Enqueue(ctx, task.ID, qid, "",
				registry.StatusChange{}); err != nil {
				return err
			}
			ids[task.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return qid, ids
}

// popAll runs agents against the servers (agent i on servers[i % len]) until the queue
// is empty and returns how often each task was handed out.
func popAll(t *testing.T, servers []*regServer, agents int, qid string) map[string]int {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < agents; i++ {
		s := servers[i%len(servers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r := s.get(t, "/v2.14/queues.get_next_task", map[string]any{"queue": qid})
				if r.Code != 200 {
					t.Errorf("pop: %s", r)
					return
				}
				id := r.str("entry", "task")
				if id == "" {
					return
				}
				mu.Lock()
				got[id]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return got
}

func checkExactlyOnce(t *testing.T, want map[string]bool, got map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d distinct tasks handed out, want %d", len(got), len(want))
	}
	for id, n := range got {
		if !want[id] || n != 1 {
			t.Fatalf("task %s handed out %d times (known: %v)", id, n, want[id])
		}
	}
}

// TestRegistryConcurrentPops has 8 agents pop one queue of 1,000 tasks: every task is
// handed out exactly once, on SQLite and on PostgreSQL.
func TestRegistryConcurrentPops(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	regForEach(t, func(t *testing.T, s *regServer) {
		qid, ids := seedQueue(t, s, 1000)
		checkExactlyOnce(t, ids, popAll(t, []*regServer{s}, 8, qid))
	})
}

// TestRegistryConcurrentPopsTwoReplicas runs the same with two servers sharing one
// PostgreSQL database, four agents on each.
func TestRegistryConcurrentPopsTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	dsn := regBackends[1].dsn(t)
	a, b := regStart(t, dsn), regStart(t, dsn)
	qid, ids := seedQueue(t, a, 1000)
	checkExactlyOnce(t, ids, popAll(t, []*regServer{a, b}, 8, qid))
}

// TestRegistryPagingStable pages through tasks while other tasks are being created:
// every task that existed before is seen exactly once and nothing repeats, in the
// default (insertion) order and ordered by creation time.
func TestRegistryPagingStable(t *testing.T) {
	regForEach(t, func(t *testing.T, s *regServer) {
		before := map[string]bool{}
		ctx := s.asAdmin(t)
		err := s.Srv.Store.InTx(ctx, func(ctx context.Context) error {
			for i := 0; i < 300; i++ {
				task, err := s.Srv.Registry.CreateTask(ctx, registry.TaskInput{
					Name: fmt.Sprint("old-", i)})
				if err != nil {
					return err
				}
				before[task.ID] = true
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		for _, order := range [][]string{nil, {"created"}} {
			checkPaging(t, s, before, order)
		}
	})
}

func checkPaging(t *testing.T, s *regServer, before map[string]bool, order []string) {
	t.Helper()
	var stop atomic.Bool
	var created atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				s.must(t, "tasks.create", map[string]any{"name": fmt.Sprint("new-", i)})
				created.Add(1)
			}
		}()
	}
	for created.Load() < 5 {
		runtime.Gosched()
	}
	seen := map[string]int{}
	atStart := created.Load()
	for page := 0; ; page++ {
		r := s.must(t, "tasks.get_all", map[string]any{"page": page, "page_size": 20,
			"order_by": order, "only_fields": []string{"id"}})
		tasks := r.list("tasks")
		old := 0
		for _, x := range tasks {
			id := x.(map[string]any)["id"].(string)
			seen[id]++
			if before[id] {
				old++
			}
		}
		if len(tasks) < 20 || (old == 0 && page > len(before)/20) {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	if created.Load() == atStart {
		t.Fatal("no task was created while paging; the test proves nothing")
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("order %v: task %s seen %d times", order, id, n)
		}
	}
	for id := range before {
		if seen[id] != 1 {
			t.Fatalf("order %v: existing task %s seen %d times", order, id, seen[id])
		}
	}
}
