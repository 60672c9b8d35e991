package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/store"
)

// RunRegistry runs the registry part of the conformance suite against stores from open.
func RunRegistry(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"ProjectsRoundTrip", testProjectsRoundTrip},
		{"ProjectListing", testProjectListing},
		{"ProjectRenameAndDelete", testProjectRenameAndDelete},
		{"TaskRoundTrip", testTaskRoundTrip},
		{"TaskFilters", testTaskFilters},
		{"TaskTagFilters", testTaskTagFilters},
		{"TaskOrderAndPaging", testTaskOrderAndPaging},
		{"TaskNamePaging", testTaskNamePaging},
		{"TaskUpdateAndDelete", testTaskUpdateAndDelete},
		{"TaskSeqConcurrent", testTaskSeqConcurrent},
		{"Models", testModels},
		{"Queues", testQueues},
		{"QueueEntries", testQueueEntries},
		{"QueuePopConcurrent", testQueuePopConcurrent},
		{"Workers", testWorkers},
		{"Events", testEvents},
		{"EventCap", testEventCap},
		{"RegistryWorkspaceScope", testRegistryWorkspaceScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func newWorkspace(t *testing.T, s *store.Store) string {
	t.Helper()
	ws := identity.Workspace{ID: secret.ID(), Name: "ws", CreatedAt: t0}
	if err := s.CreateWorkspace(context.Background(), ws); err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	return ws.ID
}

func mustOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func project(ws, name, parent string, sys ...string) registry.Project {
	base := name[strings.LastIndex(name, "/")+1:]
	if sys == nil {
		sys = []string{}
	}
	return registry.Project{ID: secret.ID(), WorkspaceID: ws, Name: name, Basename: base,
		ParentID: parent, Description: "d", UserID: "u1", Tags: []string{"t"},
		SystemTags: sys, DefaultOutputDestination: "s3://b", CreatedAt: t0, LastUpdate: t0}
}

func testProjectsRoundTrip(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	p := project(ws, "alpha", "")
	mustOK(t, s.CreateProject(ctx, p), "create")
	got, err := s.Project(ctx, ws, p.ID)
	mustOK(t, err, "get")
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
	}
	byName, err := s.ProjectByName(ctx, ws, "alpha")
	if err != nil || byName.ID != p.ID {
		t.Fatalf("ProjectByName = %v, %v", byName.ID, err)
	}
	dup := project(ws, "alpha", "")
	mustKind(t, s.CreateProject(ctx, dup), apperr.Conflict, "duplicate name")
	_, err = s.Project(ctx, ws, "missing")
	mustKind(t, err, apperr.NotFound, "missing project")
	updated, err := s.UpdateProject(ctx, ws, p.ID, func(p *registry.Project) error {
		p.Description, p.SystemTags = "new", []string{registry.TagHidden}
		return nil
	})
	mustOK(t, err, "update")
	if updated.Description != "new" {
		t.Fatalf("update returned %+v", updated)
	}
	visible, err := s.Projects(ctx, ws, registry.ProjectFilter{})
	mustOK(t, err, "list")
	if len(visible) != 0 {
		t.Fatalf("hidden project listed without IncludeHidden: %+v", visible)
	}
}

func testProjectListing(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	a := project(ws, "a", "")
	ab := project(ws, "a/b", a.ID)
	hid := project(ws, "a/.datasets", a.ID, registry.TagHidden)
	c := project(ws, "c", "")
	for _, p := range []registry.Project{c, ab, a, hid} {
		mustOK(t, s.CreateProject(ctx, p), "create "+p.Name)
	}
	cases := []struct {
		name string
		f    registry.ProjectFilter
		want []string
	}{
		{"all visible", registry.ProjectFilter{}, []string{"a", "a/b", "c"}},
		{"with hidden", registry.ProjectFilter{IncludeHidden: true},
			[]string{"a", "a/.datasets", "a/b", "c"}},
		{"top level", registry.ProjectFilter{TopLevel: true}, []string{"a", "c"}},
		{"children", registry.ProjectFilter{ParentIDs: []string{a.ID}}, []string{"a/b"}},
		{"ids", registry.ProjectFilter{IDs: []string{c.ID, ab.ID}}, []string{"a/b", "c"}},
		{"name match", registry.ProjectFilter{NameMatch: func(n string) bool {
			return strings.HasPrefix(n, "a")
		}}, []string{"a", "a/b"}},
	}
	for _, tc := range cases {
		got, err := s.Projects(ctx, ws, tc.f)
		mustOK(t, err, tc.name)
		if names := projectNames(got); !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
		}
	}
}

