package store

import (
	"context"
	"encoding/json"

	"atrium/internal/audit"
)

// Setting reads a server-wide setting.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, "SELECT value FROM server_settings WHERE key = ?", key).Scan(&v)
	return v, rowErr(err, "setting "+key)
}

// PutSettingIfAbsent stores value unless key exists; it returns the stored value.
func (s *Store) PutSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	_, err := s.exec(ctx, `INSERT INTO server_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO NOTHING`, key, value)
	if err != nil {
		return "", err
	}
	return s.Setting(ctx, key)
}

// AppendAudit adds an audit entry.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	_, err := s.exec(ctx, `INSERT INTO audit_log (workspace_id, at, actor_id, actor_name, action,
		target_type, target_id, address, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.WorkspaceID, micro(e.At), e.ActorID, e.ActorName, e.Action, e.TargetType, e.TargetID,
		e.Address, e.RequestID, audit.EncodeDetails(e.Details))
	return err
}

// AuditEntries lists a workspace's audit entries, newest first.
func (s *Store) AuditEntries(ctx context.Context, workspaceID string, f audit.Filter) (
	[]audit.Entry, error) {
	q := `SELECT id, workspace_id, at, actor_id, actor_name, action, target_type, target_id,
		address, request_id, details FROM audit_log WHERE workspace_id = ?`
	args := []any{workspaceID}
	if f.Action != "" {
		f.Actions = append(f.Actions, f.Action)
	}
	if f.Actor != "" {
		f.Actors = append(f.Actors, f.Actor)
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		q += " AND " + col + " IN (" + placeholders(len(vals)) + ")"
		for _, v := range vals {
			args = append(args, v)
		}
	}
	in("action", f.Actions)
	in("actor_id", f.Actors)
	in("target_id", f.TargetIDs)
	if f.ActionPrefix != "" {
		q += " AND action LIKE ? ESCAPE '\\'"
		args = append(args, escapeLike(f.ActionPrefix)+"%")
	}
	if f.TargetType != "" {
		q += " AND target_type = ?"
		args = append(args, f.TargetType)
	}
	if !f.Since.IsZero() {
		q += " AND at >= ?"
		args = append(args, micro(f.Since))
	}
	if !f.Until.IsZero() {
		q += " AND at < ?"
		args = append(args, micro(f.Until))
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	order := " ORDER BY id DESC"
	if f.Ascending {
		order = " ORDER BY id"
	}
	q += order + " LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		var details string
		err := rows.Scan(&e.ID, &e.WorkspaceID, &at, &e.ActorID, &e.ActorName, &e.Action,
			&e.TargetType, &e.TargetID, &e.Address, &e.RequestID, &details)
		if err != nil {
			return nil, err
		}
		e.At = fromMicro(at)
		json.Unmarshal([]byte(details), &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}
