package api_test

import (
	"reflect"
	"sort"
	"testing"
)

// TestRegistrySDKReplay replays wire.md section 7.1 request by request: what the SDK's
// Task.init(), task.connect(), one scalar and task.close() send, as GET with JSON bodies
// carrying the SDK's stray "method" key, then the second run's task-reuse check.
func TestRegistrySDKReplay(t *testing.T) {
	regForEach(t, testSDKReplay)
}

func testSDKReplay(t *testing.T, s *regServer) {
	login := s.do(t, "GET", "/auth.login", regBasic(regAdminEmail, regAdminPassword), "", "")
	login.ok(t)
	s.Token = "Bearer " + login.str("token")

	r := s.must(t, "projects.get_all", `{"name":"^demo\\-proj$","only_fields":["id"],`+
		`"shallow_search":false,"search_hidden":true,"method":"get"}`)
	if got := r.list("projects"); len(got) != 0 {
		t.Fatalf("projects on a fresh server: %v", got)
	}
	pid := s.must(t, "projects.create", `{"name":"demo-proj","description":"",`+
		`"method":"get"}`).str("id")
	tid := s.must(t, "tasks.create", map[string]any{"name": "demo-task",
		"system_tags": []string{"development"}, "type": "training",
		"comment": "Auto-generated at 2026-01-02 03:04:05 UTC by me@host", "project": pid,
		"method": "get"}).str("id")
	if len(pid) != 32 || len(tid) != 32 {
		t.Fatalf("ids must be 32 hex: %q %q", pid, tid)
	}
	task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid, "method": "get"})
	if task.str("task", "id") != tid || task.str("task", "status") != "created" ||
		task.str("task", "project") != pid {
		t.Fatalf("get_by_id: %s", task.Raw)
	}
	r = s.must(t, "tasks.started", map[string]any{"force": false, "task": tid, "method": "get"})
	if r.num("updated") != 1 || r.str("fields", "status") != "in_progress" {
		t.Fatalf("started: %s", r.Raw)
	}
	script := map[string]any{"binary": "python3", "repository": "https://x/repo.git",
		"branch": "main", "version_num": "abc123", "entry_point": "train.py",
		"working_dir": ".", "diff": ""}
	for i := 0; i < 2; i++ {
		s.must(t, "tasks.get_by_id", map[string]any{"task": tid, "method": "get"})
	}
	r = s.must(t, "tasks.edit", map[string]any{"task": tid, "force": true, "script": script,
		"method": "get"})
	if r.num("updated") != 1 {
		t.Fatalf("edit script: %s", r.Raw)
	}
	r = s.must(t, "tasks.set_requirements", map[string]any{"task": tid, "method": "get",
		"requirements": map[string]any{"pip": "numpy==2.0\n", "conda": ""}})
	if r.num("updated") != 1 {
		t.Fatalf("set_requirements: %s", r.Raw)
	}
	if got := s.must(t, "projects.get_by_id", map[string]any{"project": pid,
		"method": "get"}).str("project", "name"); got != "demo-proj" {
		t.Fatalf("projects.get_by_id name = %q", got)
	}
	batch := s.do(t, "GET", "/v2.23/events.add_batch", s.Token, "application/json-lines",
		regLines(t,
			map[string]any{"timestamp": 1767323045123, "type": "log", "task": tid,
				"level": "info", "worker": "test-host", "msg": "hello", "method": "get"},
			map[string]any{"type": "training_stats_scalar", "task": tid, "iter": 0,
				"metric": "loss", "variant": "train", "value": 0.25, "method": "get"}))
	batch.ok(t)
	if batch.num("added") != 2 || batch.num("errors") != 0 {
		t.Fatalf("add_batch: %s", batch.Raw)
	}
	s.must(t, "tasks.get_by_id", map[string]any{"task": tid, "method": "get"})
	s.must(t, "tasks.edit", map[string]any{"task": tid, "force": true, "method": "get",
		"runtime": map[string]any{"progress": "10"}})
	s.must(t, "tasks.get_by_id", map[string]any{"task": tid, "method": "get"})
	hp := map[string]any{"General": map[string]any{"lr": map[string]any{"section": "General",
		"name": "lr", "value": "0.1", "type": "float", "description": ""}}}
	s.must(t, "tasks.edit", map[string]any{"task": tid, "force": true, "method": "get",
		"hyperparams": hp})
	poll := s.must(t, "tasks.get_all", map[string]any{"id": []string{tid},
		"only_fields": []string{"status", "status_message", "id"}, "search_hidden": false,
		"method": "get"})
	got := poll.at("tasks", "0").(map[string]any)
	if keys := sortedKeys(got); !reflect.DeepEqual(keys, []string{"id", "status",
		"status_message"}) || got["status"] != "in_progress" {
		t.Fatalf("abort-watcher poll: %s", poll.Raw)
	}
	s.must(t, "tasks.edit", map[string]any{"task": tid, "force": true, "method": "get",
		"runtime": map[string]any{"progress": "100"}})
	r = s.must(t, "tasks.completed", map[string]any{"force": false, "task": tid,
		"status_reason": "completed", "publish": false, "method": "get"})
	if r.str("fields", "status") != "completed" {
		t.Fatalf("completed: %s", r.Raw)
	}

	checkStoredTask(t, s, tid, pid, script, hp)
	secondRun(t, s, tid, pid)
}