func projectNames(list []registry.Project) []string {
	out := []string{}
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out
}

func testProjectRenameAndDelete(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	a := project(ws, "a", "")
	ab := project(ws, "a/b", a.ID)
	abc := project(ws, "a/b/c", ab.ID)
	other := project(ws, "ab", "")
	for _, p := range []registry.Project{a, ab, abc, other} {
		mustOK(t, s.CreateProject(ctx, p), "create "+p.Name)
	}
	mustOK(t, s.RenameProjectTree(ctx, ws, "a", "zé", t0), "rename tree")
	all, err := s.Projects(ctx, ws, registry.ProjectFilter{})
	mustOK(t, err, "list")
	want := []string{"a", "ab", "zé/b", "zé/b/c"}
	if got := projectNames(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("after rename: %v, want %v", got, want)
	}
	task := newTask(ws, "t1")
	task.ProjectID = ab.ID
	mustOK(t, s.CreateTask(ctx, &task), "create task")
	m := newModel(ws, "m1")
	m.ProjectID = abc.ID
	mustOK(t, s.CreateModel(ctx, m), "create model")
	tasks, models, err := s.ProjectContents(ctx, ws, []string{ab.ID, abc.ID})
	if err != nil || tasks != 1 || models != 1 {
		t.Fatalf("contents = %d, %d, %v; want 1, 1", tasks, models, err)
	}
	n, err := s.DetachProjectContents(ctx, ws, []string{ab.ID, abc.ID})
	if err != nil || n != 1 {
		t.Fatalf("detach = %d, %v", n, err)
	}
	got, _ := s.Task(ctx, ws, task.ID)
	if got.ProjectID != "" {
		t.Fatalf("task still in project %q", got.ProjectID)
	}
	mustOK(t, s.DeleteProjects(ctx, ws, []string{ab.ID, abc.ID}), "delete")
	if _, err := s.Project(ctx, ws, abc.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("deleted project still there: %v", err)
	}
}

func newTask(ws, name string) registry.Task {
	return registry.Task{ID: secret.ID(), WorkspaceID: ws, UserID: "u1", Name: name,
		Type: "training", Status: registry.StatusCreated, Tags: []string{},
		SystemTags: []string{}, Doc: json.RawMessage(`{}`), CreatedAt: t0,
		StatusChangedAt: t0, LastUpdate: t0}
}

func testTaskRoundTrip(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	task := newTask(ws, "full")
	task.ProjectID, task.ParentID, task.QueueID = "p1", "parent", "q1"
	task.Status, task.EnqueueStatus = registry.StatusQueued, registry.StatusCreated
	task.StatusReason, task.StatusMessage, task.Comment = "why", "msg", "a comment"
	task.Tags, task.SystemTags = []string{"x", `we"ird,tag`}, []string{"development"}
	task.LastWorker, task.LastIteration = "w1", 7
	task.Doc = json.RawMessage(`{"execution":{"queue":"q1"},"script":{"entry_point":"a.py"}}`)
	task.StartedAt = t0.Add(time.Second)
	task.CompletedAt = t0.Add(2 * time.Second)
	task.PublishedAt = t0.Add(3 * time.Second)
	mustOK(t, s.CreateTask(ctx, &task), "create")
	if task.Seq != 1 {
		t.Fatalf("first seq = %d, want 1", task.Seq)
	}
	got, err := s.Task(ctx, ws, task.ID)
	mustOK(t, err, "get")
	if !reflect.DeepEqual(got, task) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, task)
	}
	second := newTask(ws, "second")
	mustOK(t, s.CreateTask(ctx, &second), "create second")
	if second.Seq != 2 {
		t.Fatalf("second seq = %d, want 2", second.Seq)
	}
}

