package api_test

import (
	"reflect"
	"sort"
	"testing"
)

// TestRegistryTaskLifecycle runs a task through its whole life: create, enqueue, popped by
// an agent, started, events, artifacts and an output model, completed, published,
// deleted, with the URLs of everything it owned returned for the storage clean-up.
func TestRegistryTaskLifecycle(t *testing.T) {
	regForEach(t, testTaskLifecycle)
}

func testTaskLifecycle(t *testing.T, s *regServer) {
	pid := s.must(t, "projects.create", map[string]any{"name": "life"}).str("id")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t", "project": pid,
		"execution": map[string]any{"parameters": map[string]any{"x": "1"}}}).str("id")
	qid := s.must(t, "queues.create", map[string]any{"name": "gpu"}).str("id")
	s.must(t, "tasks.enqueue", map[string]any{"task": tid, "queue": qid})
	if got := s.must(t, "queues.get_by_id", map[string]any{"queue": qid}).
		str("queue", "entries", "0", "task"); got != tid {
		t.Fatalf("queue entry = %q", got)
	}
	if s.must(t, "queues.get_next_task", map[string]any{"queue": qid}).
		str("entry", "task") != tid {
		t.Fatal("agent did not receive the task")
	}
	s.must(t, "tasks.started", map[string]any{"task": tid})
	lifecycleOutputs(t, s, tid, pid)
	s.must(t, "tasks.completed", map[string]any{"task": tid})
	pub := s.must(t, "tasks.publish", map[string]any{"task": tid})
	if pub.str("fields", "status") != "published" {
		t.Fatalf("publish: %s", pub.Raw)
	}
	if !modelReady(t, s, tid) {
		t.Fatal("publishing the task did not publish its output model")
	}
	s.get(t, "/v2.23/tasks.delete", map[string]any{"task": tid}).
		fails(t, 400, 113, "Task published")
	del := s.must(t, "tasks.delete", map[string]any{"task": tid, "force": true,
		"delete_external_artifacts": true})
	wantURLs := []string{"s3://bucket/life/data.csv", "s3://bucket/life/input.txt"}
	if got := stringsOf(del.list("urls", "artifact_urls")); !reflect.DeepEqual(got, wantURLs) {
		t.Fatalf("artifact urls = %v, want %v (%s)", got, wantURLs, del.Raw)
	}
	if got := stringsOf(del.list("urls", "event_urls")); !reflect.DeepEqual(got,
		[]string{"s3://bucket/life/debug.png"}) {
		t.Fatalf("event urls = %v", got)
	}
	if del.num("deleted") != 1 || del.num("updated_models") != 1 {
		t.Fatalf("delete: %s", del.Raw)
	}
	s.get(t, "/v2.23/tasks.get_by_id", map[string]any{"task": tid}).
		fails(t, 400, 101, "Invalid task id")
}

