package api

import (
	"encoding/json"
	"testing"
	"time"

	"atrium/internal/registry"
)

var renderDoc = json.RawMessage(`{"script":{"binary":"python3","entry_point":"train.py",` +
	`"requirements":{"pip":"numpy==2.0.0\ntorch==2.3.1\n"}},"hyperparams":{"General":` +
	`{"lr":{"section":"General","name":"lr","value":"0.001","type":"float"}}},` +
	`"execution":{"artifacts":[{"key":"model","type":"custom","mode":"output",` +
	`"uri":"s3://bucket/project/train/model.pt","content_size":123456}]}}`)

// TestTaskListMatchesEncodingJSON checks the hand-written task encoder against
// encoding/json on tasks with every kind of field.
func TestTaskListMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	cases := []registry.Task{
		{ID: "a", Name: "plain", Status: registry.StatusCreated, Tags: []string{},
			SystemTags: []string{}, Doc: json.RawMessage(`{}`), CreatedAt: now, LastUpdate: now},
		{ID: "b", WorkspaceID: "w", UserID: "u", ProjectID: "p", ParentID: "q",
			Name: "quote \" back \\ <html> & \n\t\x01 é ü 日本 \u2028\u2029 \xff bad",
			Type: "training", Status: registry.StatusQueued, StatusReason: "r",
			StatusMessage: "m", EnqueueStatus: registry.StatusCreated, Comment: "c",
			Tags: []string{"x", `"y"`}, SystemTags: nil, LastWorker: "w1", LastIteration: -7,
			Doc: renderDoc, CreatedAt: now, StartedAt: now, CompletedAt: now, PublishedAt: now,
			StatusChangedAt: now, LastUpdate: now},
		{ID: "c", Doc: nil},
		{ID: "d", Doc: json.RawMessage(` { "runtime" : {"a": 1} } `)},
	}
	for _, tc := range cases {
		want, err := json.Marshal([]any{taskOut(tc)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(map[string]any{"tasks": taskList([]registry.Task{tc})})
		if err != nil {
			t.Fatalf("%s: not valid JSON: %v", tc.ID, err)
		}
		if wantAll := `{"tasks":` + string(want) + `}`; string(got) != wantAll {
			t.Errorf("%s:\n got %s\nwant %s", tc.ID, got, wantAll)
		}
	}
}

func BenchmarkTaskList(b *testing.B) {
	now := time.Now()
	tasks := make([]registry.Task, 500)
	for i := range tasks {
		tasks[i] = registry.Task{ID: "0123456789abcdef0123456789abcdef", Name: "task 1",
			WorkspaceID: "0123456789abcdef0123456789abcdef", ProjectID: "project-07",
			Type: "training", Status: "completed", Tags: []string{"bench"},
			SystemTags: []string{}, Doc: renderDoc, CreatedAt: now, LastUpdate: now}
	}
	b.Run("reflection", func(b *testing.B) {
		out := make([]any, len(tasks))
		for i, t := range tasks {
			out[i] = taskOut(t)
		}
		for i := 0; i < b.N; i++ {
			p, _ := json.Marshal(map[string]any{"tasks": out})
			b.SetBytes(int64(len(p)))
		}
	})
	b.Run("taskList", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p, _ := json.Marshal(map[string]any{"tasks": taskList(tasks)})
			b.SetBytes(int64(len(p)))
		}
	})
	// Without the compaction pass encoding/json applies to every MarshalJSON result,
	// which respond cannot skip today.
	b.Run("taskList only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.SetBytes(int64(len(taskList(tasks))))
		}
	})
}
