package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// BatchResult is what events.add_batch answers: how many events were stored, how many
// were refused, and why (reason -> count).
type BatchResult struct {
	Added      int
	Errors     int
	ErrorsInfo map[string]int
}

// eventIn is the part of an event the registry reads; the rest is kept as sent.
type eventIn struct {
	Task      string          `json:"task"`
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
	Iter      *int64          `json:"iter"`
	Metric    string          `json:"metric"`
	Variant   string          `json:"variant"`
	Value     json.RawMessage `json:"value"`
	URL       string          `json:"url"`
}

// Reasons an event is refused, as reported in errors_info.
const (
	errMalformed   = "Malformed event"
	errNoTask      = "Missing task id"
	errNoType      = "Missing event type"
	errBadTask     = "Invalid task id"
	errBadScalar   = "Invalid scalar value"
	errBadTimeStep = "Invalid timestamp"
)

// AddEvents stores a batch of events (one JSON object each). Events that cannot be read,
// lack a task or a type, name an unknown task or carry a non-numeric scalar are counted
// as errors; the others are stored in one transaction. A batch that would take a task
// past the per-task cap is refused whole, with an error naming the task. Not audited.
func (s *Service) AddEvents(ctx context.Context, lines []json.RawMessage) (BatchResult,
	error) {
	res := BatchResult{ErrorsInfo: map[string]int{}}
	if len(lines) == 0 {
		return res, apperr.Invalidf("Batch request contains no items").WithSub(400, 17)
	}
	p, err := caller(ctx)
	if err != nil {
		return res, err
	}
	now := s.now()
	events := s.parseEvents(p.WorkspaceID, lines, now, &res)
	if len(events) == 0 {
		return res, nil
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		events, err = s.knownTasks(ctx, p.WorkspaceID, events, &res)
		if err != nil || len(events) == 0 {
			return err
		}
		events, err = s.writableTasks(ctx, p, events, &res)
		if err != nil || len(events) == 0 {
			return err
		}
		if err := s.reserve(ctx, p.WorkspaceID, events); err != nil {
			return err
		}
		return s.store.AddEvents(ctx, events)
	})
	if err != nil {
		return BatchResult{}, err
	}
	res.Added = len(events)
	return res, nil
}

func (s *Service) parseEvents(ws string, lines []json.RawMessage, now time.Time,
	res *BatchResult) []Event {
	out := make([]Event, 0, len(lines))
	for _, line := range lines {
		e, reason := parseEvent(line, now)
		if reason != "" {
			res.Errors++
			res.ErrorsInfo[reason]++
			continue
		}
		e.WorkspaceID = ws
		out = append(out, e)
	}
	return out
}

func parseEvent(line json.RawMessage, now time.Time) (Event, string) {
	var in eventIn
	if err := json.Unmarshal(line, &in); err != nil {
		return Event{}, errMalformed
	}
	switch {
	case in.Task == "":
		return Event{}, errNoTask
	case in.Type == "":
		return Event{}, errNoType
	}
	e := Event{TaskID: in.Task, Type: in.Type, Metric: in.Metric, Variant: in.Variant,
		URL: in.URL, Doc: line, At: now}
	if in.Iter != nil {
		e.Iter = *in.Iter
	}
	if len(in.Timestamp) > 0 && string(in.Timestamp) != "null" {
		ms, err := strconv.ParseFloat(string(in.Timestamp), 64)
		if err != nil || math.IsNaN(ms) || math.IsInf(ms, 0) {
			return Event{}, errBadTimeStep
		}
		e.At = time.UnixMicro(int64(ms * 1000)).UTC()
	}
	if in.Type == EventScalar {
		v, ok := scalarValue(in.Value)
		if !ok {
			return Event{}, errBadScalar
		}
		e.Value = &v
	}
	return e, ""
}

// scalarValue reads a scalar's value: a JSON number, or the strings Python writes for
// values JSON cannot hold ("NaN", "Infinity").
func scalarValue(raw json.RawMessage) (float64, bool) {
	s := strings.Trim(string(raw), `"`)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && len(raw) > 0
}

