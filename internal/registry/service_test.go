package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/store"
	"atrium/internal/store/storetest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is a registry service over a fresh SQLite store, and a caller in a workspace.
type fixture struct {
	st  *store.Store
	svc *registry.Service
	ctx context.Context
	ws  string
}

func newFixture(t *testing.T, opts registry.Options) *fixture {
	t.Helper()
	st, _ := storetest.OpenSQLite(t)
	now := func() time.Time { return t0 }
	svc := registry.New(st, nil, audit.New(st, now), now, storetest.Discard, opts)
	f := &fixture{st: st, svc: svc}
	f.ws, f.ctx = f.workspace(t)
	return f
}

// workspace creates a workspace and returns a context whose caller belongs to it.
func (f *fixture) workspace(t *testing.T) (string, context.Context) {
	t.Helper()
	ws := identity.Workspace{ID: secret.ID(), Name: "w", CreatedAt: t0}
	if err := f.st.CreateWorkspace(context.Background(), ws); err != nil {
		t.Fatal(err)
	}
	p := identity.Principal{WorkspaceID: ws.ID, UserID: "u-" + ws.ID[:6], Role: identity.RoleUser}
	ctx := identity.WithPrincipal(context.Background(), p)
	return ws.ID, audit.WithActor(ctx, audit.Actor{WorkspaceID: ws.ID, UserID: p.UserID})
}

