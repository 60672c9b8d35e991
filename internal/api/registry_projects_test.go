package api_test

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

func projectNamesOf(r *regResp) []string {
	var out []string
	for _, p := range r.list("projects") {
		out = append(out, p.(map[string]any)["name"].(string))
	}
	sort.Strings(out)
	return out
}

// TestRegistryProjectTree checks that "/" in a name builds the tree, that hidden projects
// stay out of plain listings, and the shallow and parent filters.
func TestRegistryProjectTree(t *testing.T) {
	s := regStart(t, "")
	leaf := s.must(t, "projects.create", map[string]any{"name": "/team/vision/detr/"}).
		str("id")
	got := s.must(t, "projects.get_by_id", map[string]any{"project": leaf})
	if got.str("project", "name") != "team/vision/detr" ||
		got.str("project", "basename") != "detr" || got.str("project", "parent") == "" {
		t.Fatalf("leaf: %s", got.Raw)
	}
	team := s.must(t, "projects.get_all", map[string]any{"name": "^team$"}).
		str("projects", "0", "id")
	cases := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"all", map[string]any{}, []string{"team", "team/vision", "team/vision/detr"}},
		{"shallow", map[string]any{"shallow_search": true}, []string{"team"}},
		{"children", map[string]any{"parent": []string{team}}, []string{"team/vision"}},
		{"regex", map[string]any{"name": "VISION"}, []string{"team/vision",
			"team/vision/detr"}},
		{"page", map[string]any{"page": 1, "page_size": 2, "order_by": []string{"name"}},
			[]string{"team/vision/detr"}},
	}
	for _, tc := range cases {
		names := projectNamesOf(s.must(t, "projects.get_all", tc.body))
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, names, tc.want)
		}
	}
	s.get(t, "/v2.23/projects.update", map[string]any{"project": leaf,
		"name": "elsewhere/detr"}).fails(t, 400, 408, "location")
	up := s.must(t, "projects.update", map[string]any{"project": team, "name": "squad",
		"description": "renamed"})
	if up.num("updated") != 1 || up.str("fields", "name") != "squad" {
		t.Fatalf("update: %s", up.Raw)
	}
	if names := projectNamesOf(s.must(t, "projects.get_all", nil)); !reflect.DeepEqual(names,
		[]string{"squad", "squad/vision", "squad/vision/detr"}) {
		t.Fatalf("after rename: %v", names)
	}
}

// TestRegistryDatasets replays what the SDK's Dataset.create, list_datasets and get send:
// dataset tasks live in hidden "<project>/.datasets/<name>" projects with dataset system
// tags.
func TestRegistryDatasets(t *testing.T) {
	s := regStart(t, "")
	if got := s.must(t, "projects.get_all", map[string]any{"name": `^data/\.datasets/mnist$`,
		"search_hidden": true, "only_fields": []string{"id"}}).list("projects"); len(got) != 0 {
		t.Fatalf("fresh server has %v", got)
	}
	pid := s.must(t, "projects.create", map[string]any{"name": "data/.datasets/mnist",
		"system_tags": []string{"hidden"}}).str("id")
	tid := s.must(t, "tasks.create", map[string]any{"name": "mnist", "project": pid,
		"type": "data_processing"}).str("id")
	s.must(t, "tasks.edit", map[string]any{"task": tid, "force": true,
		"system_tags": []string{"dataset"},
		"runtime":     map[string]any{"version": "1.0.0", "ds_total_size": 1234}})
	proj := s.must(t, "projects.get_by_id", map[string]any{"project": pid})
	sys, _ := proj.at("project", "system_tags").([]any)
	s.must(t, "projects.update", map[string]any{"project": pid,
		"system_tags": append(sys, "dataset")})

	if names := projectNamesOf(s.must(t, "projects.get_all", nil)); !reflect.DeepEqual(names,
		[]string{"data"}) {
		t.Fatalf("plain listing shows hidden dataset projects: %v", names)
	}
	dsProjects := s.must(t, "projects.get_all", map[string]any{
		"name": `^data/\.datasets/.*`, "search_hidden": true,
		"system_tags": []string{"dataset"}, "only_fields": []string{"id", "name"}})
	if dsProjects.str("projects", "0", "id") != pid || len(dsProjects.list("projects")) != 1 {
		t.Fatalf("dataset projects: %s", dsProjects.Raw)
	}
	list := s.must(t, "tasks.get_all", map[string]any{"project": []string{pid},
		"system_tags": []string{"dataset", "-archived"}, "type": []string{"data_processing"},
		"search_hidden": true, "order_by": []string{"-last_update"},
		"only_fields": []string{"id", "name", "runtime.version", "project"}})
	if list.str("tasks", "0", "id") != tid ||
		list.str("tasks", "0", "runtime", "version") != "1.0.0" {
		t.Fatalf("dataset tasks: %s", list.Raw)
	}
	byName := s.must(t, "tasks.get_all", map[string]any{"project": pid,
		"name": "^mnist$", "system_tags": []string{"dataset"}, "search_hidden": true})
	if len(byName.list("tasks")) != 1 {
		t.Fatalf("dataset by name: %s", byName.Raw)
	}
}

