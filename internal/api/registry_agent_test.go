package api_test

import (
	"strings"
	"testing"
	"time"
)

// TestRegistryAgentReplay replays wire.md section 7.2, clearml-agent's daemon loop, with
// the versions it puts in its URLs (/v2.5, /v2.13, /v2.14, /v2.15 and none).
func TestRegistryAgentReplay(t *testing.T) {
	regForEach(t, testAgentReplay)
}

func testAgentReplay(t *testing.T, s *regServer) {
	login := s.do(t, "GET", "/auth.login", regBasic(regAdminEmail, regAdminPassword),
		"application/json", `{"expiration_sec": null}`)
	login.ok(t)

	qid := agentFindQueue(t, s)
	worker := "agent-host:gpu0"
	s.get(t, "/workers.register", map[string]any{"worker": worker, "queues": []string{qid}}).
		ok(t)
	agentPollEmpty(t, s, qid, worker)

	tid := s.must(t, "tasks.create", map[string]any{"name": "remote", "type": "training",
		"system_tags": []string{"development"}}).str("id")
	enq := s.must(t, "tasks.enqueue", map[string]any{"task": tid, "queue": qid})
	if enq.num("queued") != 1 || enq.str("fields", "status") != "queued" {
		t.Fatalf("enqueue: %s", enq.Raw)
	}
	next := s.get(t, "/v2.14/queues.get_next_task", map[string]any{"queue": qid,
		"get_task_info": true})
	next.ok(t)
	if next.str("entry", "task") != tid || next.str("task_info", "user") != s.Admin ||
		next.str("task_info", "company") != s.WS {
		t.Fatalf("get_next_task: %s", next.Raw)
	}
	agentRunTask(t, s, tid, qid, worker)
	agentDequeue(t, s, qid)
	s.get(t, "/workers.unregister", map[string]any{"worker": worker, "queues": []string{qid}}).
		ok(t)
	left := s.get(t, "/workers.get_all", map[string]any{"last_seen": 600}).list("workers")
	if len(left) != 0 {
		t.Fatalf("unregistered worker still listed: %v", left)
	}
}

// agentFindQueue resolves "--queue default" as the agent does: a regex name lookup, the
// exact match kept, then a lookup by id.
func agentFindQueue(t *testing.T, s *regServer) string {
	t.Helper()
	r := s.get(t, "/v2.5/queues.get_all", map[string]any{"name": "default",
		"only_fields": []string{"name", "id"}})
	r.ok(t)
	qid := ""
	for _, q := range r.list("queues") {
		m := q.(map[string]any)
		if m["name"] == "default" {
			qid = m["id"].(string)
		}
	}
	if len(qid) != 32 {
		t.Fatalf("no default queue on a fresh server: %s", r.Raw)
	}
	byID := s.get(t, "/v2.5/queues.get_all", map[string]any{"id": []string{qid}})
	byID.ok(t)
	if byID.str("queues", "0", "name") != "default" {
		t.Fatalf("queue by id: %s", byID.Raw)
	}
	def := s.must(t, "queues.get_default", nil)
	if def.str("id") != qid {
		t.Fatalf("get_default = %s, want %s", def.Raw, qid)
	}
	return qid
}

// agentPollEmpty is one polling round on an empty queue.
func agentPollEmpty(t *testing.T, s *regServer, qid, worker string) {
	t.Helper()
	s.get(t, "/v2.5/queues.get_all", map[string]any{"id": []string{qid},
		"only_fields": []string{"id", "tags"}}).ok(t)
	props := s.get(t, "/workers.get_runtime_properties", map[string]any{"worker": worker})
	if props.Code == 200 {
		t.Fatalf("get_runtime_properties must not answer 200 (the agent crashes on 200 "+
			"without runtime_properties): %s", props.Raw)
	}
	props.fails(t, 400, 1, "not supported")
	empty := s.get(t, "/v2.14/queues.get_next_task", map[string]any{"queue": qid})
	empty.ok(t)
	if len(empty.Data) != 0 {
		t.Fatalf("empty queue must answer {}: %s", empty.Raw)
	}
	s.get(t, "/workers.status_report", map[string]any{"worker": worker,
		"timestamp": time.Now().UnixMilli(), "queues": []string{qid}, "tags": []string{},
		"machine_stats": map[string]any{"cpu_usage": []float64{3.5}, "memory_used": 1024,
			"memory_free": 4096, "disk_free_home": 50, "gpu_usage": []float64{0}}}).ok(t)
}

