package store

import (
	"context"
	"encoding/json"
	"time"

	"atrium/internal/access"
)

// AccessRules lists a workspace's access rules, oldest first.
func (s *Store) AccessRules(ctx context.Context, workspaceID string) ([]access.Rule, error) {
	rows, err := s.query(ctx, `SELECT id, workspace_id, name, description, entity_type, entity_id,
		permission, users, groups, autocreated, created_at, updated_at FROM access_rules
		WHERE workspace_id = ? ORDER BY created_at, id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Rule
	for rows.Next() {
		var r access.Rule
		var typ, perm, users, groups string
		var auto int
		var created, updated int64
		err := rows.Scan(&r.ID, &r.WorkspaceID, &r.Name, &r.Description, &typ, &r.EntityID,
			&perm, &users, &groups, &auto, &created, &updated)
		if err != nil {
			return nil, err
		}
		r.EntityType, r.Autocreated = access.EntityType(typ), auto != 0
		r.Permission, _ = access.ParsePermission(perm)
		r.CreatedAt, r.UpdatedAt = fromMicro(created), fromMicro(updated)
		json.Unmarshal([]byte(users), &r.Users)
		json.Unmarshal([]byte(groups), &r.Groups)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveAccessRule inserts a rule or replaces the one with its id.
func (s *Store) SaveAccessRule(ctx context.Context, r access.Rule) error {
	users, _ := json.Marshal(r.Users)
	groups, _ := json.Marshal(r.Groups)
	_, err := s.exec(ctx, `INSERT INTO access_rules (id, workspace_id, name, description,
		entity_type, entity_id, permission, users, groups, autocreated, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
		entity_type = excluded.entity_type, entity_id = excluded.entity_id,
		permission = excluded.permission, users = excluded.users, groups = excluded.groups,
		updated_at = excluded.updated_at`,
		r.ID, r.WorkspaceID, r.Name, r.Description, string(r.EntityType), r.EntityID,
		r.Permission.String(), string(users), string(groups), boolInt(r.Autocreated),
		micro(r.CreatedAt), micro(r.UpdatedAt))
	return err
}

// DeleteAccessRule removes one rule.
func (s *Store) DeleteAccessRule(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM access_rules WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("access rule")
	}
	return nil
}

// MarkAccessDefaults records that a workspace got its default rules and reports whether
// this is the first time.
func (s *Store) MarkAccessDefaults(ctx context.Context, workspaceID string, at time.Time) (bool,
	error) {
	res, err := s.exec(ctx, `INSERT INTO access_defaults (workspace_id, created_at) VALUES (?, ?)
		ON CONFLICT (workspace_id) DO NOTHING`, workspaceID, micro(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
