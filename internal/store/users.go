package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"atrium/internal/identity"
)

// CreateWorkspace inserts a workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w identity.Workspace) error {
	_, err := s.exec(ctx, "INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)",
		w.ID, w.Name, micro(w.CreatedAt))
	return err
}

// Workspace returns one workspace.
func (s *Store) Workspace(ctx context.Context, id string) (identity.Workspace, error) {
	var w identity.Workspace
	var created int64
	err := s.queryRow(ctx, "SELECT id, name, created_at FROM workspaces WHERE id = ?", id).
		Scan(&w.ID, &w.Name, &created)
	w.CreatedAt = fromMicro(created)
	return w, rowErr(err, "workspace")
}

// Workspaces lists every workspace, oldest first.
func (s *Store) Workspaces(ctx context.Context) ([]identity.Workspace, error) {
	rows, err := s.query(ctx, "SELECT id, name, created_at FROM workspaces ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.Workspace
	for rows.Next() {
		var w identity.Workspace
		var created int64
		if err := rows.Scan(&w.ID, &w.Name, &created); err != nil {
			return nil, err
		}
		w.CreatedAt = fromMicro(created)
		out = append(out, w)
	}
	return out, rows.Err()
}

const userColumns = `id, workspace_id, email, name, given_name, family_name, avatar, role, status,
	password_hash, created_in_version, created_at, updated_at, kind, allow_impersonation,
	last_login_at, last_login_method, last_ui_at, removed_at, sessions_valid_after, two_factor_at`

func scanUser(sc interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var email sql.NullString
	var role, status, kind string
	var created, updated int64
	var impersonate int
	var login, ui, removed, floor, twoFactor sql.NullInt64
	err := sc.Scan(&u.ID, &u.WorkspaceID, &email, &u.Name, &u.GivenName, &u.FamilyName,
		&u.Avatar, &role, &status, &u.PasswordHash, &u.CreatedInVersion, &created, &updated,
		&kind, &impersonate, &login, &u.LastLoginMethod, &ui, &removed, &floor, &twoFactor)
	u.Email, u.Role, u.Status = email.String, identity.Role(role), identity.Status(status)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	u.Kind, u.AllowImpersonation = identity.Kind(kind), impersonate != 0
	u.LastLoginAt, u.LastUIAt, u.RemovedAt = fromNullMicro(login), fromNullMicro(ui),
		fromNullMicro(removed)
	u.SessionsValidAfter, u.TwoFactorAt = fromNullMicro(floor), fromNullMicro(twoFactor)
	return u, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateUser inserts a user; a taken e-mail is a Conflict.
func (s *Store) CreateUser(ctx context.Context, u identity.User) error {
	if u.Kind == "" {
		u.Kind = identity.KindPerson
	}
	_, err := s.exec(ctx, "INSERT INTO users ("+userColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.WorkspaceID, nullString(u.Email), u.Name, u.GivenName, u.FamilyName, u.Avatar,
		string(u.Role), string(u.Status), u.PasswordHash, u.CreatedInVersion,
		micro(u.CreatedAt), micro(u.UpdatedAt), string(u.Kind), boolInt(u.AllowImpersonation),
		nullMicro(u.LastLoginAt), u.LastLoginMethod, nullMicro(u.LastUIAt), nullMicro(u.RemovedAt),
		nullMicro(u.SessionsValidAfter), nullMicro(u.TwoFactorAt))
	return err
}

// User returns a user of a workspace.
func (s *Store) User(ctx context.Context, workspaceID, id string) (identity.User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+
		" FROM users WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return u, rowErr(err, "user")
}

// UserByEmail finds a user by normalised e-mail in any workspace.
func (s *Store) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", email))
	return u, rowErr(err, "user")
}

// UpdateUser locks, modifies and writes one user.
func (s *Store) UpdateUser(ctx context.Context, workspaceID, id string,
	fn func(*identity.User) error) (identity.User, error) {
	var out identity.User
	err := s.InTx(ctx, func(ctx context.Context) error {
		u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+
			" FROM users WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "user")
		}
		if err := fn(&u); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE users SET email = ?, name = ?, given_name = ?,
			family_name = ?, avatar = ?, role = ?, status = ?, password_hash = ?, updated_at = ?,
			allow_impersonation = ?, removed_at = ?, sessions_valid_after = ?,
			two_factor_at = ? WHERE workspace_id = ? AND id = ?`,
			nullString(u.Email), u.Name, u.GivenName, u.FamilyName, u.Avatar, string(u.Role),
			string(u.Status), u.PasswordHash, micro(u.UpdatedAt), boolInt(u.AllowImpersonation),
			nullMicro(u.RemovedAt), nullMicro(u.SessionsValidAfter), nullMicro(u.TwoFactorAt),
			workspaceID, id)
		out = u
		return err
	})
	return out, err
}

var userOrders = map[string]string{
	"name": "name, id", "-name": "name DESC, id DESC",
	"created": "created_at, id", "-created": "created_at DESC, id DESC",
	"email": "email, id", "-email": "email DESC, id DESC",
}

// Users lists a workspace's users.
func (s *Store) Users(ctx context.Context, workspaceID string, f identity.UserFilter) (
	[]identity.User, error) {
	where, args := userWhere(workspaceID, f)
	q := "SELECT " + userColumns + " FROM users" + where
	order, ok := userOrders[f.OrderBy]
	if !ok {
		order = userOrders["name"]
	}
	q += " ORDER BY " + order
	if f.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountFilteredUsers counts the users Users would list without paging.
func (s *Store) CountFilteredUsers(ctx context.Context, workspaceID string,
	f identity.UserFilter) (int, error) {
	where, args := userWhere(workspaceID, f)
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM users"+where, args...).Scan(&n)
	return n, mapErr(err)
}

func userWhere(workspaceID string, f identity.UserFilter) (string, []any) {
	q := " WHERE workspace_id = ?"
	args := []any{workspaceID}
	if len(f.IDs) > 0 {
		q += " AND id IN (" + placeholders(len(f.IDs)) + ")"
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Kind != "" {
		q += " AND kind = ?"
		args = append(args, string(f.Kind))
	}
	if len(f.Statuses) > 0 {
		q += " AND status IN (" + placeholders(len(f.Statuses)) + ")"
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if f.NameLike != "" {
		q += " AND (LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE ? ESCAPE '\\'" +
			" OR id = ?)"
		like := "%" + escapeLike(strings.ToLower(f.NameLike)) + "%"
		args = append(args, like, like, strings.ToLower(f.NameLike))
	}
	return q, args
}

// RecordActivity writes batched sign-in and UI activity times, never moving one backwards.
func (s *Store) RecordActivity(ctx context.Context, batch []identity.Activity) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		for _, a := range batch {
			if !a.LoginAt.IsZero() {
				_, err := s.exec(ctx, `UPDATE users SET last_login_at = ?, last_login_method = ?
					WHERE workspace_id = ? AND id = ? AND (last_login_at IS NULL OR last_login_at < ?)`,
					micro(a.LoginAt), a.LoginMethod, a.WorkspaceID, a.UserID, micro(a.LoginAt))
				if err != nil {
					return err
				}
			}
			if !a.UIAt.IsZero() {
				_, err := s.exec(ctx, `UPDATE users SET last_ui_at = ?
					WHERE workspace_id = ? AND id = ? AND (last_ui_at IS NULL OR last_ui_at < ?)`,
					micro(a.UIAt), a.WorkspaceID, a.UserID, micro(a.UIAt))
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// LastCredentialUse returns, per user, the latest use of any of their key pairs.
func (s *Store) LastCredentialUse(ctx context.Context, workspaceID string, userIDs []string) (
	map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.perUser(ctx, `SELECT user_id, MAX(last_used_at) FROM credentials
		WHERE workspace_id = ? AND last_used_at IS NOT NULL AND user_id IN (%s) GROUP BY user_id`,
		workspaceID, userIDs, func(id string, v int64) { out[id] = fromMicro(v) })
	return out, err
}

// CredentialCounts returns, per user, how many key pairs they hold.
func (s *Store) CredentialCounts(ctx context.Context, workspaceID string, userIDs []string) (
	map[string]int, error) {
	out := map[string]int{}
	err := s.perUser(ctx, `SELECT user_id, COUNT(*) FROM credentials
		WHERE workspace_id = ? AND user_id IN (%s) GROUP BY user_id`,
		workspaceID, userIDs, func(id string, v int64) { out[id] = int(v) })
	return out, err
}

func (s *Store) perUser(ctx context.Context, q, workspaceID string, userIDs []string,
	fn func(string, int64)) error {
	if len(userIDs) == 0 {
		return nil
	}
	args := []any{workspaceID}
	for _, id := range userIDs {
		args = append(args, id)
	}
	rows, err := s.query(ctx, fmt.Sprintf(q, placeholders(len(userIDs))), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		fn(id, v)
	}
	return rows.Err()
}

// DeleteCredentialsOf removes every key pair of a user and returns their access keys.
func (s *Store) DeleteCredentialsOf(ctx context.Context, workspaceID, userID string) (
	[]string, error) {
	var keys []string
	err := s.InTx(ctx, func(ctx context.Context) error {
		rows, err := s.query(ctx, `SELECT access_key FROM credentials
			WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		_, err = s.exec(ctx, "DELETE FROM credentials WHERE workspace_id = ? AND user_id = ?",
			workspaceID, userID)
		return err
	})
	return keys, err
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// CountUsers counts users in every workspace.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, mapErr(err)
}