// seedTasks creates n tasks named "task-000"... in two projects, alternating statuses.
func seedTasks(t *testing.T, s *store.Store, ws string, n int) []registry.Task {
	t.Helper()
	var out []registry.Task
	for i := 0; i < n; i++ {
		task := newTask(ws, fmt.Sprintf("task-%03d", i))
		task.ProjectID = []string{"p1", "p2"}[i%2]
		task.Status = []registry.Status{registry.StatusCreated, registry.StatusCompleted,
			registry.StatusFailed}[i%3]
		task.CreatedAt = t0.Add(time.Duration(n-i) * time.Second) // reverse of insertion
		task.LastUpdate = task.CreatedAt
		mustOK(t, s.CreateTask(context.Background(), &task), "seed")
		out = append(out, task)
	}
	return out
}

func taskNames(list []registry.Task) []string {
	out := []string{}
	for _, t := range list {
		out = append(out, t.Name)
	}
	return out
}

func testTaskFilters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	tasks := seedTasks(t, s, ws, 6)
	hidden := newTask(ws, "hidden")
	hidden.SystemTags = []string{registry.TagHidden}
	hidden.Type = "data_processing"
	hidden.ParentID = tasks[0].ID
	mustOK(t, s.CreateTask(ctx, &hidden), "create hidden")
	cases := []struct {
		name string
		f    registry.TaskFilter
		want []string
	}{
		{"all", registry.TaskFilter{}, []string{"task-000", "task-001", "task-002",
			"task-003", "task-004", "task-005"}},
		{"ids", registry.TaskFilter{IDs: []string{tasks[4].ID, tasks[1].ID}},
			[]string{"task-001", "task-004"}},
		{"project and status", registry.TaskFilter{ProjectIDs: []string{"p1"},
			Statuses: []registry.Status{registry.StatusCreated}}, []string{"task-000"}},
		{"statuses", registry.TaskFilter{Statuses: []registry.Status{registry.StatusFailed,
			registry.StatusCompleted}}, []string{"task-001", "task-002", "task-004", "task-005"}},
		{"hidden excluded by id", registry.TaskFilter{IDs: []string{hidden.ID}}, []string{}},
		{"hidden included", registry.TaskFilter{IDs: []string{hidden.ID}, IncludeHidden: true},
			[]string{"hidden"}},
		{"type", registry.TaskFilter{Types: []string{"data_processing"}, IncludeHidden: true},
			[]string{"hidden"}},
		{"parent", registry.TaskFilter{ParentIDs: []string{tasks[0].ID}, IncludeHidden: true},
			[]string{"hidden"}},
		{"user", registry.TaskFilter{UserIDs: []string{"nobody"}}, []string{}},
	}
	for _, tc := range cases {
		got, err := s.Tasks(ctx, ws, tc.f)
		mustOK(t, err, tc.name)
		if names := taskNames(got); !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
		}
	}
	_ = tasks
}

