package store

import (
	"context"
	"database/sql"

	"atrium/internal/vault"
)

const vaultColumns = `id, workspace_id, scope, type, format, description, data, enabled,
	group_id, user_id, version, created_at, updated_at, updated_by`

func scanVault(sc interface{ Scan(...any) error }) (vault.Vault, error) {
	var v vault.Vault
	var scope, typ, format string
	var enabled int
	var group, user sql.NullString
	var created, updated int64
	err := sc.Scan(&v.ID, &v.WorkspaceID, &scope, &typ, &format, &v.Description, &v.Data,
		&enabled, &group, &user, &v.Version, &created, &updated, &v.UpdatedBy)
	v.Scope, v.Type, v.Format = vault.Scope(scope), vault.Type(typ), vault.Format(format)
	v.Enabled, v.GroupID, v.UserID = enabled != 0, group.String, user.String
	v.CreatedAt, v.UpdatedAt = fromMicro(created), fromMicro(updated)
	return v, err
}

// CreateVault inserts a vault.
func (s *Store) CreateVault(ctx context.Context, v vault.Vault) error {
	_, err := s.exec(ctx, "INSERT INTO vaults ("+vaultColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.ID, v.WorkspaceID, string(v.Scope), string(v.Type), string(v.Format), v.Description,
		v.Data, boolInt(v.Enabled), nullString(v.GroupID), nullString(v.UserID), v.Version,
		micro(v.CreatedAt), micro(v.UpdatedAt), v.UpdatedBy)
	return err
}

// Vault returns one vault of a workspace.
func (s *Store) Vault(ctx context.Context, workspaceID, id string) (vault.Vault, error) {
	v, err := scanVault(s.queryRow(ctx, "SELECT "+vaultColumns+
		" FROM vaults WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return v, rowErr(err, "vault")
}

// Vaults lists a workspace's vaults, oldest first.
func (s *Store) Vaults(ctx context.Context, workspaceID string) ([]vault.Vault, error) {
	rows, err := s.query(ctx, "SELECT "+vaultColumns+
		" FROM vaults WHERE workspace_id = ? ORDER BY created_at, id", workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vault.Vault
	for rows.Next() {
		v, err := scanVault(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UpdateVault locks, modifies and writes one vault.
func (s *Store) UpdateVault(ctx context.Context, workspaceID, id string,
	fn func(*vault.Vault) error) (vault.Vault, error) {
	var out vault.Vault
	err := s.InTx(ctx, func(ctx context.Context) error {
		v, err := scanVault(s.queryRow(ctx, "SELECT "+vaultColumns+
			" FROM vaults WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "vault")
		}
		if err := fn(&v); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE vaults SET type = ?, format = ?, description = ?, data = ?,
			enabled = ?, version = ?, updated_at = ?, updated_by = ?
			WHERE workspace_id = ? AND id = ?`,
			string(v.Type), string(v.Format), v.Description, v.Data, boolInt(v.Enabled), v.Version,
			micro(v.UpdatedAt), v.UpdatedBy, workspaceID, id)
		out = v
		return err
	})
	return out, err
}

// DeleteVault removes a vault and its versions.
func (s *Store) DeleteVault(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM vaults WHERE workspace_id = ? AND id = ?", workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("vault")
	}
	return nil
}

// AddVaultVersion records a saved version.
func (s *Store) AddVaultVersion(ctx context.Context, v vault.Version) error {
	_, err := s.exec(ctx, `INSERT INTO vault_versions (vault_id, version, workspace_id, format,
		description, data, enabled, action, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.VaultID, v.Version, v.WorkspaceID, string(v.Format), v.Description, v.Data,
		boolInt(v.Enabled), v.Action, micro(v.CreatedAt), v.CreatedBy)
	return err
}

// VaultVersions lists a vault's versions, newest first.
func (s *Store) VaultVersions(ctx context.Context, workspaceID, vaultID string) (
	[]vault.Version, error) {
	rows, err := s.query(ctx, `SELECT vault_id, version, workspace_id, format, description, data,
		enabled, action, created_at, created_by FROM vault_versions
		WHERE workspace_id = ? AND vault_id = ? ORDER BY version DESC`, workspaceID, vaultID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vault.Version
	for rows.Next() {
		var v vault.Version
		var format string
		var enabled int
		var created int64
		err := rows.Scan(&v.VaultID, &v.Version, &v.WorkspaceID, &format, &v.Description, &v.Data,
			&enabled, &v.Action, &created, &v.CreatedBy)
		if err != nil {
			return nil, err
		}
		v.Format, v.Enabled, v.CreatedAt = vault.Format(format), enabled != 0, fromMicro(created)
		out = append(out, v)
	}
	return out, rows.Err()
}
