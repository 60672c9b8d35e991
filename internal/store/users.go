package store

import (
	"context"
	"database/sql"
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
	password_hash, created_in_version, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var email sql.NullString
	var role, status string
	var created, updated int64
	err := sc.Scan(&u.ID, &u.WorkspaceID, &email, &u.Name, &u.GivenName, &u.FamilyName,
		&u.Avatar, &role, &status, &u.PasswordHash, &u.CreatedInVersion, &created, &updated)
	u.Email, u.Role, u.Status = email.String, identity.Role(role), identity.Status(status)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	return u, err
}

// CreateUser inserts a user; a taken e-mail is a Conflict.
func (s *Store) CreateUser(ctx context.Context, u identity.User) error {
	_, err := s.exec(ctx, "INSERT INTO users ("+userColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.WorkspaceID, nullString(u.Email), u.Name, u.GivenName, u.FamilyName, u.Avatar,
		string(u.Role), string(u.Status), u.PasswordHash, u.CreatedInVersion,
		micro(u.CreatedAt), micro(u.UpdatedAt))
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
			family_name = ?, avatar = ?, role = ?, status = ?, password_hash = ?, updated_at = ?
			WHERE workspace_id = ? AND id = ?`,
			nullString(u.Email), u.Name, u.GivenName, u.FamilyName, u.Avatar, string(u.Role),
			string(u.Status), u.PasswordHash, micro(u.UpdatedAt), workspaceID, id)
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
	q := "SELECT " + userColumns + " FROM users WHERE workspace_id = ?"
	args := []any{workspaceID}
	if len(f.IDs) > 0 {
		q += " AND id IN (" + placeholders(len(f.IDs)) + ")"
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.NameLike != "" {
		q += " AND (LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE ? ESCAPE '\\')"
		like := "%" + escapeLike(strings.ToLower(f.NameLike)) + "%"
		args = append(args, like, like)
	}
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
