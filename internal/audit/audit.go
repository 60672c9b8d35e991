// Package audit writes the append-only record of every change: who, what, when, from which
// address. Entries are written in the same transaction as the change they describe, so a
// change is never acknowledged without its entry. Callers pass details that never contain a
// secret; Log drops any detail key that looks like one as a second line of defence.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Entry is one audit record.
type Entry struct {
	ID          int64
	WorkspaceID string
	At          time.Time
	ActorID     string
	ActorName   string
	Action      string // "credential.create", "user.update", ...
	TargetType  string
	TargetID    string
	Address     string
	RequestID   string
	Details     map[string]any
}

// Filter narrows Entries. Empty fields mean "any".
type Filter struct {
	Action       string
	Actions      []string
	ActionPrefix string // "vault." selects every vault operation
	Actor        string
	Actors       []string
	TargetType   string
	TargetIDs    []string
	Since        time.Time
	Until        time.Time
	Limit        int
	Offset       int
	Ascending    bool
}

// Store appends and lists entries.
type Store interface {
	AppendAudit(ctx context.Context, e Entry) error
	AuditEntries(ctx context.Context, workspaceID string, f Filter) ([]Entry, error)
}

// Actor is who made a change and from where; services take it from the request context.
type Actor struct {
	WorkspaceID string
	UserID      string
	Name        string
	Address     string
	RequestID   string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or the zero Actor.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Log writes audit entries.
type Log struct {
	store Store
	now   func() time.Time
}

// New returns a Log writing to store.
func New(store Store, now func() time.Time) *Log {
	return &Log{store: store, now: now}
}

// Record appends an entry for action on target, attributed to the actor in ctx. Call it
// inside the transaction that makes the change.
func (l *Log) Record(ctx context.Context, workspaceID, action, targetType, targetID string,
	details map[string]any) error {
	a := ActorFrom(ctx)
	e := Entry{
		WorkspaceID: workspaceID,
		At:          l.now(),
		ActorID:     a.UserID,
		ActorName:   a.Name,
		Action:      action,
		TargetType:  targetType,
		TargetID:    targetID,
		Address:     a.Address,
		RequestID:   a.RequestID,
		Details:     scrub(details),
	}
	if err := l.store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Entries lists a workspace's entries, newest first.
func (l *Log) Entries(ctx context.Context, workspaceID string, f Filter) ([]Entry, error) {
	return l.store.AuditEntries(ctx, workspaceID, f)
}

// scrub removes detail keys whose names suggest a secret.
func scrub(details map[string]any) map[string]any {
	if len(details) == 0 {
		return nil
	}
	out := make(map[string]any, len(details))
	for k, v := range details {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "password") ||
			strings.Contains(lk, "token") {
			continue
		}
		out[k] = v
	}
	return out
}

// EncodeDetails renders details for storage.
func EncodeDetails(d map[string]any) string {
	if len(d) == 0 {
		return "{}"
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "{}"
	}
	return string(b)
}
