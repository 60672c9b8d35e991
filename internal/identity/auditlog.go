package identity

import (
	"context"

	"atrium/internal/audit"
)

// AuditEntries lists the caller's workspace's audit log, newest first, for admins.
func (s *Service) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := requireAdmin(p); err != nil {
		return nil, err
	}
	return s.audit.Entries(ctx, p.WorkspaceID, f)
}
