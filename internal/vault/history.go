package vault

import (
	"context"
	"strconv"

	"github.com/aymanbagabas/go-udiff"

	"atrium/internal/apperr"
)

// Versions lists every saved version of a vault the caller may change, newest first, with
// data opened.
func (s *Service) Versions(ctx context.Context, id string) ([]Version, error) {
	v, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	list, err := s.store.VaultVersions(ctx, v.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	for i := range list {
		plain, err := s.keys.Open(list[i].Data, sealContext(id))
		if err != nil {
			return nil, err
		}
		list[i].Data = string(plain)
	}
	return list, nil
}

func (s *Service) version(ctx context.Context, id string, n int) (Version, error) {
	list, err := s.Versions(ctx, id)
	if err != nil {
		return Version{}, err
	}
	for _, v := range list {
		if v.Version == n {
			return v, nil
		}
	}
	return Version{}, apperr.Invalidf("Vault %s has no version %d", id, n).WithSub(400, 12)
}

// Diff returns a unified line diff from version a to version b of a vault.
func (s *Service) Diff(ctx context.Context, id string, a, b int) (string, error) {
	va, err := s.version(ctx, id, a)
	if err != nil {
		return "", err
	}
	vb, err := s.version(ctx, id, b)
	if err != nil {
		return "", err
	}
	return udiff.Unified("version "+strconv.Itoa(a), "version "+strconv.Itoa(b), va.Data, vb.Data), nil
}

// Restore makes an earlier version current again, as a new version.
func (s *Service) Restore(ctx context.Context, id string, n int) (Vault, error) {
	p, err := caller(ctx)
	if err != nil {
		return Vault{}, err
	}
	old, err := s.version(ctx, id, n)
	if err != nil {
		return Vault{}, err
	}
	var out Vault
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		sealed, err := s.store.UpdateVault(ctx, p.WorkspaceID, id, func(sv *Vault) error {
			v, err := s.open(*sv)
			if err != nil {
				return err
			}
			if err := mayWrite(p, v); err != nil {
				return err
			}
			v.Format, v.Description, v.Data, v.Enabled = old.Format, old.Description, old.Data,
				old.Enabled
			if err := checkVault(&v); err != nil {
				return err
			}
			v.Version++
			v.UpdatedAt, v.UpdatedBy = s.now(), p.UserID
			out = v
			*sv = s.sealed(v)
			return nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, p, sealed, "restore")
	})
	return out, err
}
