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
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	if f.Actor != "" {
		q += " AND actor_id = ?"
		args = append(args, f.Actor)
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
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
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
