// Package vault owns configuration vaults: HOCON, JSON or YAML text that the server hands to
// every ClearML SDK session and agent of the users it applies to, lowest precedence first
// (workspace, then groups in the admin-set order, then the caller's own vault). Every save
// is a version that can be diffed and restored; data is sealed at rest; delivery is answered
// from an in-memory snapshot that change notifications invalidate.
package vault

import (
	"context"
	"time"
)

// Scope says whom a vault applies to.
type Scope string

// Scopes. Organization is the whole workspace (ClearML's word for it).
const (
	ScopeOrganization   Scope = "organization"
	ScopeGroup          Scope = "group"
	ScopeUser           Scope = "user"
	ScopeServiceAccount Scope = "service_account"
)

// Type says what a vault configures.
type Type string

// Types.
const (
	TypeConfig             Type = "config"
	TypeStorageCredentials Type = "storage_credentials"
	TypeSSHServer          Type = "ssh_server"
	TypeMonitoring         Type = "monitoring"
)

// Format is the syntax of a vault's data.
type Format string

// Formats.
const (
	FormatHOCON Format = "hocon"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Vault is a stored vault. Data is plaintext here; the store holds it sealed.
type Vault struct {
	ID          string
	WorkspaceID string
	Scope       Scope
	Type        Type
	Format      Format
	Description string
	Data        string
	Enabled     bool
	GroupID     string // for ScopeGroup
	UserID      string // for ScopeUser and ScopeServiceAccount
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	UpdatedBy   string
}

// Version is one saved state of a vault.
type Version struct {
	VaultID     string
	Version     int
	WorkspaceID string
	Format      Format
	Description string
	Data        string
	Enabled     bool
	Action      string
	CreatedAt   time.Time
	CreatedBy   string
}

// Store is what the vault service needs from the database. Data fields cross it sealed.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	CreateVault(ctx context.Context, v Vault) error
	Vault(ctx context.Context, workspaceID, id string) (Vault, error)
	// Vaults lists every vault of a workspace.
	Vaults(ctx context.Context, workspaceID string) ([]Vault, error)
	// UpdateVault locks, modifies and writes one vault.
	UpdateVault(ctx context.Context, workspaceID, id string, fn func(*Vault) error) (Vault, error)
	DeleteVault(ctx context.Context, workspaceID, id string) error
	AddVaultVersion(ctx context.Context, v Version) error
	VaultVersions(ctx context.Context, workspaceID, vaultID string) ([]Version, error)
}
