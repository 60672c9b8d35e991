// Package registry keeps the platform's workload objects as a ClearML-compatible registry:
// projects (a tree), tasks, models, datasets, queues, workers and task events. It stores
// what clients send and answers what they ask, so the SDK's Task.init() and the agent's
// queue loop run against Atrium unchanged.
package registry

import (
	"log/slog"
	"time"

	"atrium/internal/audit"
)

// Store is what the registry needs from the database.
type Store interface{}

// Options configures the registry.
type Options struct{}

// Service is the registry domain service.
type Service struct {
	store Store
	audit *audit.Log
	now   func() time.Time
	log   *slog.Logger
	opts  Options
}

// New returns the registry service.
func New(store Store, log *audit.Log, now func() time.Time, logger *slog.Logger,
	opts Options) *Service {
	return &Service{store: store, audit: log, now: now, log: logger, opts: opts}
}
