package api_test

import (
	"strings"
	"testing"
)

// TestRegistryBadInput checks that bad input gets ClearML's answer and changes nothing.
func TestRegistryBadInput(t *testing.T) {
	s := regStart(t, "")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t"}).str("id")
	qid := s.must(t, "queues.create", map[string]any{"name": "q"}).str("id")
	cases := []struct {
		name     string
		endpoint string
		body     any
		code     int
		sub      int
		msg      string
	}{
		{"unknown project", "tasks.create", map[string]any{"name": "x", "project": "nope"},
			400, 401, "Invalid project id"},
		{"unknown task", "tasks.get_by_id", map[string]any{"task": "nope"}, 400, 101,
			"Invalid task id"},
		{"unknown task status call", "tasks.started", map[string]any{"task": "nope"}, 400,
			101, "Invalid task id"},
		{"illegal status change", "tasks.completed", map[string]any{"task": tid}, 400, 110,
			"current_status=created, new_status=completed"},
		{"missing queue", "tasks.enqueue", map[string]any{"task": tid, "queue": "nope"}, 400,
			701, "Invalid queue id"},
		{"bad regex", "tasks.get_all", map[string]any{"name": "(unclosed"}, 400, 21,
			"Malformed regular expression"},
		{"bad project regex", "projects.get_all", map[string]any{"name": "[z-a]"}, 400, 21,
			"Malformed regular expression"},
		{"missing name", "tasks.create", map[string]any{"type": "training"}, 400, 11,
			"name"},
		{"bad type", "tasks.create", map[string]any{"name": "x", "type": "bogus"}, 400, 12,
			"type"},
		{"section not an object", "tasks.edit", map[string]any{"task": tid,
			"script": "oops"}, 400, 12, "script must be an object"},
		{"wrong field type", "tasks.get_all", map[string]any{"page": "first"}, 400, 12, ""},
		{"not queued", "tasks.dequeue", map[string]any{"task": tid}, 400, 110, "not queued"},
		{"not in queue", "queues.remove_task", map[string]any{"queue": qid, "task": tid},
			400, 703, "task not in queue"},
		{"unknown queue pop", "queues.get_next_task", map[string]any{"queue": "nope"}, 400,
			701, "Invalid queue id"},
		{"duplicate queue", "queues.create", map[string]any{"name": "q"}, 400, 801,
			"already exists"},
		{"duplicate project", "projects.create", map[string]any{"name": "q"}, 0, 0, ""},
		{"empty batch", "events.add_batch", "", 400, 17, "no items"},
		{"unknown model", "models.get_by_id", map[string]any{"model": "nope"}, 400, 201,
			"Invalid model id"},
		{"unregistered worker", "workers.unregister", map[string]any{"worker": "w"}, 400,
			1004, "not registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.get(t, "/v2.23/"+tc.endpoint, tc.body)
			if tc.code == 0 {
				r.ok(t)
				s.get(t, "/v2.23/"+tc.endpoint, tc.body).fails(t, 400, 801, "already exists")
				return
			}
			r.fails(t, tc.code, tc.sub, tc.msg)
		})
	}
	task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid})
	if task.str("task", "status") != "created" || task.at("task", "script") != nil {
		t.Fatalf("refused calls changed the task: %s", task.Raw)
	}
	forced := s.must(t, "tasks.completed", map[string]any{"task": tid, "force": true})
	if forced.str("fields", "status") != "completed" {
		t.Fatalf("forced status change: %s", forced.Raw)
	}
}

// TestRegistryOnlyFieldsUnknown checks that only_fields naming unknown fields is ignored,
// as ClearML does.
func TestRegistryOnlyFieldsUnknown(t *testing.T) {
	s := regStart(t, "")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t",
		"script": map[string]any{"entry_point": "a.py"}}).str("id")
	r := s.must(t, "tasks.get_all", map[string]any{"id": tid,
		"only_fields": []string{"no_such_field", "script.entry_point", "script.nope"}})
	got := r.at("tasks", "0").(map[string]any)
	if len(got) != 2 || r.str("tasks", "0", "script", "entry_point") != "a.py" {
		t.Fatalf("only_fields: %s", r.Raw)
	}
}

