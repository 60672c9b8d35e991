package store

import (
	"context"
	"time"

	"atrium/internal/credential"
)

// SaveWebSession records a browser session.
func (s *Store) SaveWebSession(ctx context.Context, w credential.WebSession) error {
	if _, err := s.exec(ctx, `DELETE FROM web_sessions WHERE user_id = ? AND expires_at < ?`,
		w.UserID, micro(w.CreatedAt)); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO web_sessions (id, workspace_id, user_id, method, address,
		user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.WorkspaceID, w.UserID, w.Method, w.Address, w.UserAgent, micro(w.CreatedAt),
		micro(w.LastSeenAt), micro(w.ExpiresAt))
	return err
}

// WebSessions lists a user's sessions that have not ended or expired at now, newest first.
func (s *Store) WebSessions(ctx context.Context, workspaceID, userID string, now time.Time) (
	[]credential.WebSession, error) {
	rows, err := s.query(ctx, `SELECT id, method, address, user_agent, created_at, last_seen_at,
		expires_at FROM web_sessions WHERE workspace_id = ? AND user_id = ?
		AND ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id`,
		workspaceID, userID, micro(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credential.WebSession
	for rows.Next() {
		w := credential.WebSession{WorkspaceID: workspaceID, UserID: userID}
		var created, seen, exp int64
		if err := rows.Scan(&w.ID, &w.Method, &w.Address, &w.UserAgent, &created, &seen,
			&exp); err != nil {
			return nil, err
		}
		w.CreatedAt, w.LastSeenAt, w.ExpiresAt = fromMicro(created), fromMicro(seen),
			fromMicro(exp)
		out = append(out, w)
	}
	return out, rows.Err()
}

// EndWebSession marks a session ended.
func (s *Store) EndWebSession(ctx context.Context, workspaceID, userID, id string,
	at time.Time) error {
	res, err := s.exec(ctx, `UPDATE web_sessions SET ended_at = ? WHERE workspace_id = ?
		AND user_id = ? AND id = ? AND ended_at IS NULL`, micro(at), workspaceID, userID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("web session")
	}
	return nil
}

// TouchWebSessions writes last-seen times; sessions that are gone are skipped.
func (s *Store) TouchWebSessions(ctx context.Context, seen map[string]time.Time) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for id, at := range seen {
			if _, err := s.exec(ctx, `UPDATE web_sessions SET last_seen_at = ?
				WHERE id = ? AND last_seen_at < ?`, micro(at), id, micro(at)); err != nil {
				return err
			}
		}
		return nil
	})
}