func (f *fixture) task(t *testing.T, name string) registry.Task {
	t.Helper()
	task, err := f.svc.CreateTask(f.ctx, registry.TaskInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestNoCaller(t *testing.T) {
	f := newFixture(t, registry.Options{})
	_, err := f.svc.Tasks(context.Background(), registry.TaskQuery{})
	if !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("call without a principal: %v", err)
	}
}

func TestEventCap(t *testing.T) {
	f := newFixture(t, registry.Options{MaxEventsPerTask: 5})
	task := f.task(t, "t")
	line := func(msg string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"task":%q,"type":"log","msg":%q}`, task.ID, msg))
	}
	res, err := f.svc.AddEvents(f.ctx, []json.RawMessage{line("1"), line("2"), line("3")})
	if err != nil || res.Added != 3 {
		t.Fatalf("first batch = %+v, %v", res, err)
	}
	_, err = f.svc.AddEvents(f.ctx, []json.RawMessage{line("4"), line("5"), line("6")})
	e := apperr.As(err)
	if e == nil || e.Code != 400 || e.Subcode != 131 || !strings.Contains(e.Msg, task.ID) {
		t.Fatalf("batch past the cap: %v", err)
	}
	page, err := f.svc.TaskEvents(f.ctx, registry.LogQuery{TaskID: task.ID})
	if err != nil || page.Total != 3 {
		t.Fatalf("the refused batch stored events: %d, %v", page.Total, err)
	}
	res, err = f.svc.AddEvents(f.ctx, []json.RawMessage{line("4"), line("5")})
	if err != nil || res.Added != 2 {
		t.Fatalf("batch up to the cap = %+v, %v", res, err)
	}
}

func TestEnqueueDequeue(t *testing.T) {
	f := newFixture(t, registry.Options{})
	task := f.task(t, "t")
	q, err := f.svc.DefaultQueue(f.ctx)
	if err != nil || q.Name != "default" {
		t.Fatalf("default queue = %+v, %v", q, err)
	}
	queued, qid, err := f.svc.Enqueue(f.ctx, task.ID, "", "", registry.StatusChange{})
	if err != nil || qid != q.ID || queued.Status != registry.StatusQueued ||
		queued.EnqueueStatus != registry.StatusCreated {
		t.Fatalf("enqueue = %+v, %s, %v", queued, qid, err)
	}
	_, _, err = f.svc.Enqueue(f.ctx, task.ID, qid, "", registry.StatusChange{})
	if e := apperr.As(err); e == nil || e.Subcode != 110 {
		t.Fatalf("enqueue twice: %v", err)
	}
	back, err := f.svc.Dequeue(f.ctx, task.ID, registry.StatusChange{})
	if err != nil || back.Status != registry.StatusCreated || back.QueueID != "" {
		t.Fatalf("dequeue = %+v, %v", back, err)
	}
	if strings.Contains(string(back.Doc), "queue") {
		t.Fatalf("execution.queue kept after dequeue: %s", back.Doc)
	}
	if _, ok, err := f.svc.NextTask(f.ctx, qid); ok || err != nil {
		t.Fatalf("pop after dequeue = %v, %v", ok, err)
	}
}

// TestPopSkipsStale checks that entries of deleted or no longer queued tasks are dropped.
func TestPopSkipsStale(t *testing.T) {
	f := newFixture(t, registry.Options{})
	q, _ := f.svc.CreateQueue(f.ctx, registry.QueueInput{Name: "q"})
	var ids []string
	for i := 0; i < 3; i++ {
		task := f.task(t, fmt.Sprint(i))
		if _, _, err := f.svc.Enqueue(f.ctx, task.ID, q.ID, "", registry.StatusChange{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	if err := f.svc.AddTask(f.ctx, q.ID, f.task(t, "never queued").ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DeleteTask(f.ctx, ids[0], registry.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Started(f.ctx, ids[1], registry.StatusChange{}); err != nil {
		t.Fatal(err)
	}
	next, ok, err := f.svc.NextTask(f.ctx, q.ID)
	if err != nil || !ok || next.Entry.TaskID != ids[2] {
		t.Fatalf("pop = %+v, %v, %v; want %s", next, ok, err, ids[2])
	}
	if _, ok, _ := f.svc.NextTask(f.ctx, q.ID); ok {
		t.Fatal("a task that was never queued was handed out")
	}
}

// TestConcurrentNextTask has many goroutines pop at once, so pops share transactions.
func TestConcurrentNextTask(t *testing.T) {
	f := newFixture(t, registry.Options{})
	q, _ := f.svc.CreateQueue(f.ctx, registry.QueueInput{Name: "q"})
	const n = 300
	want := map[string]bool{}
	err := f.st.InTx(f.ctx, func(ctx context.Context) error {
		for i := 0; i < n; i++ {
			task, err := f.svc.CreateTask(ctx, registry.TaskInput{Name: "t"})
			if err != nil {
				return err
			}
			want[task.ID] = true
			if _, _, err := f.svc.Enqueue(ctx, task.ID, q.ID, "", registry.StatusChange{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next, ok, err := f.svc.NextTask(f.ctx, q.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				got[next.Task.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct tasks popped, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 || !want[id] {
			t.Fatalf("task %s popped %d times", id, c)
		}
	}
	if _, _, err := f.svc.NextTask(f.ctx, "missing"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("pop of a missing queue: %v", err)
	}
}

func TestWorkspaceIsolation(t *testing.T) {
	f := newFixture(t, registry.Options{})
	task := f.task(t, "mine")
	_, other := f.workspace(t)
	if _, err := f.svc.Task(other, task.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("task visible from another workspace: %v", err)
	}
	if _, _, err := f.svc.EditTask(other, task.ID, registry.TaskEdit{}, true); err == nil {
		t.Fatal("task edited from another workspace")
	}
	list, err := f.svc.Tasks(other, registry.TaskQuery{SearchHidden: true})
	if err != nil || len(list) != 0 {
		t.Fatalf("listing from another workspace: %d, %v", len(list), err)
	}
}

func TestAuditTrail(t *testing.T) {
	f := newFixture(t, registry.Options{})
	task := f.task(t, "t")
	if err := f.svc.Ping(f.ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Started(f.ctx, task.ID, registry.StatusChange{}); err != nil {
		t.Fatal(err)
	}
	entries, err := f.st.AuditEntries(context.Background(), f.ws, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "task.status,task.create" {
		t.Fatalf("audit actions = %v (pings must not be audited)", actions)
	}
}
