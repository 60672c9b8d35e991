package store

import (
	"context"
	"database/sql"
	"time"

	"atrium/internal/credential"
)

const credentialColumns = `access_key, workspace_id, user_id, secret_hash, label, created_at,
	expires_at, last_used_at, last_used_from, successor_of`

func scanCredential(sc interface{ Scan(...any) error }) (credential.Credential, error) {
	var c credential.Credential
	var created int64
	var expires, used sql.NullInt64
	err := sc.Scan(&c.AccessKey, &c.WorkspaceID, &c.UserID, &c.SecretHash, &c.Label, &created,
		&expires, &used, &c.LastUsedFrom, &c.SuccessorOf)
	c.CreatedAt, c.ExpiresAt, c.LastUsedAt = fromMicro(created), fromNullMicro(expires),
		fromNullMicro(used)
	return c, err
}

// CreateCredential inserts a pair.
func (s *Store) CreateCredential(ctx context.Context, c credential.Credential) error {
	_, err := s.exec(ctx, "INSERT INTO credentials ("+credentialColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.AccessKey, c.WorkspaceID, c.UserID, c.SecretHash, c.Label, micro(c.CreatedAt),
		nullMicro(c.ExpiresAt), nullMicro(c.LastUsedAt), c.LastUsedFrom, c.SuccessorOf)
	return err
}

// Credential returns a pair by access key.
func (s *Store) Credential(ctx context.Context, accessKey string) (credential.Credential, error) {
	c, err := scanCredential(s.queryRow(ctx, "SELECT "+credentialColumns+
		" FROM credentials WHERE access_key = ?", accessKey))
	return c, rowErr(err, "credentials")
}

// Credentials lists a user's pairs, oldest first.
func (s *Store) Credentials(ctx context.Context, workspaceID, userID string) (
	[]credential.Credential, error) {
	rows, err := s.query(ctx, "SELECT "+credentialColumns+` FROM credentials
		WHERE workspace_id = ? AND user_id = ? ORDER BY created_at, access_key`,
		workspaceID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credential.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateCredential locks, modifies and writes one of the user's pairs.
func (s *Store) UpdateCredential(ctx context.Context, workspaceID, userID, accessKey string,
	fn func(*credential.Credential) error) (credential.Credential, error) {
	var out credential.Credential
	err := s.InTx(ctx, func(ctx context.Context) error {
		c, err := scanCredential(s.queryRow(ctx, "SELECT "+credentialColumns+` FROM credentials
			WHERE workspace_id = ? AND user_id = ? AND access_key = ?`+s.forUpdate(),
			workspaceID, userID, accessKey))
		if err != nil {
			return rowErr(err, "credentials")
		}
		if err := fn(&c); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE credentials SET label = ?, expires_at = ?
			WHERE access_key = ?`, c.Label, nullMicro(c.ExpiresAt), accessKey)
		out = c
		return err
	})
	return out, err
}

// DeleteCredential removes one of the user's pairs.
func (s *Store) DeleteCredential(ctx context.Context, workspaceID, userID, accessKey string) error {
	res, err := s.exec(ctx, `DELETE FROM credentials
		WHERE workspace_id = ? AND user_id = ? AND access_key = ?`, workspaceID, userID, accessKey)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("credentials")
	}
	return nil
}

// TouchCredentials writes last-used times in one transaction, never moving one backwards.
func (s *Store) TouchCredentials(ctx context.Context, touches []credential.Touch) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for _, t := range touches {
			_, err := s.exec(ctx, `UPDATE credentials SET last_used_at = ?, last_used_from = ?
				WHERE access_key = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				micro(t.At), t.From, t.AccessKey, micro(t.At))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// RevokeSession records a revoked token session; revoking twice is harmless.
func (s *Store) RevokeSession(ctx context.Context, r credential.Revocation) error {
	_, err := s.exec(ctx, `INSERT INTO revoked_sessions
		(session_id, workspace_id, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (session_id) DO NOTHING`,
		r.SessionID, r.WorkspaceID, r.UserID, micro(r.ExpiresAt), micro(r.RevokedAt))
	return err
}

// RevokedSessions lists revocations still in force at now.
func (s *Store) RevokedSessions(ctx context.Context, now time.Time) ([]credential.Revocation, error) {
	rows, err := s.query(ctx, `SELECT session_id, workspace_id, user_id, expires_at, revoked_at
		FROM revoked_sessions WHERE expires_at > ?`, micro(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credential.Revocation
	for rows.Next() {
		var r credential.Revocation
		var exp, rev int64
		if err := rows.Scan(&r.SessionID, &r.WorkspaceID, &r.UserID, &exp, &rev); err != nil {
			return nil, err
		}
		r.ExpiresAt, r.RevokedAt = fromMicro(exp), fromMicro(rev)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PruneRevokedSessions forgets revocations of tokens that have expired anyway.
func (s *Store) PruneRevokedSessions(ctx context.Context, now time.Time) error {
	_, err := s.exec(ctx, "DELETE FROM revoked_sessions WHERE expires_at <= ?", micro(now))
	return err
}
