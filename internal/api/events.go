package api

import (
	"bytes"
	"encoding/json"
	"math"
	"time"

	"atrium/internal/registry"
)

func (a *API) eventEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "events.add_batch", Handle: a.addEventBatch},
		{Name: "events.add", Handle: a.addEvent},
		{Name: "events.get_task_log", Handle: a.getTaskLog},
		{Name: "events.get_task_events", Handle: a.getTaskEvents},
		{Name: "events.get_scalar_metrics_and_variants", Handle: a.getScalarMetrics},
		{Name: "events.scalar_metrics_iter_histogram", Handle: a.scalarHistogram},
		{Name: "events.get_task_latest_scalar_values", Handle: a.latestScalars},
		{Name: "events.delete_for_task", Handle: a.deleteTaskEvents},
	}
}

// addEventBatch stores an application/json-lines batch: one event per line.
func (a *API) addEventBatch(c *Call) (any, error) {
	res, err := a.svc.Registry.AddEvents(c.Context(), c.Lines)
	if err != nil {
		return nil, err
	}
	return batchOut(res), nil
}

func batchOut(res registry.BatchResult) map[string]any {
	out := map[string]any{"added": res.Added, "errors": res.Errors}
	if res.Errors > 0 {
		out["errors_info"] = res.ErrorsInfo
	}
	return out
}

// addEvent stores one event sent as the request body.
func (a *API) addEvent(c *Call) (any, error) {
	var raw json.RawMessage
	if err := c.Decode(&raw); err != nil {
		return nil, err
	}
	res, err := a.svc.Registry.AddEvents(c.Context(), []json.RawMessage{raw})
	if err != nil {
		return nil, err
	}
	return batchOut(res), nil
}

// eventOut renders a stored event as sent, with the server's view of its task, type and
// time (epoch milliseconds, as ClearML keeps them). The SDK's stray "method" key is
// dropped.
func eventOut(e registry.Event) map[string]any {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(e.Doc))
	dec.UseNumber()
	dec.Decode(&m)
	delete(m, "method")
	m["task"], m["type"] = e.TaskID, e.Type
	m["timestamp"] = e.At.UnixMilli()
	m["@timestamp"] = Time(e.At)
	return m
}

func eventsOut(page registry.EventPage) map[string]any {
	events := make([]map[string]any, len(page.Events))
	for i, e := range page.Events {
		events[i] = eventOut(e)
	}
	return map[string]any{"events": events, "returned": len(events), "total": page.Total,
		"scroll_id": page.Scroll}
}

func (a *API) getTaskLog(c *Call) (any, error) {
	var req struct {
		Task            string   `json:"task"`
		BatchSize       int      `json:"batch_size"`
		NavigateEarlier *bool    `json:"navigate_earlier"`
		FromTimestamp   *float64 `json:"from_timestamp"`
		ScrollID        string   `json:"scroll_id"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	q := registry.LogQuery{TaskID: req.Task, Types: []string{registry.EventLog},
		Limit: req.BatchSize, Descending: orTrue(req.NavigateEarlier), Scroll: req.ScrollID}
	if req.FromTimestamp != nil {
		q.From = fromMillis(*req.FromTimestamp)
	}
	page, err := a.svc.Registry.TaskEvents(c.Context(), q)
	if err != nil {
		return nil, err
	}
	return eventsOut(page), nil
}

func fromMillis(ms float64) time.Time {
	if math.IsNaN(ms) || math.IsInf(ms, 0) {
		return time.Time{}
	}
	return time.UnixMicro(int64(ms * 1000)).UTC()
}

func (a *API) getTaskEvents(c *Call) (any, error) {
	var req struct {
		Task      string     `json:"task"`
		EventType stringList `json:"event_type"`
		BatchSize int        `json:"batch_size"`
		Order     string     `json:"order"`
		ScrollID  string     `json:"scroll_id"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	page, err := a.svc.Registry.TaskEvents(c.Context(), registry.LogQuery{TaskID: req.Task,
		Types: req.EventType, Limit: req.BatchSize, Descending: req.Order == "desc",
		Scroll: req.ScrollID})
	if err != nil {
		return nil, err
	}
	return eventsOut(page), nil
}

// scalars decodes {"task"} and returns the task's scalar series.
func (a *API) scalars(c *Call) ([]registry.ScalarSeries, string, error) {
	var req struct {
		Task string `json:"task"`
		Key  string `json:"key"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, "", err
	}
	series, err := a.svc.Registry.Scalars(c.Context(), req.Task)
	return series, req.Key, err
}

func (a *API) getScalarMetrics(c *Call) (any, error) {
	series, _, err := a.scalars(c)
	if err != nil {
		return nil, err
	}
	metrics := map[string]map[string]any{}
	for _, s := range series {
		if metrics[s.Metric] == nil {
			metrics[s.Metric] = map[string]any{}
		}
		metrics[s.Metric][s.Variant] = map[string]any{"name": s.Variant}
	}
	return map[string]any{"metrics": metrics}, nil
}

// scalarHistogram is ClearML's scalar_metrics_iter_histogram: per metric and variant the
// x values (iterations, or times for key "timestamp"/"iso_time") and the y values.
func (a *API) scalarHistogram(c *Call) (any, error) {
	series, key, err := a.scalars(c)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for _, s := range series {
		xs, ys := make([]any, len(s.Points)), make([]any, len(s.Points))
		for i, p := range s.Points {
			xs[i], ys[i] = scalarX(p, key), finite(p.Value)
		}
		if out[s.Metric] == nil {
			out[s.Metric] = map[string]any{}
		}
		out[s.Metric][s.Variant] = map[string]any{"name": s.Variant, "x": xs, "y": ys}
	}
	return out, nil
}

func scalarX(p registry.ScalarPoint, key string) any {
	switch key {
	case "timestamp":
		return p.At.UnixMilli()
	case "iso_time":
		return Time(p.At)
	}
	return p.Iter
}

func (a *API) latestScalars(c *Call) (any, error) {
	series, _, err := a.scalars(c)
	if err != nil {
		return nil, err
	}
	var metrics []map[string]any
	byMetric := map[string]int{}
	for _, s := range series {
		i, ok := byMetric[s.Metric]
		if !ok {
			i = len(metrics)
			byMetric[s.Metric] = i
			metrics = append(metrics, map[string]any{"name": s.Metric, "variants": []any{}})
		}
		metrics[i]["variants"] = append(metrics[i]["variants"].([]any), latestOf(s))
	}
	if metrics == nil {
		metrics = []map[string]any{}
	}
	return map[string]any{"metrics": metrics}, nil
}

func latestOf(s registry.ScalarSeries) map[string]any {
	last := s.Points[len(s.Points)-1]
	lo, hi := last.Value, last.Value
	for _, p := range s.Points {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	return map[string]any{"name": s.Variant, "last_value": finite(last.Value),
		"last_iteration": last.Iter, "min_value": finite(lo), "max_value": finite(hi)}
}

// finite returns v, or nil for the NaN and infinite values JSON cannot carry.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func (a *API) deleteTaskEvents(c *Call) (any, error) {
	var req taskRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, err
	}
	n, err := a.svc.Registry.DeleteTaskEvents(c.Context(), req.Task)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}
