package identity

import (
	"context"
	"sort"
	"time"

	"atrium/internal/apperr"
)

// Principal is the caller of a request, built once per request from its credentials and
// the current state of the user (so a role change is seen at once, not at token expiry).
type Principal struct {
	WorkspaceID   string
	WorkspaceName string
	UserID        string
	Name          string
	Email         string
	Role          Role
	// ImpersonatorID is the real caller when a session acts as another user.
	ImpersonatorID string
	// ActAs is set when the session has the user's identity but the impersonator's role.
	ActAs bool
	// SessionID is the token session, empty for Basic credentials.
	SessionID string
	// AccessKey is the API key used, empty for tokens and passwords.
	AccessKey string
	// Kind tells people from service accounts.
	Kind Kind
	// AllowImpersonation is set for service accounts that may act as other users.
	AllowImpersonation bool
	// Groups are the ids of every group the user is in, the implicit ones included.
	Groups []string
	// SessionsValidAfter ends tokens issued before it.
	SessionsValidAfter time.Time
}

// InGroup reports whether p is a member of the group with the given id. Groups is kept
// sorted, so this is a binary search.
func (p Principal) InGroup(id string) bool {
	i := sort.SearchStrings(p.Groups, id)
	return i < len(p.Groups) && p.Groups[i] == id
}

// IsAdmin reports whether p may administer the workspace.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin || p.Role == RoleSystem }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller in ctx and whether there is one.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// caller returns the principal in ctx or an Unauthenticated error.
func caller(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

// requireAdmin refuses callers who are not workspace administrators.
func requireAdmin(p Principal) error {
	if p.IsAdmin() {
		return nil
	}
	return apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, allowed=(admin, system)",
		p.Role).WithSub(403, 20)
}

// mayActOn enforces "a user manages themself; an admin manages anyone in the workspace".
func mayActOn(p Principal, userID string) error {
	if p.UserID == userID || p.IsAdmin() {
		return nil
	}
	return apperr.Forbiddenf("Forbidden (modification not allowed)").WithSub(403, 21)
}