// knownTasks drops (and counts) events whose task is not in the workspace.
func (s *Service) knownTasks(ctx context.Context, ws string, events []Event,
	res *BatchResult) ([]Event, error) {
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.TaskID] {
			seen[e.TaskID] = true
			ids = append(ids, e.TaskID)
		}
	}
	known, err := s.store.ExistingTasks(ctx, ws, ids)
	if err != nil {
		return nil, err
	}
	kept := events[:0]
	for _, e := range events {
		if known[e.TaskID] {
			kept = append(kept, e)
			continue
		}
		res.Errors++
		res.ErrorsInfo[errBadTask]++
	}
	return kept, nil
}

// writableTasks checks that the caller may change the events' tasks: events of a task it
// may not read are counted as naming an unknown task; a task it may only read refuses the
// batch with ClearML's 403.
func (s *Service) writableTasks(ctx context.Context, p identity.Principal, events []Event,
	res *BatchResult) ([]Event, error) {
	all, err := s.allowAll(ctx, p, access.ReadWrite, access.Task, access.Dataset)
	if err != nil || all {
		return events, err
	}
	hidden := map[string]bool{}
	checked := map[string]bool{}
	for _, e := range events {
		if checked[e.TaskID] {
			continue
		}
		checked[e.TaskID] = true
		if err := s.allowTask(ctx, p, e.TaskID, access.ReadWrite); isInvalidTask(err) {
			hidden[e.TaskID] = true
		} else if err != nil {
			return nil, err
		}
	}
	kept := events[:0]
	for _, e := range events {
		if !hidden[e.TaskID] {
			kept = append(kept, e)
			continue
		}
		res.Errors++
		res.ErrorsInfo[errBadTask]++
	}
	return kept, nil
}

// isInvalidTask reports whether err says the task does not exist (or is hidden).
func isInvalidTask(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Kind == apperr.NotFound
}

// allowTask loads a task and checks the caller has want on it.
func (s *Service) allowTask(ctx context.Context, p identity.Principal, id string,
	want access.Permission) error {
	t, err := s.store.Task(ctx, p.WorkspaceID, id)
	if err != nil {
		return orNotFound(err, invalidTaskID, id)
	}
	return s.allow(ctx, p, taskSubject(t), want)
}

// reserve counts the events against each task's cap and raises its last iteration.
func (s *Service) reserve(ctx context.Context, ws string, events []Event) error {
	type tally struct {
		n    int
		iter int64
	}
	per := map[string]*tally{}
	var order []string
	for _, e := range events {
		t := per[e.TaskID]
		if t == nil {
			t = &tally{}
			per[e.TaskID] = t
			order = append(order, e.TaskID)
		}
		t.n++
		t.iter = max(t.iter, e.Iter)
	}
	for _, id := range order {
		ok, err := s.store.ReserveEvents(ctx, ws, id, per[id].n, per[id].iter,
			s.opts.MaxEventsPerTask)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.TooLarge, "Events not added (event limit reached: a task "+
				"keeps at most %d events): task=%s, events=%d", s.opts.MaxEventsPerTask, id,
				per[id].n).WithSub(400, 131)
		}
	}
	return nil
}

// LogQuery is what events.get_task_log and events.get_task_events accept.
type LogQuery struct {
	TaskID string
	Types  []string // nil means every type
	Limit  int
	// Descending returns the newest events first (ClearML's navigate_earlier).
	Descending bool
	// From starts after this time, when not zero (ClearML's from_timestamp).
	From time.Time
	// Scroll continues a previous page; it wins over From.
	Scroll string
}

// EventPage is one page of a task's events, with the total and the scroll id of the
// next page.
type EventPage struct {
	Events []Event
	Total  int
	Scroll string
}

// TaskEvents pages through one task's events.
func (s *Service) TaskEvents(ctx context.Context, q LogQuery) (EventPage, error) {
	if q.TaskID == "" {
		return EventPage{}, missingField("task")
	}
	p, err := caller(ctx)
	if err != nil {
		return EventPage{}, err
	}
	if err := s.allowTask(ctx, p, q.TaskID, access.Read); err != nil {
		return EventPage{}, err
	}
	f, err := eventFilter(q)
	if err != nil {
		return EventPage{}, err
	}
	events, err := s.store.Events(ctx, p.WorkspaceID, f)
	if err != nil {
		return EventPage{}, err
	}
	total, err := s.store.CountEvents(ctx, p.WorkspaceID, q.TaskID, q.Types)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: events, Total: total, Scroll: q.Scroll}
	if n := len(events); n > 0 {
		page.Scroll = encodeScroll(q.Descending, EventCursor{At: events[n-1].At,
			ID: events[n-1].ID})
	}
	return page, nil
}

