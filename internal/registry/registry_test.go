package registry

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestCanChange(t *testing.T) {
	cases := []struct {
		from, to Status
		want     bool
	}{
		{StatusCreated, StatusInProgress, true},
		{StatusCreated, StatusQueued, true},
		{StatusCreated, StatusCompleted, false},
		{StatusQueued, StatusInProgress, true},
		{StatusQueued, StatusStopped, false},
		{StatusInProgress, StatusCompleted, true},
		{StatusInProgress, StatusPublished, false},
		{StatusCompleted, StatusPublished, true},
		{StatusCompleted, StatusInProgress, true},
		{StatusStopped, StatusQueued, false},
		{StatusFailed, StatusPublished, true},
		{StatusPublished, StatusCreated, false},
		{StatusPublished, StatusPublished, true},
		{StatusClosed, StatusStopped, true},
	}
	for _, tc := range cases {
		if got := CanChange(tc.from, tc.to); got != tc.want {
			t.Errorf("CanChange(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestParseTagFilter(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want TagFilter
	}{
		{"plain", []string{"a", "b"}, TagFilter{Any: []string{"a", "b"}}},
		{"exclude", []string{"dataset", "-archived"},
			TagFilter{Any: []string{"dataset"}, None: []string{"archived"}}},
		{"all", []string{"__$all", "a", "b", "__$any", "c"},
			TagFilter{Any: []string{"c"}, All: []string{"a", "b"}}},
		{"not", []string{"__$not", "x", "y"}, TagFilter{Any: []string{"y"},
			None: []string{"x"}}},
		{"lone dash", []string{"-"}, TagFilter{Any: []string{"-"}}},
		{"empty", nil, TagFilter{}},
	}
	for _, tc := range cases {
		if got := ParseTagFilter(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestMatchTags(t *testing.T) {
	cases := []struct {
		tags []string
		f    TagFilter
		want bool
	}{
		{[]string{"a"}, TagFilter{}, true},
		{[]string{"a"}, TagFilter{Any: []string{"b", "a"}}, true},
		{[]string{"a"}, TagFilter{All: []string{"a", "b"}}, false},
		{[]string{"a", "x"}, TagFilter{Any: []string{"a"}, None: []string{"x"}}, false},
	}
	for _, tc := range cases {
		if got := matchTags(tc.tags, tc.f); got != tc.want {
			t.Errorf("matchTags(%v, %+v) = %v, want %v", tc.tags, tc.f, got, tc.want)
		}
	}
}

func TestCleanProjectName(t *testing.T) {
	cases := []struct {
		in, full, location string
		ok                 bool
	}{
		{"a", "a", "", true},
		{"/a//b/", "a/b", "a", true},
		{"a/b/c", "a/b/c", "a/b", true},
		{" / ", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range cases {
		full, loc, err := cleanProjectName(tc.in)
		if (err == nil) != tc.ok || full != tc.full || loc != tc.location {
			t.Errorf("cleanProjectName(%q) = %q, %q, %v", tc.in, full, loc, err)
		}
	}
}

func TestApplySections(t *testing.T) {
	doc := json.RawMessage(`{"script":{"a":1},"runtime":{"x":"y"}}`)
	cases := []struct {
		name    string
		in      map[string]json.RawMessage
		want    string
		changed []string
		bad     bool
	}{
		{"replace", map[string]json.RawMessage{"script": json.RawMessage(`{ "b" : 2 }`)},
			`{"runtime":{"x":"y"},"script":{"b":2}}`, []string{"script"}, false},
		{"null removes", map[string]json.RawMessage{"runtime": json.RawMessage(`null`)},
			`{"script":{"a":1}}`, []string{"runtime"}, false},
		{"unknown ignored", map[string]json.RawMessage{"status": json.RawMessage(`{}`)},
			`{"runtime":{"x":"y"},"script":{"a":1}}`, nil, false},
		{"not an object", map[string]json.RawMessage{"script": json.RawMessage(`"x"`)},
			"", nil, true},
	}
	for _, tc := range cases {
		out, changed, err := applySections(doc, tc.in, TaskSections)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil || string(out) != tc.want || !reflect.DeepEqual(changed, tc.changed) {
			t.Errorf("%s: %s, %v, %v; want %s, %v", tc.name, out, changed, err, tc.want,
				tc.changed)
		}
	}
}

func TestParseEvent(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		line   string
		reason string
		at     time.Time
		value  float64
	}{
		{"log", `{"task":"t","type":"log","msg":"m","timestamp":1767323045123.5}`, "",
			time.UnixMicro(1767323045123500).UTC(), 0},
		{"no timestamp", `{"task":"t","type":"log"}`, "", now, 0},
		{"scalar", `{"task":"t","type":"training_stats_scalar","value":0.5}`, "", now, 0.5},
		{"scalar nan string", `{"task":"t","type":"training_stats_scalar","value":"NaN"}`,
			"", now, 0},
		{"scalar bad", `{"task":"t","type":"training_stats_scalar","value":"x"}`,
			errBadScalar, now, 0},
		{"scalar missing", `{"task":"t","type":"training_stats_scalar"}`, errBadScalar,
			now, 0},
		{"no task", `{"type":"log"}`, errNoTask, now, 0},
		{"no type", `{"task":"t"}`, errNoType, now, 0},
		{"bad time", `{"task":"t","type":"log","timestamp":"soon"}`, errBadTimeStep, now, 0},
		{"wrong shape", `{"task":["t"],"type":"log"}`, errMalformed, now, 0},
	}
	for _, tc := range cases {
		e, reason := parseEvent(json.RawMessage(tc.line), now)
		if reason != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.name, reason, tc.reason)
			continue
		}
		if reason != "" {
			continue
		}
		if !e.At.Equal(tc.at) {
			t.Errorf("%s: at %v, want %v", tc.name, e.At, tc.at)
		}
		if tc.value != 0 && (e.Value == nil || *e.Value != tc.value) {
			t.Errorf("%s: value %v, want %v", tc.name, e.Value, tc.value)
		}
	}
}

func TestScroll(t *testing.T) {
	c := EventCursor{At: time.UnixMicro(1767323045123456).UTC(), ID: 42}
	desc, got, err := decodeScroll(encodeScroll(true, c))
	if err != nil || !desc || got != c {
		t.Fatalf("round trip = %v, %+v, %v", desc, got, err)
	}
	for _, bad := range []string{"", "x_1_2", "a_b_c", "a_1"} {
		if _, _, err := decodeScroll(bad); err == nil {
			t.Errorf("decodeScroll(%q) accepted", bad)
		}
	}
}