func testTaskTagFilters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	tagged := map[string][]string{
		"plain":  {"a", "b"},
		"quote":  {`x"a`, "c"},
		"comma":  {"a,b"},
		"pct":    {"50%_off"},
		"suffix": {"aa"},
	}
	for _, name := range sortedNames(tagged) {
		task := newTask(ws, name)
		task.Tags = tagged[name]
		task.SystemTags = []string{"dataset"}
		mustOK(t, s.CreateTask(ctx, &task), "create "+name)
	}
	cases := []struct {
		name string
		f    registry.TagFilter
		want []string
	}{
		{"any a", registry.TagFilter{Any: []string{"a"}}, []string{"plain"}},
		{"any c or pct", registry.TagFilter{Any: []string{"c", "50%_off"}},
			[]string{"pct", "quote"}},
		{"comma tag", registry.TagFilter{Any: []string{"a,b"}}, []string{"comma"}},
		{"quote tag", registry.TagFilter{Any: []string{`x"a`}}, []string{"quote"}},
		{"like wildcard is literal", registry.TagFilter{Any: []string{"50__off"}}, []string{}},
		{"all", registry.TagFilter{All: []string{"a", "b"}}, []string{"plain"}},
		{"none", registry.TagFilter{None: []string{"a", "aa"}},
			[]string{"comma", "pct", "quote"}},
	}
	for _, tc := range cases {
		got, err := s.Tasks(ctx, ws, registry.TaskFilter{Tags: tc.f})
		mustOK(t, err, tc.name)
		names := taskNames(got)
		sort.Strings(names)
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
		}
	}
	got, err := s.Tasks(ctx, ws, registry.TaskFilter{SystemTags: registry.TagFilter{
		Any: []string{"dataset"}}})
	if err != nil || len(got) != len(tagged) {
		t.Fatalf("system tag filter: %d tasks, %v", len(got), err)
	}
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func testTaskOrderAndPaging(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	seedTasks(t, s, ws, 7)
	cases := []struct {
		name string
		f    registry.TaskFilter
		want []string
	}{
		{"insertion order", registry.TaskFilter{Page: registry.Page{Limit: 3}},
			[]string{"task-000", "task-001", "task-002"}},
		{"second page", registry.TaskFilter{Page: registry.Page{Limit: 3, Offset: 3}},
			[]string{"task-003", "task-004", "task-005"}},
		{"created", registry.TaskFilter{OrderBy: []string{"created"},
			Page: registry.Page{Limit: 2}}, []string{"task-006", "task-005"}},
		{"-name", registry.TaskFilter{OrderBy: []string{"-name"}, Page: registry.Page{Limit: 2}},
			[]string{"task-006", "task-005"}},
		{"unknown key ignored", registry.TaskFilter{OrderBy: []string{"bogus; DROP"},
			Page: registry.Page{Limit: 1}}, []string{"task-000"}},
		{"status then name", registry.TaskFilter{OrderBy: []string{"status", "-name"},
			Page: registry.Page{Limit: 3}}, []string{"task-004", "task-001", "task-006"}},
	}
	for _, tc := range cases {
		got, err := s.Tasks(ctx, ws, tc.f)
		mustOK(t, err, tc.name)
		if names := taskNames(got); !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, names, tc.want)
		}
	}
}

func testTaskNamePaging(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	seedTasks(t, s, ws, 10)
	even := func(n string) bool { return (n[len(n)-1]-'0')%2 == 0 }
	got, err := s.Tasks(ctx, ws, registry.TaskFilter{NameMatch: even,
		Page: registry.Page{Limit: 2, Offset: 1}, OrderBy: []string{"-name"}})
	mustOK(t, err, "name paging")
	if names := taskNames(got); !reflect.DeepEqual(names, []string{"task-006", "task-004"}) {
		t.Fatalf("got %v", names)
	}
}

func testTaskUpdateAndDelete(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	parent := newTask(ws, "parent")
	child := newTask(ws, "child")
	mustOK(t, s.CreateTask(ctx, &parent), "create parent")
	child.ParentID = parent.ID
	mustOK(t, s.CreateTask(ctx, &child), "create child")
	later := t0.Add(time.Minute)
	_, err := s.UpdateTask(ctx, ws, parent.ID, func(x *registry.Task) error {
		x.Status, x.StartedAt, x.LastUpdate = registry.StatusInProgress, later, later
		x.SystemTags = []string{registry.TagHidden}
		x.EventCount = 99 // not written back
		return nil
	})
	mustOK(t, err, "update")
	got, _ := s.Task(ctx, ws, parent.ID)
	if got.Status != registry.StatusInProgress || !got.StartedAt.Equal(later) ||
		got.EventCount != 0 {
		t.Fatalf("after update: %+v", got)
	}
	visible, _ := s.Tasks(ctx, ws, registry.TaskFilter{IDs: []string{parent.ID}})
	if len(visible) != 0 {
		t.Fatal("task made hidden is still listed")
	}
	boom := fmt.Errorf("boom")
	_, err = s.UpdateTask(ctx, ws, parent.ID, func(*registry.Task) error { return boom })
	if err != boom {
		t.Fatalf("update error = %v, want boom", err)
	}
	mustOK(t, s.TouchTask(ctx, ws, parent.ID, later.Add(time.Hour)), "touch")
	mustKind(t, s.TouchTask(ctx, ws, "missing", later), apperr.NotFound, "touch missing")
	known, err := s.ExistingTasks(ctx, ws, []string{parent.ID, "missing"})
	if err != nil || !known[parent.ID] || known["missing"] {
		t.Fatalf("ExistingTasks = %v, %v", known, err)
	}
	n, err := s.ClearTaskParent(ctx, ws, parent.ID)
	if err != nil || n != 1 {
		t.Fatalf("ClearTaskParent = %d, %v", n, err)
	}
	mustOK(t, s.DeleteTask(ctx, ws, parent.ID), "delete")
	mustKind(t, s.DeleteTask(ctx, ws, parent.ID), apperr.NotFound, "delete twice")
}

