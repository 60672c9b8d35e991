package store

import (
	"context"
	"database/sql"
	"errors"

	"atrium/internal/registry"
)

const queueColumns = `id, workspace_id, name, user_id, tags, system_tags, created_at,
	last_update`

func scanQueue(sc interface{ Scan(...any) error }) (registry.Queue, error) {
	var q registry.Queue
	var tags, sys string
	var created, updated int64
	err := sc.Scan(&q.ID, &q.WorkspaceID, &q.Name, &q.UserID, &tags, &sys, &created, &updated)
	q.Tags, q.SystemTags = decodeTags(tags), decodeTags(sys)
	q.CreatedAt, q.LastUpdate = fromMicro(created), fromMicro(updated)
	return q, err
}

// CreateQueue inserts a queue; a name taken in the workspace is a Conflict.
func (s *Store) CreateQueue(ctx context.Context, q registry.Queue) error {
	_, err := s.exec(ctx, "INSERT INTO queues ("+queueColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		q.ID, q.WorkspaceID, q.Name, q.UserID, encodeTags(q.Tags), encodeTags(q.SystemTags),
		micro(q.CreatedAt), micro(q.LastUpdate))
	return err
}

// Queue returns one queue, without entries.
func (s *Store) Queue(ctx context.Context, workspaceID, id string) (registry.Queue, error) {
	q, err := scanQueue(s.queryRow(ctx, "SELECT "+queueColumns+
		" FROM queues WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return q, rowErr(err, "queue")
}

// Queues lists a workspace's queues, oldest first.
func (s *Store) Queues(ctx context.Context, workspaceID string) ([]registry.Queue, error) {
	rows, err := s.query(ctx, "SELECT "+queueColumns+
		" FROM queues WHERE workspace_id = ? ORDER BY created_at, id", workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Queue
	for rows.Next() {
		q, err := scanQueue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// UpdateQueue locks, modifies and writes one queue.
func (s *Store) UpdateQueue(ctx context.Context, workspaceID, id string,
	fn func(*registry.Queue) error) (registry.Queue, error) {
	var out registry.Queue
	err := s.InTx(ctx, func(ctx context.Context) error {
		q, err := scanQueue(s.queryRow(ctx, "SELECT "+queueColumns+
			" FROM queues WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "queue")
		}
		if err := fn(&q); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE queues SET name = ?, tags = ?, system_tags = ?,
			last_update = ? WHERE workspace_id = ? AND id = ?`, q.Name, encodeTags(q.Tags),
			encodeTags(q.SystemTags), micro(q.LastUpdate), workspaceID, id)
		out = q
		return err
	})
	return out, err
}

// DeleteQueue removes a queue and its entries.
func (s *Store) DeleteQueue(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM queues WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("queue")
	}
	return nil
}

// entryOrder is the pop order: position, then arrival, then task id.
const entryOrder = " ORDER BY position, added_at, task_id"

// QueueEntries returns the entries of the given queues in pop order.
func (s *Store) QueueEntries(ctx context.Context, workspaceID string, queueIDs []string) (
	map[string][]registry.QueueEntry, error) {
	out := map[string][]registry.QueueEntry{}
	if len(queueIDs) == 0 {
		return out, nil
	}
	cond, args := inList("queue_id", queueIDs)
	rows, err := s.query(ctx, "SELECT queue_id, task_id, added_at FROM queue_entries"+
		" WHERE workspace_id = ?"+cond+" ORDER BY queue_id, position, added_at, task_id",
		append([]any{workspaceID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var q string
		var e registry.QueueEntry
		var added int64
		if err := rows.Scan(&q, &e.TaskID, &added); err != nil {
			return nil, err
		}
		e.AddedAt = fromMicro(added)
		out[q] = append(out[q], e)
	}
	return out, rows.Err()
}

// AddQueueEntry appends a task to a queue, or puts it first.
func (s *Store) AddQueueEntry(ctx context.Context, workspaceID, queueID string,
	e registry.QueueEntry, front bool) error {
	pos := "COALESCE(MAX(position), 0) + 1"
	if front {
		pos = "COALESCE(MIN(position), 0) - 1"
	}
	_, err := s.exec(ctx, `INSERT INTO queue_entries (queue_id, task_id, workspace_id, position,
		added_at) SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), `+pos+`,
		CAST(? AS BIGINT) FROM queue_entries WHERE queue_id = ?`,
		queueID, e.TaskID, workspaceID, micro(e.AddedAt), queueID)
	return err
}

// RemoveQueueEntry removes a task from a queue.
func (s *Store) RemoveQueueEntry(ctx context.Context, workspaceID, queueID, taskID string) (
	bool, error) {
	res, err := s.exec(ctx, `DELETE FROM queue_entries
		WHERE workspace_id = ? AND queue_id = ? AND task_id = ?`, workspaceID, queueID, taskID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RemoveTaskEntries removes a task from every queue.
func (s *Store) RemoveTaskEntries(ctx context.Context, workspaceID, taskID string) error {
	_, err := s.exec(ctx, "DELETE FROM queue_entries WHERE workspace_id = ? AND task_id = ?",
		workspaceID, taskID)
	return err
}

// MoveQueueEntry puts a queued task first or last and returns its new index.
func (s *Store) MoveQueueEntry(ctx context.Context, workspaceID, queueID, taskID string,
	front bool) (int, error) {
	var idx int
	err := s.InTx(ctx, func(ctx context.Context) error {
		pos := "(SELECT MAX(position) + 1 FROM queue_entries WHERE queue_id = ?)"
		if front {
			pos = "(SELECT MIN(position) - 1 FROM queue_entries WHERE queue_id = ?)"
		}
		res, err := s.exec(ctx, "UPDATE queue_entries SET position = "+pos+
			" WHERE workspace_id = ? AND queue_id = ? AND task_id = ?",
			queueID, workspaceID, queueID, taskID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("queue entry")
		}
		if front {
			return nil
		}
		err = s.queryRow(ctx, "SELECT COUNT(*) - 1 FROM queue_entries WHERE queue_id = ?",
			queueID).Scan(&idx)
		return mapErr(err)
	})
	return idx, err
}

// PopQueueEntry removes and returns a queue's first entry in one statement. On
// PostgreSQL the entry is chosen with FOR UPDATE SKIP LOCKED, so concurrent pops on any
// replica take different entries without waiting on each other; SQLite's single writer
// serialises them.
func (s *Store) PopQueueEntry(ctx context.Context, workspaceID, queueID string) (
	registry.QueueEntry, bool, error) {
	skip := ""
	if s.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var e registry.QueueEntry
	var added int64
	err := s.queryRow(ctx, `DELETE FROM queue_entries
		WHERE workspace_id = ? AND queue_id = ? AND task_id = (
		SELECT task_id FROM queue_entries WHERE workspace_id = ? AND queue_id = ?`+entryOrder+
		` LIMIT 1`+skip+`) RETURNING task_id, added_at`,
		workspaceID, queueID, workspaceID, queueID).Scan(&e.TaskID, &added)
	if errors.Is(err, sql.ErrNoRows) {
		return registry.QueueEntry{}, false, nil
	}
	if err != nil {
		return registry.QueueEntry{}, false, mapErr(err)
	}
	e.AddedAt = fromMicro(added)
	return e, true, nil
}