// TestRegistryEventErrors checks that a batch with bad events stores the good ones and
// counts the others, and that a line that is not JSON is refused as ClearML refuses it.
func TestRegistryEventErrors(t *testing.T) {
	s := regStart(t, "")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t"}).str("id")
	body := regLines(t,
		map[string]any{"type": "log", "task": tid, "msg": "good"},
		map[string]any{"type": "log", "msg": "no task"},
		map[string]any{"type": "log", "task": "unknown-task", "msg": "bad task"},
		map[string]any{"task": tid, "msg": "no type"},
		map[string]any{"type": "training_stats_scalar", "task": tid, "metric": "m",
			"variant": "v", "value": "not a number"},
		map[string]any{"type": "training_stats_scalar", "task": tid, "metric": "m",
			"variant": "v", "value": 2.5, "iter": 3})
	r := s.do(t, "POST", "/v2.23/events.add_batch", s.Token, "application/json-lines", body)
	r.ok(t)
	if r.num("added") != 2 || r.num("errors") != 4 ||
		r.num("errors_info", "Invalid task id") != 1 {
		t.Fatalf("add_batch: %s", r.Raw)
	}
	log := s.must(t, "events.get_task_log", map[string]any{"task": tid})
	if log.num("total") != 1 || log.str("events", "0", "msg") != "good" {
		t.Fatalf("stored log: %s", log.Raw)
	}
	// A line that is not JSON is counted as an error; the good lines are stored.
	broken := s.do(t, "POST", "/v2.23/events.add_batch", s.Token, "application/json-lines",
		`{"type":"log","task":"`+tid+`","msg":"x"}`+"\n{not json\n")
	broken.ok(t)
	if broken.num("added") != 1 || broken.num("errors") != 1 {
		t.Fatalf("malformed line: %s", broken.Raw)
	}
	again := s.must(t, "events.get_task_log", map[string]any{"task": tid})
	if again.num("total") != 2 {
		t.Fatalf("the good line of a batch with a malformed one was not stored: %s", again.Raw)
	}
}

// TestRegistryLogPaging pages through a task log both ways with scroll ids.
func TestRegistryLogPaging(t *testing.T) {
	s := regStart(t, "")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t"}).str("id")
	var lines []any
	for i := 0; i < 25; i++ {
		lines = append(lines, map[string]any{"type": "log", "task": tid,
			"timestamp": 1767323045000 + i, "msg": string(rune('a' + i))})
	}
	s.do(t, "POST", "/v2.23/events.add_batch", s.Token, "application/json-lines",
		regLines(t, lines...)).ok(t)
	var got []string
	scroll := ""
	for page := 0; page < 10; page++ {
		r := s.must(t, "events.get_task_log", map[string]any{"task": tid, "batch_size": 10,
			"navigate_earlier": false, "scroll_id": scroll})
		if r.num("total") != 25 {
			t.Fatalf("total = %d", r.num("total"))
		}
		for _, e := range r.list("events") {
			got = append(got, e.(map[string]any)["msg"].(string))
		}
		if r.num("returned") == 0 {
			break
		}
		scroll = r.str("scroll_id")
	}
	if strings.Join(got, "") != "abcdefghijklmnopqrstuvwxy" {
		t.Fatalf("log pages: %v", got)
	}
	newest := s.must(t, "events.get_task_log", map[string]any{"task": tid, "batch_size": 2})
	if newest.str("events", "0", "msg") != "y" || newest.str("events", "1", "msg") != "x" {
		t.Fatalf("newest first: %s", newest.Raw)
	}
}
