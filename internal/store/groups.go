package store

import (
	"context"

	"atrium/internal/identity"
)

const groupColumns = `id, workspace_id, name, description, kind, position, created_at, updated_at`

func scanGroup(sc interface{ Scan(...any) error }) (identity.Group, error) {
	var g identity.Group
	var kind string
	var created, updated int64
	err := sc.Scan(&g.ID, &g.WorkspaceID, &g.Name, &g.Description, &kind, &g.Position,
		&created, &updated)
	g.Kind, g.CreatedAt, g.UpdatedAt = identity.GroupKind(kind), fromMicro(created),
		fromMicro(updated)
	return g, err
}

// CreateGroup inserts a group; a name already used in the workspace (in any case) is a
// Conflict.
func (s *Store) CreateGroup(ctx context.Context, g identity.Group) error {
	_, err := s.exec(ctx, "INSERT INTO groups ("+groupColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		g.ID, g.WorkspaceID, g.Name, g.Description, string(g.Kind), g.Position,
		micro(g.CreatedAt), micro(g.UpdatedAt))
	return err
}

// Group returns one group of a workspace.
func (s *Store) Group(ctx context.Context, workspaceID, id string) (identity.Group, error) {
	g, err := scanGroup(s.queryRow(ctx, "SELECT "+groupColumns+
		" FROM groups WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return g, rowErr(err, "group")
}

// Groups lists a workspace's groups in their set order, then by name.
func (s *Store) Groups(ctx context.Context, workspaceID string) ([]identity.Group, error) {
	rows, err := s.query(ctx, "SELECT "+groupColumns+
		" FROM groups WHERE workspace_id = ? ORDER BY position, LOWER(name), id", workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpdateGroup locks, modifies and writes one group.
func (s *Store) UpdateGroup(ctx context.Context, workspaceID, id string,
	fn func(*identity.Group) error) (identity.Group, error) {
	var out identity.Group
	err := s.InTx(ctx, func(ctx context.Context) error {
		g, err := scanGroup(s.queryRow(ctx, "SELECT "+groupColumns+
			" FROM groups WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "group")
		}
		if err := fn(&g); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE groups SET name = ?, description = ?, position = ?,
			updated_at = ? WHERE workspace_id = ? AND id = ?`,
			g.Name, g.Description, g.Position, micro(g.UpdatedAt), workspaceID, id)
		out = g
		return err
	})
	return out, err
}

// DeleteGroup removes a group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM groups WHERE workspace_id = ? AND id = ?", workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("group")
	}
	return nil
}

// GroupMembers maps each group of the workspace to its explicit members.
func (s *Store) GroupMembers(ctx context.Context, workspaceID string) (map[string][]string, error) {
	rows, err := s.query(ctx, `SELECT group_id, user_id FROM group_members
		WHERE workspace_id = ? ORDER BY group_id, user_id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var g, u string
		if err := rows.Scan(&g, &u); err != nil {
			return nil, err
		}
		out[g] = append(out[g], u)
	}
	return out, rows.Err()
}

// SetGroupMembers replaces a group's members.
func (s *Store) SetGroupMembers(ctx context.Context, workspaceID, groupID string,
	userIDs []string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.exec(ctx, "DELETE FROM group_members WHERE workspace_id = ? AND group_id = ?",
			workspaceID, groupID)
		if err != nil {
			return err
		}
		for _, u := range userIDs {
			if err := s.AddGroupMember(ctx, workspaceID, groupID, u); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddGroupMember adds one member; adding twice is harmless.
func (s *Store) AddGroupMember(ctx context.Context, workspaceID, groupID, userID string) error {
	_, err := s.exec(ctx, `INSERT INTO group_members (group_id, user_id, workspace_id)
		VALUES (?, ?, ?) ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID, workspaceID)
	return err
}

// RemoveGroupMember removes one member, if present.
func (s *Store) RemoveGroupMember(ctx context.Context, workspaceID, groupID, userID string) error {
	_, err := s.exec(ctx, `DELETE FROM group_members
		WHERE workspace_id = ? AND group_id = ? AND user_id = ?`, workspaceID, groupID, userID)
	return err
}

// UserGroups lists the groups a user is an explicit member of.
func (s *Store) UserGroups(ctx context.Context, workspaceID, userID string) ([]string, error) {
	rows, err := s.query(ctx, `SELECT group_id FROM group_members
		WHERE workspace_id = ? AND user_id = ? ORDER BY group_id`, workspaceID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

const invitationColumns = `id, workspace_id, user_id, email, role, token_hash, invited_by,
	created_at, expires_at`

func scanInvitation(sc interface{ Scan(...any) error }) (identity.Invitation, error) {
	var inv identity.Invitation
	var role string
	var created, expires int64
	err := sc.Scan(&inv.ID, &inv.WorkspaceID, &inv.UserID, &inv.Email, &role, &inv.TokenHash,
		&inv.InvitedBy, &created, &expires)
	inv.Role, inv.CreatedAt, inv.ExpiresAt = identity.Role(role), fromMicro(created),
		fromMicro(expires)
	return inv, err
}

// CreateInvitation inserts an invitation.
func (s *Store) CreateInvitation(ctx context.Context, inv identity.Invitation) error {
	_, err := s.exec(ctx, "INSERT INTO invitations ("+invitationColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", inv.ID, inv.WorkspaceID, inv.UserID, inv.Email,
		string(inv.Role), inv.TokenHash, inv.InvitedBy, micro(inv.CreatedAt), micro(inv.ExpiresAt))
	return err
}

// InvitationByToken finds an invitation by the keyed hash of its token.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash string) (
	identity.Invitation, error) {
	inv, err := scanInvitation(s.queryRow(ctx, "SELECT "+invitationColumns+
		" FROM invitations WHERE token_hash = ?"+s.forUpdate(), tokenHash))
	return inv, rowErr(err, "invitation")
}

// Invitations lists a workspace's pending invitations, newest first.
func (s *Store) Invitations(ctx context.Context, workspaceID string) ([]identity.Invitation, error) {
	rows, err := s.query(ctx, "SELECT "+invitationColumns+
		" FROM invitations WHERE workspace_id = ? ORDER BY created_at DESC, id", workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []identity.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// DeleteInvitation removes an invitation.
func (s *Store) DeleteInvitation(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM invitations WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("invitation")
	}
	return nil
}

// WorkspaceSetting reads a per-workspace setting.
func (s *Store) WorkspaceSetting(ctx context.Context, workspaceID, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, "SELECT value FROM workspace_settings WHERE workspace_id = ? AND key = ?",
		workspaceID, key).Scan(&v)
	return v, rowErr(err, "setting "+key)
}

// PutWorkspaceSetting writes a per-workspace setting.
func (s *Store) PutWorkspaceSetting(ctx context.Context, workspaceID, key, value string) error {
	_, err := s.exec(ctx, `INSERT INTO workspace_settings (workspace_id, key, value) VALUES (?, ?, ?)
		ON CONFLICT (workspace_id, key) DO UPDATE SET value = excluded.value`,
		workspaceID, key, value)
	return err
}

// GroupsOfUsers maps each of the given users to their explicit groups.
func (s *Store) GroupsOfUsers(ctx context.Context, workspaceID string, userIDs []string) (
	map[string][]string, error) {
	out := map[string][]string{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := []any{workspaceID}
	for _, id := range userIDs {
		args = append(args, id)
	}
	rows, err := s.query(ctx, `SELECT user_id, group_id FROM group_members
		WHERE workspace_id = ? AND user_id IN (`+placeholders(len(userIDs))+`)
		ORDER BY user_id, group_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u, g string
		if err := rows.Scan(&u, &g); err != nil {
			return nil, err
		}
		out[u] = append(out[u], g)
	}
	return out, rows.Err()
}

// LeaveAllGroups removes a user from every group.
func (s *Store) LeaveAllGroups(ctx context.Context, workspaceID, userID string) error {
	_, err := s.exec(ctx, "DELETE FROM group_members WHERE workspace_id = ? AND user_id = ?",
		workspaceID, userID)
	return err
}

// DeleteInvitationsOf removes every invitation of a user.
func (s *Store) DeleteInvitationsOf(ctx context.Context, workspaceID, userID string) error {
	_, err := s.exec(ctx, "DELETE FROM invitations WHERE workspace_id = ? AND user_id = ?",
		workspaceID, userID)
	return err
}

// DeleteUser removes a user row for good (cascading to their memberships, preferences and
// credentials). Only invitations that were never accepted are deleted this way.
func (s *Store) DeleteUser(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM users WHERE workspace_id = ? AND id = ?", workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("user")
	}
	return nil
}