// lifecycleOutputs reports what a running task produces and checks it reads back.
func lifecycleOutputs(t *testing.T, s *regServer, tid, pid string) {
	t.Helper()
	var lines []any
	for i := 0; i < 5; i++ {
		lines = append(lines, map[string]any{"type": "training_stats_scalar", "task": tid,
			"iter": i, "metric": "loss", "variant": "train", "value": 1.0 / float64(i+1)})
	}
	lines = append(lines,
		map[string]any{"type": "log", "task": tid, "msg": "epoch 1", "level": "info"},
		map[string]any{"type": "training_debug_image", "task": tid, "metric": "img",
			"variant": "v", "iter": 1, "url": "s3://bucket/life/debug.png"})
	s.do(t, "POST", "/v2.23/events.add_batch", s.Token, "application/json-lines",
		regLines(t, lines...)).ok(t)
	hist := s.must(t, "events.scalar_metrics_iter_histogram", map[string]any{"task": tid})
	if ys := hist.list("loss", "train", "y"); len(ys) != 5 ||
		len(hist.list("loss", "train", "x")) != 5 {
		t.Fatalf("scalar histogram: %s", hist.Raw)
	}
	mv := s.must(t, "events.get_scalar_metrics_and_variants", map[string]any{"task": tid})
	if mv.str("metrics", "loss", "train", "name") != "train" {
		t.Fatalf("metrics and variants: %s", mv.Raw)
	}
	last := s.must(t, "events.get_task_latest_scalar_values", map[string]any{"task": tid})
	if last.str("metrics", "0", "name") != "loss" {
		t.Fatalf("latest scalars: %s", last.Raw)
	}
	s.must(t, "tasks.add_or_update_artifacts", map[string]any{"task": tid,
		"artifacts": []any{
			map[string]any{"key": "data", "type": "csv", "mode": "output",
				"uri": "s3://bucket/life/data.csv"},
			map[string]any{"key": "in", "type": "txt", "mode": "input",
				"uri": "s3://bucket/life/input.txt"}}})
	mid := s.must(t, "models.create", map[string]any{"name": "net", "task": tid,
		"project": pid, "uri": "s3://bucket/life/model.pt", "framework": "PyTorch",
		"design": map[string]any{"layers": 3}}).str("id")
	s.must(t, "tasks.add_or_update_model", map[string]any{"task": tid, "name": "net",
		"model": mid, "type": "output"})
	task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid})
	if task.str("task", "models", "output", "0", "model") != mid ||
		len(task.list("task", "execution", "artifacts")) != 2 ||
		task.num("task", "last_iteration") != 4 {
		t.Fatalf("task outputs: %s", task.Raw)
	}
}

func modelReady(t *testing.T, s *regServer, tid string) bool {
	t.Helper()
	r := s.must(t, "models.get_all", map[string]any{"task": []string{tid}})
	ready, _ := r.at("models", "0", "ready").(bool)
	return ready
}

func stringsOf(list []any) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, v.(string))
	}
	sort.Strings(out)
	return out
}

// TestRegistryResetAndClone checks reset (back to created, outputs dropped and their URLs
// returned) and clone (a new created task with the source's set-up).
func TestRegistryResetAndClone(t *testing.T) {
	s := regStart(t, "")
	tid := s.must(t, "tasks.create", map[string]any{"name": "src",
		"hyperparams": map[string]any{"Args": map[string]any{"n": map[string]any{
			"section": "Args", "name": "n", "value": "3"}}}}).str("id")
	s.must(t, "tasks.started", map[string]any{"task": tid})
	s.must(t, "tasks.add_or_update_artifacts", map[string]any{"task": tid,
		"artifacts": []any{map[string]any{"key": "out", "type": "csv",
			"uri": "file:///tmp/out.csv"}}})
	s.do(t, "POST", "/v2.23/events.add_batch", s.Token, "application/json-lines",
		regLines(t, map[string]any{"type": "log", "task": tid, "msg": "x"})).ok(t)
	s.get(t, "/v2.23/tasks.reset", map[string]any{"task": tid}).
		fails(t, 400, 112, "Task in progress")
	reset := s.must(t, "tasks.reset", map[string]any{"task": tid, "force": true})
	if reset.str("fields", "status") != "created" ||
		!reflect.DeepEqual(stringsOf(reset.list("urls", "artifact_urls")),
			[]string{"file:///tmp/out.csv"}) {
		t.Fatalf("reset: %s", reset.Raw)
	}
	log := s.must(t, "events.get_task_log", map[string]any{"task": tid})
	if log.num("total") != 0 {
		t.Fatalf("events survived the reset: %s", log.Raw)
	}
	clone := s.must(t, "tasks.clone", map[string]any{"task": tid,
		"new_task_name": "copy"}).str("id")
	c := s.must(t, "tasks.get_by_id", map[string]any{"task": clone})
	if c.str("task", "name") != "copy" || c.str("task", "status") != "created" ||
		c.str("task", "hyperparams", "Args", "n", "value") != "3" {
		t.Fatalf("clone: %s", c.Raw)
	}
	params := s.must(t, "tasks.get_hyper_params", map[string]any{"tasks": []string{clone}})
	if params.str("params", "0", "hyperparams", "0", "name") != "n" {
		t.Fatalf("get_hyper_params: %s", params.Raw)
	}
}
