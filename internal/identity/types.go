// Package identity owns workspaces, users, passwords, preferences and the per-user web app
// cloud access rows: who someone is and what they have told the server about themselves.
// It also answers the per-request question "who is this id now?" from a cache, so a role
// change or a removal is seen on the next request without a database query per call.
package identity

import (
	"context"
	"time"
)

// Role is what a user may do across the workspace.
type Role string

// Roles. System is for built-in service identities and is never assigned from the UI.
const (
	RoleAdmin  Role = "admin"
	RoleUser   Role = "user"
	RoleSystem Role = "system"
)

// Status is where a user is in their life cycle.
type Status string

// Statuses.
const (
	StatusActive      Status = "active"
	StatusInvited     Status = "invited"
	StatusDeactivated Status = "deactivated"
)

// Workspace is a tenant: ClearML calls it a company.
type Workspace struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// User is a person or a machine identity in a workspace.
type User struct {
	ID               string
	WorkspaceID      string
	Email            string // empty for identities without one
	Name             string
	GivenName        string
	FamilyName       string
	Avatar           string
	Role             Role
	Status           Status
	PasswordHash     string // argon2id encoded; empty when the user has no password
	CreatedInVersion string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// UserFilter narrows ListUsers. Zero values mean "any".
type UserFilter struct {
	IDs      []string
	Limit    int
	Offset   int
	OrderBy  string // "name", "-name", "created", "-created", "email", "-email"
	NameLike string // case-insensitive substring
}

// CloudAccess is one row of a user's web app cloud access: credentials the browser uses to
// show objects in a bucket. Secret and Token are plaintext here; the store keeps them sealed.
type CloudAccess struct {
	ID          string
	WorkspaceID string
	UserID      string
	Position    int
	Bucket      string
	AccessKey   string
	Secret      string
	Token       string
	Region      string
	Endpoint    string
	UpdatedAt   time.Time
}

// Store is what identity needs from the database. Methods return *apperr.Error of kind
// NotFound or Conflict for missing rows and unique violations. Writes made inside InTx
// commit or roll back together.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	CreateWorkspace(ctx context.Context, w Workspace) error
	Workspace(ctx context.Context, id string) (Workspace, error)
	Workspaces(ctx context.Context) ([]Workspace, error)

	CreateUser(ctx context.Context, u User) error
	User(ctx context.Context, workspaceID, id string) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser reads the user with a row lock, applies fn and writes the result.
	UpdateUser(ctx context.Context, workspaceID, id string, fn func(*User) error) (User, error)
	Users(ctx context.Context, workspaceID string, f UserFilter) ([]User, error)
	CountUsers(ctx context.Context) (int, error)

	Preferences(ctx context.Context, workspaceID, userID string) (string, error)
	// UpdatePreferences reads the stored document (or "{}") with a lock, applies fn and
	// writes what fn returns.
	UpdatePreferences(ctx context.Context, workspaceID, userID string, at time.Time,
		fn func(doc string) (string, error)) error

	CloudAccess(ctx context.Context, workspaceID, userID string) ([]CloudAccess, error)
	ReplaceCloudAccess(ctx context.Context, workspaceID, userID string, rows []CloudAccess) error
}