// testTaskSeqConcurrent creates tasks from many goroutines: insertion numbers are unique.
func testTaskSeqConcurrent(t *testing.T, s *store.Store) {
	ws := newWorkspace(t, s)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				task := newTask(ws, "c")
				errs <- s.CreateTask(context.Background(), &task)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustOK(t, err, "concurrent create")
	}
	all, err := s.Tasks(context.Background(), ws, registry.TaskFilter{})
	mustOK(t, err, "list")
	for i, task := range all {
		if task.Seq != int64(i+1) {
			t.Fatalf("task %d has seq %d: numbers must be 1..n in order", i, task.Seq)
		}
	}
}

func newModel(ws, name string) registry.Model {
	return registry.Model{ID: secret.ID(), WorkspaceID: ws, Name: name, UserID: "u1",
		URI: "s3://bucket/" + name, Framework: "PyTorch", Tags: []string{},
		SystemTags: []string{}, Doc: json.RawMessage(`{"design":{"net":"x"}}`),
		CreatedAt: t0, LastUpdate: t0}
}

func testModels(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	m := newModel(ws, "m1")
	m.TaskID, m.ProjectID = "t1", "p1"
	mustOK(t, s.CreateModel(ctx, m), "create")
	got, err := s.Model(ctx, ws, m.ID)
	mustOK(t, err, "get")
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
	m2 := newModel(ws, "m2")
	m2.Ready, m2.CreatedAt = true, t0.Add(time.Second)
	mustOK(t, s.CreateModel(ctx, m2), "create m2")
	ready := true
	cases := []struct {
		name string
		f    registry.ModelFilter
		want int
	}{
		{"all", registry.ModelFilter{}, 2},
		{"task", registry.ModelFilter{TaskIDs: []string{"t1"}}, 1},
		{"ready", registry.ModelFilter{Ready: &ready}, 1},
		{"uri", registry.ModelFilter{URIs: []string{"s3://bucket/m2"}}, 1},
		{"page", registry.ModelFilter{Page: registry.Page{Limit: 1, Offset: 1}}, 1},
		{"name", registry.ModelFilter{NameMatch: func(n string) bool { return n == "m2" }}, 1},
	}
	for _, tc := range cases {
		list, err := s.Models(ctx, ws, tc.f)
		if err != nil || len(list) != tc.want {
			t.Errorf("%s: %d models, %v; want %d", tc.name, len(list), err, tc.want)
		}
	}
	_, err = s.UpdateModel(ctx, ws, m.ID, func(m *registry.Model) error {
		m.Ready, m.TaskID = true, ""
		return nil
	})
	mustOK(t, err, "update")
	if got, _ := s.Model(ctx, ws, m.ID); !got.Ready || got.TaskID != "" {
		t.Fatalf("update not stored: %+v", got)
	}
	mustOK(t, s.DeleteModel(ctx, ws, m.ID), "delete")
	mustKind(t, s.DeleteModel(ctx, ws, m.ID), apperr.NotFound, "delete twice")
}

func newQueue(ws, name string) registry.Queue {
	return registry.Queue{ID: secret.ID(), WorkspaceID: ws, Name: name, UserID: "u1",
		Tags: []string{}, SystemTags: []string{}, CreatedAt: t0, LastUpdate: t0}
}