// TestRegistryProjectDelete checks delete with force and delete_contents.
func TestRegistryProjectDelete(t *testing.T) {
	s := regStart(t, "")
	pid := s.must(t, "projects.create", map[string]any{"name": "p"}).str("id")
	child := s.must(t, "projects.create", map[string]any{"name": "p/c"}).str("id")
	tid := s.must(t, "tasks.create", map[string]any{"name": "t", "project": child}).str("id")
	s.get(t, "/v2.23/projects.delete", map[string]any{"project": pid}).
		fails(t, 400, 402, "associated tasks")
	r := s.must(t, "projects.delete", map[string]any{"project": pid, "force": true})
	if r.num("deleted") != 2 || r.num("disassociated_tasks") != 1 {
		t.Fatalf("force delete: %s", r.Raw)
	}
	if got := s.must(t, "tasks.get_by_id", map[string]any{"task": tid}); got.str("task",
		"project") != "" {
		t.Fatalf("task kept its deleted project: %s", got.Raw)
	}
	pid = s.must(t, "projects.create", map[string]any{"name": "q"}).str("id")
	tid = s.must(t, "tasks.create", map[string]any{"name": "t", "project": pid}).str("id")
	s.must(t, "tasks.add_or_update_artifacts", map[string]any{"task": tid,
		"artifacts": []any{map[string]any{"key": "a", "type": "b", "uri": "gs://x/y"}}})
	r = s.must(t, "projects.delete", map[string]any{"project": pid, "delete_contents": true})
	if r.num("deleted_tasks") != 1 || r.str("urls", "artifact_urls", "0") != "gs://x/y" {
		t.Fatalf("delete contents: %s", r.Raw)
	}
	s.get(t, "/v2.23/tasks.get_by_id", map[string]any{"task": tid}).fails(t, 400, 101, "")
}

// TestRegistryModels covers models.create, update, get_all, get_by_id, delete.
func TestRegistryModels(t *testing.T) {
	regForEach(t, func(t *testing.T, s *regServer) {
		tid := s.must(t, "tasks.create", map[string]any{"name": "t"}).str("id")
		mid := s.must(t, "models.create", map[string]any{"name": "resnet",
			"uri": "s3://m/resnet.pt", "framework": "PyTorch", "task": tid,
			"labels": map[string]any{"cat": 1}, "tags": []string{"best"}}).str("id")
		up := s.must(t, "models.update", map[string]any{"model": mid, "comment": "v2",
			"ready": true})
		if up.str("fields", "comment") != "v2" {
			t.Fatalf("update: %s", up.Raw)
		}
		m := s.must(t, "models.get_by_id", map[string]any{"model": mid})
		if m.str("model", "uri") != "s3://m/resnet.pt" || m.num("model", "labels", "cat") != 1 ||
			m.at("model", "ready") != true {
			t.Fatalf("get_by_id: %s", m.Raw)
		}
		all := s.must(t, "models.get_all", map[string]any{"name": "^res", "tags": "best",
			"only_fields": []string{"name", "labels"}})
		if all.str("models", "0", "name") != "resnet" || all.num("models", "0", "labels",
			"cat") != 1 {
			t.Fatalf("get_all: %s", all.Raw)
		}
		s.get(t, "/v2.23/models.update", map[string]any{"model": mid, "uri": "s3://other"}).
			fails(t, 400, 203, "ready")
		s.get(t, "/v2.23/models.delete", map[string]any{"model": mid}).fails(t, 400, 203, "")
		del := s.must(t, "models.delete", map[string]any{"model": mid, "force": true})
		if del.str("url") != "s3://m/resnet.pt" {
			t.Fatalf("delete: %s", del.Raw)
		}
		forTask := s.must(t, "models.update_for_task", map[string]any{"task": tid,
			"uri": "file:///m.pkl", "name": "out"})
		task := s.must(t, "tasks.get_by_id", map[string]any{"task": tid})
		if task.str("task", "models", "output", "0", "model") != forTask.str("id") {
			t.Fatalf("update_for_task: %s / %s", forTask.Raw, task.Raw)
		}
	})
}

// TestRegistryWorkerExpiry checks that a worker drops out after its timeout and that a
// status report brings it back.
func TestRegistryWorkerExpiry(t *testing.T) {
	s := regStart(t, "")
	s.get(t, "/workers.register", map[string]any{"worker": "w1", "timeout": 1}).ok(t)
	s.get(t, "/workers.register", map[string]any{"worker": "w2"}).ok(t)
	if n := len(s.get(t, "/workers.get_all", nil).list("workers")); n != 2 {
		t.Fatalf("%d workers, want 2", n)
	}
	time.Sleep(1100 * time.Millisecond)
	r := s.get(t, "/workers.get_all", map[string]any{"last_seen": 600})
	if n := len(r.list("workers")); n != 1 || r.str("workers", "0", "id") != "w2" {
		t.Fatalf("after w1's timeout: %s", r.Raw)
	}
	s.get(t, "/workers.status_report", map[string]any{"worker": "w1",
		"timestamp": time.Now().UnixMilli()}).ok(t)
	if n := len(s.get(t, "/workers.get_all", nil).list("workers")); n != 2 {
		t.Fatalf("status report did not bring w1 back: %d workers", n)
	}
}
