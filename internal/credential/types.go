// Package credential owns API key pairs, bearer tokens and their revocation. It answers the
// per-request question "are these credentials good?" from memory: verified pairs and the set
// of revoked sessions are cached and invalidated by this package's own writes and by change
// notifications from other replicas, and last-used times are written in batches.
package credential

import (
	"context"
	"time"
)

// Credential is an access key pair. The secret itself is never stored: SecretHash is its
// keyed hash.
type Credential struct {
	AccessKey    string
	WorkspaceID  string
	UserID       string
	SecretHash   string
	Label        string
	CreatedAt    time.Time
	ExpiresAt    time.Time // zero: never
	LastUsedAt   time.Time // zero: never
	LastUsedFrom string
	SuccessorOf  string // access key this pair was rotated from
}

// Expired reports whether the pair has lapsed at now.
func (c Credential) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// Touch is one last-used update.
type Touch struct {
	AccessKey string
	At        time.Time
	From      string
}

// Revocation is a revoked token session.
type Revocation struct {
	SessionID   string
	WorkspaceID string
	UserID      string
	ExpiresAt   time.Time
	RevokedAt   time.Time
}

// Store is what credential needs from the database. Missing rows are *apperr.Error of kind
// NotFound; a duplicate key is kind Conflict.
type Store interface {
	SessionStore
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	// LockUser serialises credential changes of one user (row lock on PostgreSQL).
	LockUser(ctx context.Context, workspaceID, userID string) error
	CreateCredential(ctx context.Context, c Credential) error
	Credential(ctx context.Context, accessKey string) (Credential, error)
	Credentials(ctx context.Context, workspaceID, userID string) ([]Credential, error)
	UpdateCredential(ctx context.Context, workspaceID, userID, accessKey string,
		fn func(*Credential) error) (Credential, error)
	DeleteCredential(ctx context.Context, workspaceID, userID, accessKey string) error
	// TouchCredentials writes last-used times in one transaction; keys that no longer exist
	// are skipped.
	TouchCredentials(ctx context.Context, touches []Touch) error

	RevokeSession(ctx context.Context, r Revocation) error
	// RevokedSessions lists revocations whose tokens have not expired at now.
	RevokedSessions(ctx context.Context, now time.Time) ([]Revocation, error)
	PruneRevokedSessions(ctx context.Context, now time.Time) error

	// Setting reads a server-wide setting; PutSettingIfAbsent stores value unless the key
	// exists and returns what is stored afterwards, so concurrent starters agree.
	Setting(ctx context.Context, key string) (string, error)
	PutSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}