func eventFilter(q LogQuery) (EventFilter, error) {
	if q.Limit <= 0 || q.Limit > 10000 {
		q.Limit = 500
	}
	f := EventFilter{TaskID: q.TaskID, Types: q.Types, Descending: q.Descending,
		Limit: q.Limit}
	cur := EventCursor{}
	if q.Scroll != "" {
		desc, c, err := decodeScroll(q.Scroll)
		if err != nil {
			return f, err
		}
		f.Descending, cur = desc, c
	} else if !q.From.IsZero() {
		cur = EventCursor{At: q.From, ID: math.MaxInt64}
		if q.Descending {
			cur.ID = 0
		}
	}
	if f.Descending {
		f.Before = cur
	} else {
		f.After = cur
	}
	return f, nil
}

// Scroll ids are "<a|d>_<time in µs>_<event id>": direction and the last event returned.
func encodeScroll(desc bool, c EventCursor) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	return fmt.Sprintf("%s_%d_%d", dir, c.At.UnixMicro(), c.ID)
}

func decodeScroll(s string) (bool, EventCursor, error) {
	parts := strings.Split(s, "_")
	bad := apperr.Invalidf("Invalid scroll id: scroll_id=%s", s).WithSub(400, 1104)
	if len(parts) != 3 || (parts[0] != "a" && parts[0] != "d") {
		return false, EventCursor{}, bad
	}
	at, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return false, EventCursor{}, bad
	}
	return parts[0] == "d", EventCursor{At: time.UnixMicro(at).UTC(), ID: id}, nil
}

// ScalarPoint is one reported value of a scalar series.
type ScalarPoint struct {
	Iter  int64
	At    time.Time
	Value float64
}

// ScalarSeries is one metric/variant series of a task, in report order.
type ScalarSeries struct {
	Metric  string
	Variant string
	Points  []ScalarPoint
}

// maxScalarPoints bounds what one scalar read loads: a task's first values up to it.
const maxScalarPoints = 200_000

// Scalars returns a task's scalar series, sorted by metric and variant.
func (s *Service) Scalars(ctx context.Context, taskID string) ([]ScalarSeries, error) {
	if taskID == "" {
		return nil, missingField("task")
	}
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.allowTask(ctx, p, taskID, access.Read); err != nil {
		return nil, err
	}
	events, err := s.store.Events(ctx, p.WorkspaceID, EventFilter{TaskID: taskID,
		Types: []string{EventScalar}, Limit: maxScalarPoints})
	if err != nil {
		return nil, err
	}
	return groupScalars(events), nil
}

func groupScalars(events []Event) []ScalarSeries {
	idx := map[[2]string]int{}
	var out []ScalarSeries
	for _, e := range events {
		if e.Value == nil {
			continue
		}
		k := [2]string{e.Metric, e.Variant}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, ScalarSeries{Metric: e.Metric, Variant: e.Variant})
		}
		out[i].Points = append(out[i].Points, ScalarPoint{Iter: e.Iter, At: e.At,
			Value: *e.Value})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric != out[j].Metric {
			return out[i].Metric < out[j].Metric
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}

// DeleteTaskEvents removes every event of a task and returns how many there were.
func (s *Service) DeleteTaskEvents(ctx context.Context, taskID string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, p identity.Principal, now time.Time) error {
		if err := s.allowTask(ctx, p, taskID, access.ReadWrite); err != nil {
			return err
		}
		var err error
		if n, err = s.store.CountEvents(ctx, p.WorkspaceID, taskID, nil); err != nil {
			return err
		}
		if err := s.store.DeleteEvents(ctx, p.WorkspaceID, taskID); err != nil {
			return err
		}
		return s.record(ctx, p, "task.delete_events", "task", taskID,
			map[string]any{"events": n})
	})
	return n, err
}
