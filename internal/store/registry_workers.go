package store

import (
	"context"
	"database/sql"
	"time"

	"atrium/internal/registry"
)

const workerColumns = `workspace_id, id, user_id, ip, queues, tags, system_tags, task_id,
	timeout_sec, registered_at, last_activity, last_report, machine_stats`

func scanWorker(sc interface{ Scan(...any) error }) (registry.Worker, error) {
	var w registry.Worker
	var queues, tags, sys, stats string
	var timeout, registered, active int64
	var report sql.NullInt64
	err := sc.Scan(&w.WorkspaceID, &w.ID, &w.UserID, &w.IP, &queues, &tags, &sys, &w.TaskID,
		&timeout, &registered, &active, &report, &stats)
	w.Queues, w.Tags, w.SystemTags = decodeTags(queues), decodeTags(tags), decodeTags(sys)
	w.Timeout = time.Duration(timeout) * time.Second
	w.RegisteredAt, w.LastActivity = fromMicro(registered), fromMicro(active)
	w.LastReport, w.MachineStats = fromNullMicro(report), []byte(stats)
	return w, err
}

// PutWorker inserts or replaces a worker.
func (s *Store) PutWorker(ctx context.Context, w registry.Worker) error {
	expires := w.LastActivity.Add(w.Timeout)
	_, err := s.exec(ctx, "INSERT INTO workers ("+workerColumns+`, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET user_id = excluded.user_id,
		ip = excluded.ip, queues = excluded.queues, tags = excluded.tags,
		system_tags = excluded.system_tags, task_id = excluded.task_id,
		timeout_sec = excluded.timeout_sec, registered_at = excluded.registered_at,
		last_activity = excluded.last_activity, last_report = excluded.last_report,
		machine_stats = excluded.machine_stats, expires_at = excluded.expires_at`,
		w.WorkspaceID, w.ID, w.UserID, w.IP, encodeTags(w.Queues), encodeTags(w.Tags),
		encodeTags(w.SystemTags), w.TaskID, int64(w.Timeout/time.Second), micro(w.RegisteredAt),
		micro(w.LastActivity), nullMicro(w.LastReport), docText(w.MachineStats), micro(expires))
	return err
}

// Worker returns one worker.
func (s *Store) Worker(ctx context.Context, workspaceID, id string) (registry.Worker, error) {
	w, err := scanWorker(s.queryRow(ctx, "SELECT "+workerColumns+
		" FROM workers WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return w, rowErr(err, "worker")
}

// DeleteWorker removes a worker.
func (s *Store) DeleteWorker(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM workers WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("worker")
	}
	return nil
}

// Workers lists the workers active at or after since, by id.
func (s *Store) Workers(ctx context.Context, workspaceID string, since time.Time) (
	[]registry.Worker, error) {
	rows, err := s.query(ctx, "SELECT "+workerColumns+
		" FROM workers WHERE workspace_id = ? AND last_activity >= ? ORDER BY id",
		workspaceID, micro(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Worker
	for rows.Next() {
		w, err := scanWorker(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteExpiredWorkers removes workers whose timeout passed before now.
func (s *Store) DeleteExpiredWorkers(ctx context.Context, workspaceID string,
	now time.Time) error {
	_, err := s.exec(ctx, "DELETE FROM workers WHERE workspace_id = ? AND expires_at < ?",
		workspaceID, micro(now))
	return err
}
