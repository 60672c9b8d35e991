package store

import (
	"context"
	"database/sql"
	"strings"

	"atrium/internal/registry"
)

// eventBatchRows is how many events one INSERT carries: 10 values each, well inside both
// databases' parameter limits, and few enough statements for 1,000-event batches.
const eventBatchRows = 200

// ReserveEvents adds n to a task's event count unless that passes limit.
func (s *Store) ReserveEvents(ctx context.Context, workspaceID, taskID string, n int,
	lastIter int64, limit int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE tasks SET event_count = event_count + ?,
		last_iteration = CASE WHEN ? > last_iteration THEN ? ELSE last_iteration END
		WHERE workspace_id = ? AND id = ? AND event_count + ? <= ?`,
		n, lastIter, lastIter, workspaceID, taskID, n, limit)
	if err != nil {
		return false, err
	}
	rows, _ := res.RowsAffected()
	return rows > 0, nil
}

// AddEvents inserts events in multi-row statements.
func (s *Store) AddEvents(ctx context.Context, events []registry.Event) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for len(events) > 0 {
			n := min(len(events), eventBatchRows)
			if err := s.insertEvents(ctx, events[:n]); err != nil {
				return err
			}
			events = events[n:]
		}
		return nil
	})
}

func (s *Store) insertEvents(ctx context.Context, events []registry.Event) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO task_events (workspace_id, task_id, type, at, iter, metric,
		variant, value, url, doc) VALUES `)
	args := make([]any, 0, len(events)*10)
	for i, e := range events {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		var v sql.NullFloat64
		if e.Value != nil {
			v = sql.NullFloat64{Float64: *e.Value, Valid: true}
		}
		args = append(args, e.WorkspaceID, e.TaskID, e.Type, micro(e.At), e.Iter, e.Metric,
			e.Variant, v, e.URL, string(e.Doc))
	}
	_, err := s.exec(ctx, b.String(), args...)
	return err
}

// Events lists one task's events in time order (newest first when descending).
func (s *Store) Events(ctx context.Context, workspaceID string, f registry.EventFilter) (
	[]registry.Event, error) {
	w := newWhere(workspaceID)
	w.add(" AND task_id = ?", f.TaskID)
	w.addf(inList("type", f.Types))
	order := " ORDER BY at, id"
	if !f.After.IsZero() {
		w.add(" AND (at > ? OR (at = ? AND id > ?))", micro(f.After.At), micro(f.After.At),
			f.After.ID)
	}
	if !f.Before.IsZero() {
		w.add(" AND (at < ? OR (at = ? AND id < ?))", micro(f.Before.At), micro(f.Before.At),
			f.Before.ID)
	}
	if f.Descending {
		order = " ORDER BY at DESC, id DESC"
	}
	q := `SELECT id, workspace_id, task_id, type, at, iter, metric, variant, value, url, doc
		FROM task_events` + w.sql.String() + order
	args := w.args
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return s.scanEvents(ctx, q, args...)
}

func (s *Store) scanEvents(ctx context.Context, q string, args ...any) ([]registry.Event,
	error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Event
	for rows.Next() {
		var e registry.Event
		var at int64
		var v sql.NullFloat64
		var doc string
		err := rows.Scan(&e.ID, &e.WorkspaceID, &e.TaskID, &e.Type, &at, &e.Iter, &e.Metric,
			&e.Variant, &v, &e.URL, &doc)
		if err != nil {
			return nil, err
		}
		e.At, e.Doc = fromMicro(at), []byte(doc)
		if v.Valid {
			e.Value = &v.Float64
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountEvents counts a task's events of the given types (all types when none).
func (s *Store) CountEvents(ctx context.Context, workspaceID, taskID string,
	types []string) (int, error) {
	w := newWhere(workspaceID)
	w.add(" AND task_id = ?", taskID)
	w.addf(inList("type", types))
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM task_events"+w.sql.String(), w.args...).Scan(&n)
	return n, mapErr(err)
}

// EventURLs lists the distinct URLs a task's events point to.
func (s *Store) EventURLs(ctx context.Context, workspaceID, taskID string) ([]string, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT url FROM task_events
		WHERE workspace_id = ? AND task_id = ? AND url <> '' ORDER BY url`, workspaceID, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteEvents removes a task's events and resets its count.
func (s *Store) DeleteEvents(ctx context.Context, workspaceID, taskID string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.exec(ctx, "DELETE FROM task_events WHERE workspace_id = ? AND task_id = ?",
			workspaceID, taskID)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, "UPDATE tasks SET event_count = 0 WHERE workspace_id = ? AND id = ?",
			workspaceID, taskID)
		return err
	})
}