func testQueues(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	q := newQueue(ws, "default")
	q.SystemTags = []string{"default"}
	mustOK(t, s.CreateQueue(ctx, q), "create")
	mustKind(t, s.CreateQueue(ctx, newQueue(ws, "default")), apperr.Conflict, "duplicate")
	got, err := s.Queue(ctx, ws, q.ID)
	mustOK(t, err, "get")
	if !reflect.DeepEqual(got, q) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, q)
	}
	other := newQueue(ws, "gpu")
	mustOK(t, s.CreateQueue(ctx, other), "create other")
	_, err = s.UpdateQueue(ctx, ws, other.ID, func(q *registry.Queue) error {
		q.Name = "default"
		return nil
	})
	mustKind(t, err, apperr.Conflict, "rename onto a taken name")
	all, err := s.Queues(ctx, ws)
	if err != nil || len(all) != 2 {
		t.Fatalf("Queues = %d, %v", len(all), err)
	}
	mustOK(t, s.AddQueueEntry(ctx, ws, other.ID, registry.QueueEntry{TaskID: "t1",
		AddedAt: t0}, false), "add")
	mustOK(t, s.DeleteQueue(ctx, ws, other.ID), "delete")
	entries, _ := s.QueueEntries(ctx, ws, []string{other.ID})
	if len(entries[other.ID]) != 0 {
		t.Fatal("entries survived their queue")
	}
}

func entryIDs(m map[string][]registry.QueueEntry, q string) []string {
	out := []string{}
	for _, e := range m[q] {
		out = append(out, e.TaskID)
	}
	return out
}