// agentRunTask is what the daemon and its "clearml-agent execute" child send for a task.
func agentRunTask(t *testing.T, s *regServer, tid, qid, worker string) {
	t.Helper()
	started := s.get(t, "/v2.5/tasks.started", map[string]any{"task": tid,
		"status_message": "pulled by agent", "force": true})
	started.ok(t)
	if started.str("fields", "status") != "in_progress" {
		t.Fatalf("started: %s", started.Raw)
	}
	for _, v := range []string{"/v2.14", "/v2.15"} {
		r := s.get(t, v+"/tasks.get_all", map[string]any{"id": []string{tid},
			"search_hidden": true, "only_fields": []string{"container", "execution.queue"}})
		r.ok(t)
		if r.str("tasks", "0", "id") != tid || r.str("tasks", "0", "execution", "queue") != qid {
			t.Fatalf("%s tasks.get_all: %s", v, r.Raw)
		}
	}
	s.get(t, "/v2.13/tasks.edit", map[string]any{"task": tid, "force": true,
		"container": map[string]any{"image": "python:3.11", "arguments": "",
			"setup_shell_script": ""}}).ok(t)
	batch := s.do(t, "GET", "/v2.5/events.add_batch", s.Token, "application/json-lines",
		regLines(t, map[string]any{"type": "log", "task": tid, "level": "info",
			"worker": worker, "msg": "agent: cloning repository", "timestamp": 1}))
	batch.ok(t)
	s.get(t, "/workers.status_report", map[string]any{"worker": worker, "task": tid,
		"queue": qid, "timestamp": time.Now().UnixMilli()}).ok(t)
	s.get(t, "/v2.5/tasks.ping", map[string]any{"task": tid}).ok(t)
	workers := s.get(t, "/workers.get_all", map[string]any{"last_seen": 600})
	workers.ok(t)
	if workers.str("workers", "0", "id") != worker ||
		workers.str("workers", "0", "task", "id") != tid ||
		workers.str("workers", "0", "queues", "0", "name") != "default" {
		t.Fatalf("workers.get_all: %s", workers.Raw)
	}
	q := s.get(t, "/v2.5/queues.get_by_id", map[string]any{"queue": qid})
	if q.str("queue", "name") != "default" || len(q.list("queue", "entries")) != 0 {
		t.Fatalf("queues.get_by_id: %s", q.Raw)
	}
	stopped := s.get(t, "/v2.5/tasks.stopped", map[string]any{"task": tid, "force": false,
		"status_reason": "aborted"})
	if stopped.str("fields", "status") != "stopped" {
		t.Fatalf("stopped: %s", stopped.Raw)
	}
	task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid})
	if task.str("task", "container", "image") != "python:3.11" ||
		task.str("task", "last_worker") != "test-host" ||
		strings.Contains(string(task.Raw), `"development"`) {
		t.Fatalf("task after the agent ran it: %s", task.Raw)
	}
}

// agentDequeue checks tasks.dequeue at the agent's version.
func agentDequeue(t *testing.T, s *regServer, qid string) {
	t.Helper()
	tid := s.must(t, "tasks.create", map[string]any{"name": "waiting"}).str("id")
	s.must(t, "tasks.enqueue", map[string]any{"task": tid, "queue": qid})
	r := s.get(t, "/v2.5/tasks.dequeue", map[string]any{"task": tid})
	r.ok(t)
	if r.num("dequeued") != 1 || r.str("fields", "status") != "created" {
		t.Fatalf("dequeue: %s", r.Raw)
	}
	got := s.get(t, "/v2.14/queues.get_next_task", map[string]any{"queue": qid})
	if len(got.Data) != 0 {
		t.Fatalf("dequeued task handed out: %s", got.Raw)
	}
}