// LockUser takes a row lock on the user for the rest of the transaction.
func (s *Store) LockUser(ctx context.Context, workspaceID, userID string) error {
	var id string
	err := s.queryRow(ctx, "SELECT id FROM users WHERE workspace_id = ? AND id = ?"+s.forUpdate(),
		workspaceID, userID).Scan(&id)
	return rowErr(err, "user")
}

// Preferences returns the user's preference document, "{}" when none is stored.
func (s *Store) Preferences(ctx context.Context, workspaceID, userID string) (string, error) {
	var doc string
	err := s.queryRow(ctx, "SELECT data FROM preferences WHERE workspace_id = ? AND user_id = ?",
		workspaceID, userID).Scan(&doc)
	if err == sql.ErrNoRows {
		return "{}", nil
	}
	return doc, mapErr(err)
}

// UpdatePreferences locks the user, applies fn to the stored document and writes it.
func (s *Store) UpdatePreferences(ctx context.Context, workspaceID, userID string, at time.Time,
	fn func(doc string) (string, error)) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.LockUser(ctx, workspaceID, userID); err != nil {
			return err
		}
		doc, err := s.Preferences(ctx, workspaceID, userID)
		if err != nil {
			return err
		}
		next, err := fn(doc)
		if err != nil || next == doc {
			return err
		}
		_, err = s.exec(ctx, `INSERT INTO preferences (user_id, workspace_id, data, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
			userID, workspaceID, next, micro(at))
		return err
	})
}

// CloudAccess lists a user's web app cloud access rows in order. Secrets stay sealed.
func (s *Store) CloudAccess(ctx context.Context, workspaceID, userID string) (
	[]identity.CloudAccess, error) {
	rows, err := s.query(ctx, `SELECT id, workspace_id, user_id, position, bucket, access_key,
		secret, token, region, endpoint, updated_at FROM cloud_access
		WHERE workspace_id = ? AND user_id = ? ORDER BY position`, workspaceID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.CloudAccess
	for rows.Next() {
		var c identity.CloudAccess
		var updated int64
		err := rows.Scan(&c.ID, &c.WorkspaceID, &c.UserID, &c.Position, &c.Bucket, &c.AccessKey,
			&c.Secret, &c.Token, &c.Region, &c.Endpoint, &updated)
		if err != nil {
			return nil, err
		}
		c.UpdatedAt = fromMicro(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReplaceCloudAccess swaps a user's rows for rows, in one transaction.
func (s *Store) ReplaceCloudAccess(ctx context.Context, workspaceID, userID string,
	rows []identity.CloudAccess) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if err := s.LockUser(ctx, workspaceID, userID); err != nil {
			return err
		}
		_, err := s.exec(ctx, "DELETE FROM cloud_access WHERE workspace_id = ? AND user_id = ?",
			workspaceID, userID)
		if err != nil {
			return err
		}
		for i, c := range rows {
			_, err := s.exec(ctx, `INSERT INTO cloud_access (id, workspace_id, user_id, position,
				bucket, access_key, secret, token, region, endpoint, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, workspaceID, userID, i, c.Bucket, c.AccessKey, c.Secret, c.Token, c.Region,
				c.Endpoint, micro(c.UpdatedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
}