func testQueueEntries(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	q := newQueue(ws, "q")
	mustOK(t, s.CreateQueue(ctx, q), "create")
	add := func(id string, front bool) {
		t.Helper()
		mustOK(t, s.AddQueueEntry(ctx, ws, q.ID, registry.QueueEntry{TaskID: id,
			AddedAt: t0}, front), "add "+id)
	}
	add("b", false)
	add("c", false)
	add("a", true)
	mustKind(t, s.AddQueueEntry(ctx, ws, q.ID, registry.QueueEntry{TaskID: "b", AddedAt: t0},
		false), apperr.Conflict, "add twice")
	check := func(what string, want ...string) {
		t.Helper()
		m, err := s.QueueEntries(ctx, ws, []string{q.ID})
		mustOK(t, err, what)
		if got := entryIDs(m, q.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	check("after adds", "a", "b", "c")
	pos, err := s.MoveQueueEntry(ctx, ws, q.ID, "a", false)
	if err != nil || pos != 2 {
		t.Fatalf("move to back = %d, %v", pos, err)
	}
	check("after move back", "b", "c", "a")
	pos, err = s.MoveQueueEntry(ctx, ws, q.ID, "c", true)
	if err != nil || pos != 0 {
		t.Fatalf("move to front = %d, %v", pos, err)
	}
	check("after move front", "c", "b", "a")
	_, err = s.MoveQueueEntry(ctx, ws, q.ID, "zzz", true)
	mustKind(t, err, apperr.NotFound, "move missing")
	ok, err := s.RemoveQueueEntry(ctx, ws, q.ID, "b")
	if err != nil || !ok {
		t.Fatalf("remove = %v, %v", ok, err)
	}
	if ok, _ := s.RemoveQueueEntry(ctx, ws, q.ID, "b"); ok {
		t.Fatal("removed twice")
	}
	e, ok, err := s.PopQueueEntry(ctx, ws, q.ID)
	if err != nil || !ok || e.TaskID != "c" || !e.AddedAt.Equal(t0) {
		t.Fatalf("pop = %+v, %v, %v", e, ok, err)
	}
	mustOK(t, s.RemoveTaskEntries(ctx, ws, "a"), "remove everywhere")
	if _, ok, err := s.PopQueueEntry(ctx, ws, q.ID); ok || err != nil {
		t.Fatalf("pop from empty queue = %v, %v", ok, err)
	}
}

// testQueuePopConcurrent pops one queue from many goroutines: every entry exactly once.
func testQueuePopConcurrent(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	q := newQueue(ws, "q")
	mustOK(t, s.CreateQueue(ctx, q), "create")
	const n = 200
	for i := 0; i < n; i++ {
		mustOK(t, s.AddQueueEntry(ctx, ws, q.ID, registry.QueueEntry{TaskID: fmt.Sprint(i),
			AddedAt: t0}, false), "add")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var e registry.QueueEntry
				var ok bool
				err := s.InTx(ctx, func(ctx context.Context) error {
					var err error
					e, ok, err = s.PopQueueEntry(ctx, ws, q.ID)
					return err
				})
				if err != nil {
					t.Errorf("pop: %v", err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				seen[e.TaskID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("popped %d distinct entries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("entry %s popped %d times", id, c)
		}
	}
}

func testWorkers(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	w := registry.Worker{ID: "host:1", WorkspaceID: ws, UserID: "u1", IP: "10.0.0.1",
		Queues: []string{"q1"}, Tags: []string{}, SystemTags: []string{}, Timeout: time.Minute,
		RegisteredAt: t0, LastActivity: t0, MachineStats: json.RawMessage(`{"cpu":[1]}`)}
	mustOK(t, s.PutWorker(ctx, w), "put")
	got, err := s.Worker(ctx, ws, w.ID)
	mustOK(t, err, "get")
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, w)
	}
	w.LastActivity, w.LastReport, w.TaskID = t0.Add(time.Hour), t0.Add(time.Hour), "t1"
	mustOK(t, s.PutWorker(ctx, w), "put again")
	old := registry.Worker{ID: "old", WorkspaceID: ws, Timeout: time.Minute,
		RegisteredAt: t0, LastActivity: t0}
	mustOK(t, s.PutWorker(ctx, old), "put old")
	recent, err := s.Workers(ctx, ws, t0.Add(time.Minute))
	if err != nil || len(recent) != 1 || recent[0].TaskID != "t1" {
		t.Fatalf("Workers since = %+v, %v", recent, err)
	}
	mustOK(t, s.DeleteExpiredWorkers(ctx, ws, t0.Add(30*time.Minute)), "expire")
	if _, err := s.Worker(ctx, ws, "old"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("expired worker kept: %v", err)
	}
	mustOK(t, s.DeleteWorker(ctx, ws, w.ID), "delete")
	mustKind(t, s.DeleteWorker(ctx, ws, w.ID), apperr.NotFound, "delete twice")
}

func logEvent(ws, task string, at time.Time, msg string) registry.Event {
	doc, _ := json.Marshal(map[string]any{"task": task, "type": "log", "msg": msg})
	return registry.Event{WorkspaceID: ws, TaskID: task, Type: registry.EventLog, At: at,
		Doc: doc}
}

func testEvents(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	task := newTask(ws, "t")
	mustOK(t, s.CreateTask(ctx, &task), "create task")
	var events []registry.Event
	for i := 0; i < 450; i++ { // more than one INSERT statement
		events = append(events, logEvent(ws, task.ID, t0.Add(time.Duration(i/2)*time.Second),
			fmt.Sprint(i)))
	}
	v := 0.5
	events = append(events, registry.Event{WorkspaceID: ws, TaskID: task.ID,
		Type: registry.EventScalar, At: t0, Iter: 3, Metric: "loss", Variant: "train",
		Value: &v, Doc: json.RawMessage(`{}`)},
		registry.Event{WorkspaceID: ws, TaskID: task.ID, Type: registry.EventImage, At: t0,
			URL: "s3://b/img.png", Doc: json.RawMessage(`{}`)})
	ok, err := s.ReserveEvents(ctx, ws, task.ID, len(events), 3, 1000)
	if err != nil || !ok {
		t.Fatalf("reserve = %v, %v", ok, err)
	}
	mustOK(t, s.AddEvents(ctx, events), "add")
	logs := []string{registry.EventLog}
	n, err := s.CountEvents(ctx, ws, task.ID, logs)
	if err != nil || n != 450 {
		t.Fatalf("count logs = %d, %v", n, err)
	}
	first, err := s.Events(ctx, ws, registry.EventFilter{TaskID: task.ID, Types: logs,
		Limit: 3})
	mustOK(t, err, "first page")
	if msgs := eventMsgs(first); !reflect.DeepEqual(msgs, []string{"0", "1", "2"}) {
		t.Fatalf("first page %v", msgs)
	}
	next, err := s.Events(ctx, ws, registry.EventFilter{TaskID: task.ID, Types: logs,
		Limit: 2, After: registry.EventCursor{At: first[2].At, ID: first[2].ID}})
	mustOK(t, err, "next page")
	if msgs := eventMsgs(next); !reflect.DeepEqual(msgs, []string{"3", "4"}) {
		t.Fatalf("next page %v", msgs)
	}
	last, err := s.Events(ctx, ws, registry.EventFilter{TaskID: task.ID, Types: logs,
		Limit: 2, Descending: true})
	mustOK(t, err, "newest")
	if msgs := eventMsgs(last); !reflect.DeepEqual(msgs, []string{"449", "448"}) {
		t.Fatalf("newest page %v", msgs)
	}
	scalars, err := s.Events(ctx, ws, registry.EventFilter{TaskID: task.ID,
		Types: []string{registry.EventScalar}})
	if err != nil || len(scalars) != 1 || *scalars[0].Value != 0.5 || scalars[0].Iter != 3 {
		t.Fatalf("scalars = %+v, %v", scalars, err)
	}
	urls, err := s.EventURLs(ctx, ws, task.ID)
	if err != nil || !reflect.DeepEqual(urls, []string{"s3://b/img.png"}) {
		t.Fatalf("urls = %v, %v", urls, err)
	}
	got, _ := s.Task(ctx, ws, task.ID)
	if got.EventCount != int64(len(events)) || got.LastIteration != 3 {
		t.Fatalf("task counters = %d, %d", got.EventCount, got.LastIteration)
	}
	mustOK(t, s.DeleteEvents(ctx, ws, task.ID), "delete")
	if n, _ := s.CountEvents(ctx, ws, task.ID, nil); n != 0 {
		t.Fatalf("%d events left", n)
	}
	if got, _ := s.Task(ctx, ws, task.ID); got.EventCount != 0 {
		t.Fatalf("count not reset: %d", got.EventCount)
	}
}

func eventMsgs(list []registry.Event) []string {
	out := []string{}
	for _, e := range list {
		var m struct {
			Msg string `json:"msg"`
		}
		json.Unmarshal(e.Doc, &m)
		out = append(out, m.Msg)
	}
	return out
}

func testEventCap(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws := newWorkspace(t, s)
	task := newTask(ws, "t")
	mustOK(t, s.CreateTask(ctx, &task), "create task")
	cases := []struct {
		n    int
		want bool
	}{{6, true}, {4, true}, {1, false}}
	for _, tc := range cases {
		ok, err := s.ReserveEvents(ctx, ws, task.ID, tc.n, 0, 10)
		if err != nil || ok != tc.want {
			t.Fatalf("reserve %d = %v, %v; want %v", tc.n, ok, err, tc.want)
		}
	}
	if ok, _ := s.ReserveEvents(ctx, ws, "missing", 1, 0, 10); ok {
		t.Fatal("reserved events for a missing task")
	}
}

// testRegistryWorkspaceScope checks that nothing leaks across workspaces.
func testRegistryWorkspaceScope(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a, b := newWorkspace(t, s), newWorkspace(t, s)
	task := newTask(a, "t")
	mustOK(t, s.CreateTask(ctx, &task), "create")
	other := newTask(b, "t")
	mustOK(t, s.CreateTask(ctx, &other), "create in b")
	if other.Seq != 1 {
		t.Fatalf("insertion numbers are per workspace: got %d", other.Seq)
	}
	_, err := s.Task(ctx, b, task.ID)
	mustKind(t, err, apperr.NotFound, "task across workspaces")
	_, err = s.UpdateTask(ctx, b, task.ID, func(*registry.Task) error { return nil })
	mustKind(t, err, apperr.NotFound, "update across workspaces")
	mustKind(t, s.DeleteTask(ctx, b, task.ID), apperr.NotFound, "delete across workspaces")
	list, _ := s.Tasks(ctx, b, registry.TaskFilter{IDs: []string{task.ID}})
	if len(list) != 0 {
		t.Fatal("listing across workspaces")
	}
	q := newQueue(a, "q")
	mustOK(t, s.CreateQueue(ctx, q), "queue")
	mustOK(t, s.CreateQueue(ctx, newQueue(b, "q")), "same queue name in b")
	mustOK(t, s.AddQueueEntry(ctx, a, q.ID, registry.QueueEntry{TaskID: task.ID, AddedAt: t0},
		false), "add")
	if _, ok, _ := s.PopQueueEntry(ctx, b, q.ID); ok {
		t.Fatal("popped across workspaces")
	}
}
