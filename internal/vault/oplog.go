package vault

import (
	"context"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
)

// Operation is one entry of the vault activity log; Count > 1 when adjacent identical
// operations were grouped.
type Operation struct {
	At        time.Time
	Until     time.Time // the newest of a group
	Operation string    // create, edit, delete, enable, disable, restore
	VaultID   string
	VaultName string
	Scope     string
	UserID    string
	UserName  string
	Address   string
	Count     int
}

// OpFilter narrows the activity log.
type OpFilter struct {
	Vaults     []string
	Users      []string
	Operations []string
	From, To   time.Time
	Ascending  bool
	Limit      int
	NoGrouping bool
}

// Operations lists vault operations from the audit log; admins only. Adjacent entries with
// the same vault, operation and user are grouped unless NoGrouping is set.
func (s *Service) Operations(ctx context.Context, f OpFilter) ([]Operation, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, "+
			"allowed=(admin, system)", p.Role).WithSub(403, 20)
	}
	af := audit.Filter{ActionPrefix: "vault.", TargetType: "vault", TargetIDs: f.Vaults,
		Actors: f.Users, Since: f.From, Until: f.To, Ascending: f.Ascending, Limit: f.Limit}
	for _, op := range f.Operations {
		af.Actions = append(af.Actions, "vault."+op)
	}
	entries, err := s.audit.Entries(ctx, p.WorkspaceID, af)
	if err != nil {
		return nil, err
	}
	var out []Operation
	for _, e := range entries {
		op := Operation{At: e.At, Until: e.At, Operation: e.Action[len("vault."):],
			VaultID: e.TargetID, UserID: e.ActorID, UserName: e.ActorName, Address: e.Address,
			Count: 1}
		op.VaultName, _ = e.Details["name"].(string)
		op.Scope, _ = e.Details["scope"].(string)
		if n := len(out); n > 0 && !f.NoGrouping && same(out[n-1], op) {
			last := &out[n-1]
			last.Count++
			if op.At.Before(last.At) {
				last.At = op.At
			} else {
				last.Until = op.At
			}
			continue
		}
		out = append(out, op)
	}
	return out, nil
}

func same(a, b Operation) bool {
	return a.VaultID == b.VaultID && a.Operation == b.Operation && a.UserID == b.UserID
}
