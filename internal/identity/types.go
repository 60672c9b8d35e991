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

// Statuses. A removed user's row stays so objects keep their owner id and name.
const (
	StatusActive      Status = "active"
	StatusInvited     Status = "invited"
	StatusDeactivated Status = "deactivated"
	StatusRemoved     Status = "removed"
)

// Kind separates people from service accounts (API-only identities).
type Kind string

// Kinds.
const (
	KindPerson  Kind = "person"
	KindService Kind = "service"
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

	Kind Kind
	// AllowImpersonation lets a service account act as other users (an agent running a
	// task as its owner).
	AllowImpersonation bool
	LastLoginAt        time.Time
	LastLoginMethod    string
	LastUIAt           time.Time
	RemovedAt          time.Time
	// SessionsValidAfter ends every token issued before it (password change, sign out
	// everywhere).
	SessionsValidAfter time.Time
	// TwoFactorAt is when the user turned on two-factor sign-in; zero while it is off.
	TwoFactorAt time.Time
}

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// UserFilter narrows ListUsers. Zero values mean "any".
type UserFilter struct {
	IDs      []string
	Limit    int
	Offset   int
	OrderBy  string // "name", "-name", "created", "-created", "email", "-email"
	NameLike string // case-insensitive substring of name or e-mail, or an exact id
	Kind     Kind
	Statuses []Status
}

// Activity is one batched update of a user's last sign-in or last UI activity.
type Activity struct {
	WorkspaceID string
	UserID      string
	LoginAt     time.Time // zero: unchanged
	LoginMethod string
	UIAt        time.Time // zero: unchanged
}

// GroupKind says whether a group is built in.
type GroupKind string

// Group kinds. Everyone is implicitly in Users; Admins mirrors the admin role.
const (
	GroupUsers       GroupKind = "users"
	GroupAdmins      GroupKind = "admins"
	GroupQueueAdmins GroupKind = "queue_admins"
	GroupCustom      GroupKind = "custom"
)

// Group is a named set of users and service accounts.
type Group struct {
	ID          string
	WorkspaceID string
	Name        string
	Description string
	Kind        GroupKind
	Position    int // admin-set order, used where groups have precedence
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Invitation is a pending invitation. The token itself is never stored.
type Invitation struct {
	ID          string
	WorkspaceID string
	UserID      string
	Email       string
	Role        Role
	TokenHash   string
	InvitedBy   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
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
	TwoFactorStore

	// CountFilteredUsers counts what Users would list without paging.
	CountFilteredUsers(ctx context.Context, workspaceID string, f UserFilter) (int, error)
	RecordActivity(ctx context.Context, batch []Activity) error
	// LastCredentialUse and CredentialCounts summarise each user's API key pairs.
	LastCredentialUse(ctx context.Context, workspaceID string, userIDs []string) (
		map[string]time.Time, error)
	CredentialCounts(ctx context.Context, workspaceID string, userIDs []string) (
		map[string]int, error)
	// DeleteCredentialsOf removes every pair of a user and returns their access keys.
	DeleteCredentialsOf(ctx context.Context, workspaceID, userID string) ([]string, error)

	CreateGroup(ctx context.Context, g Group) error
	Group(ctx context.Context, workspaceID, id string) (Group, error)
	Groups(ctx context.Context, workspaceID string) ([]Group, error)
	UpdateGroup(ctx context.Context, workspaceID, id string, fn func(*Group) error) (Group, error)
	DeleteGroup(ctx context.Context, workspaceID, id string) error
	// GroupMembers maps each group of the workspace to its explicit members.
	GroupMembers(ctx context.Context, workspaceID string) (map[string][]string, error)
	SetGroupMembers(ctx context.Context, workspaceID, groupID string, userIDs []string) error
	AddGroupMember(ctx context.Context, workspaceID, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, workspaceID, groupID, userID string) error
	// UserGroups lists the groups a user is an explicit member of.
	UserGroups(ctx context.Context, workspaceID, userID string) ([]string, error)
	// GroupsOfUsers maps each of the given users to their explicit groups.
	GroupsOfUsers(ctx context.Context, workspaceID string, userIDs []string) (
		map[string][]string, error)
	LeaveAllGroups(ctx context.Context, workspaceID, userID string) error

	CreateInvitation(ctx context.Context, inv Invitation) error
	InvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	Invitations(ctx context.Context, workspaceID string) ([]Invitation, error)
	DeleteInvitation(ctx context.Context, workspaceID, id string) error
	DeleteInvitationsOf(ctx context.Context, workspaceID, userID string) error
	// DeleteUser removes a user row for good; only for invitations never accepted.
	DeleteUser(ctx context.Context, workspaceID, id string) error

	WorkspaceSetting(ctx context.Context, workspaceID, key string) (string, error)
	PutWorkspaceSetting(ctx context.Context, workspaceID, key, value string) error
}
