package store

import (
	"context"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/sso"
)

const ssoColumns = `id, workspace_id, provider, protocol, display_name, active, settings, secrets,
	created_at, updated_at`

func scanSSO(sc interface{ Scan(...any) error }) (sso.Record, error) {
	var r sso.Record
	var active int
	var created, updated int64
	err := sc.Scan(&r.ID, &r.WorkspaceID, &r.Provider, &r.Protocol, &r.DisplayName, &active,
		&r.Settings, &r.Secrets, &created, &updated)
	r.Active, r.CreatedAt, r.UpdatedAt = active != 0, fromMicro(created), fromMicro(updated)
	return r, err
}

// SSOConnections lists a workspace's identity provider connections by display name.
func (s *Store) SSOConnections(ctx context.Context, workspaceID string) ([]sso.Record, error) {
	rows, err := s.query(ctx, `SELECT `+ssoColumns+` FROM sso_connections
		WHERE workspace_id = ? ORDER BY display_key, id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sso.Record
	for rows.Next() {
		r, err := scanSSO(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SSOConnection finds a connection by id in any workspace.
func (s *Store) SSOConnection(ctx context.Context, id string) (sso.Record, error) {
	r, err := scanSSO(s.queryRow(ctx, `SELECT `+ssoColumns+` FROM sso_connections
		WHERE id = ?`, id))
	return r, rowErr(err, "identity provider connection")
}

// SaveSSOConnection inserts a connection or replaces the one with its id.
func (s *Store) SaveSSOConnection(ctx context.Context, r sso.Record) error {
	_, err := s.exec(ctx, `INSERT INTO sso_connections (id, workspace_id, provider, protocol,
		display_name, display_key, active, settings, secrets, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
		display_key = excluded.display_key, active = excluded.active,
		settings = excluded.settings, secrets = excluded.secrets,
		updated_at = excluded.updated_at`,
		r.ID, r.WorkspaceID, r.Provider, r.Protocol, r.DisplayName,
		strings.ToLower(r.DisplayName), boolInt(r.Active), r.Settings, r.Secrets,
		micro(r.CreatedAt), micro(r.UpdatedAt))
	return err
}

// DeleteSSOConnection removes a connection and its links.
func (s *Store) DeleteSSOConnection(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM sso_connections WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("identity provider connection")
	}
	return nil
}

// SSOLink finds the user a provider subject is linked to.
func (s *Store) SSOLink(ctx context.Context, workspaceID, connectionID, subject string) (
	sso.Link, error) {
	l := sso.Link{WorkspaceID: workspaceID, ConnectionID: connectionID, Subject: subject}
	var created, seen int64
	err := s.queryRow(ctx, `SELECT user_id, created_at, last_seen_at FROM sso_links
		WHERE workspace_id = ? AND connection_id = ? AND subject = ?`,
		workspaceID, connectionID, subject).Scan(&l.UserID, &created, &seen)
	l.CreatedAt, l.LastSeenAt = fromMicro(created), fromMicro(seen)
	return l, rowErr(err, "identity link")
}

// SaveSSOLink links a subject to a user, or refreshes the link's last use.
func (s *Store) SaveSSOLink(ctx context.Context, l sso.Link) error {
	_, err := s.exec(ctx, `INSERT INTO sso_links (workspace_id, connection_id, subject, user_id,
		created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, subject) DO UPDATE SET user_id = excluded.user_id,
		last_seen_at = excluded.last_seen_at`,
		l.WorkspaceID, l.ConnectionID, l.Subject, l.UserID, micro(l.CreatedAt),
		micro(l.LastSeenAt))
	return err
}

// ConsumeOnce records key until expires; a key still recorded is a Conflict.
func (s *Store) ConsumeOnce(ctx context.Context, workspaceID, key string, expires,
	now time.Time) error {
	if _, err := s.exec(ctx, "DELETE FROM sso_replay WHERE expires_at < ?", micro(now)); err != nil {
		return err
	}
	res, err := s.exec(ctx, `INSERT INTO sso_replay (workspace_id, key, expires_at)
		VALUES (?, ?, ?) ON CONFLICT (workspace_id, key) DO NOTHING`,
		workspaceID, key, micro(expires))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict("already used")
	}
	return nil
}

func conflict(what string) error { return apperr.Conflictf("%s", what) }

var _ sso.Store = (*Store)(nil)