// checkStoredTask reads the task back: what the SDK wrote is what it gets.
func checkStoredTask(t *testing.T, s *regServer, tid, pid string, script, hp map[string]any) {
	t.Helper()
	task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid})
	if task.str("task", "script", "entry_point") != script["entry_point"] ||
		task.str("task", "script", "requirements", "pip") != "numpy==2.0\n" ||
		task.str("task", "hyperparams", "General", "lr", "value") != "0.1" ||
		task.str("task", "runtime", "progress") != "100" ||
		task.str("task", "status_reason") != "completed" ||
		task.str("task", "user") != s.Admin || task.str("task", "company") != s.WS {
		t.Fatalf("stored task: %s", task.Raw)
	}
	for _, k := range []string{"created", "started", "completed", "last_update"} {
		if task.str("task", k) == "" {
			t.Errorf("task.%s missing: %s", k, task.Raw)
		}
	}
	log := s.must(t, "events.get_task_log", map[string]any{"task": tid})
	if log.str("events", "0", "msg") != "hello" || log.at("events", "0", "method") != nil {
		t.Fatalf("task log: %s", log.Raw)
	}
}

// secondRun is the SDK's task-reuse check on the next start: the completed task is not
// reused, so it creates a new task in the same project.
func secondRun(t *testing.T, s *regServer, prev, pid string) {
	t.Helper()
	r := s.must(t, "tasks.get_all", map[string]any{"id": []string{prev},
		"only_fields": []string{"id", "name", "project", "type"}, "search_hidden": false,
		"method": "get"})
	got := r.at("tasks", "0").(map[string]any)
	if !reflect.DeepEqual(sortedKeys(got), []string{"id", "name", "project", "type"}) {
		t.Fatalf("reuse check: %s", r.Raw)
	}
	s.must(t, "projects.get_by_id", map[string]any{"project": pid, "method": "get"})
	if s.must(t, "tasks.get_by_id", map[string]any{"task": prev}).str("task", "status") !=
		"completed" {
		t.Fatal("previous task not completed")
	}
	found := s.must(t, "projects.get_all", `{"name":"^demo\\-proj$","only_fields":["id"],`+
		`"shallow_search":false,"search_hidden":true,"method":"get"}`)
	if proj, _ := found.at("projects", "0").(map[string]any); proj["id"] != pid ||
		len(proj) != 1 {
		t.Fatalf("project lookup on the second run: %s", found.Raw)
	}
	s.must(t, "tasks.create", map[string]any{"name": "demo-task", "type": "training",
		"system_tags": []string{"development"}, "project": pid, "method": "get"})
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
