// Package registry keeps the platform's workload objects as a ClearML-compatible registry:
// projects (a tree), tasks, models, datasets, queues, workers and task events. It stores
// what clients send and answers what they ask, so the SDK's Task.init() and the agent's
// queue loop run against Atrium unchanged.
//
// Every call is scoped to the caller's workspace, taken from the principal in the context.
// Changes are written to the audit log in the same transaction, except the high-volume
// calls (events, pings, worker status reports, queue pops) whose volume would drown it.
package registry

import (
	"context"
	"log/slog"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
)

// Topic is the change topic for registry objects; the ID is the object id.
const Topic = "registry"

// Options configures the registry.
type Options struct {
	// MaxEventsPerTask caps the events stored for one task; 0 means DefaultMaxEventsPerTask.
	MaxEventsPerTask int64
	// WorkerTimeout is how long a worker stays listed after its last report when it did
	// not register with its own timeout; 0 means DefaultWorkerTimeout.
	WorkerTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultMaxEventsPerTask = 1_000_000
	DefaultWorkerTimeout    = 10 * time.Minute
)

// Service is the registry domain service.
type Service struct {
	store  Store
	access Access
	audit  *audit.Log
	now    func() time.Time
	log    *slog.Logger
	opts   Options

	pops popper
}

// New returns the registry service. Every call is checked against acc; a nil acc lets
// every caller do everything (for tests of the registry alone).
func New(store Store, acc Access, log *audit.Log, now func() time.Time, logger *slog.Logger,
	opts Options) *Service {
	if opts.MaxEventsPerTask <= 0 {
		opts.MaxEventsPerTask = DefaultMaxEventsPerTask
	}
	if opts.WorkerTimeout <= 0 {
		opts.WorkerTimeout = DefaultWorkerTimeout
	}
	return &Service{store: store, access: acc, audit: log, now: now, log: logger, opts: opts}
}

// MaxEventsPerTask is the configured per-task event cap.
func (s *Service) MaxEventsPerTask() int64 { return s.opts.MaxEventsPerTask }

// caller returns the principal in ctx or an Unauthenticated error.
func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.UserID == "" || p.WorkspaceID == "" {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

// record writes an audit entry for a change to a registry object.
func (s *Service) record(ctx context.Context, p identity.Principal, action, targetType,
	targetID string, details map[string]any) error {
	return s.audit.Record(ctx, p.WorkspaceID, action, targetType, targetID, details)
}

// inTx runs fn in one transaction with the caller and one timestamp.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, p identity.Principal,
	now time.Time) error) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(ctx context.Context) error { return fn(ctx, p, now) })
}
