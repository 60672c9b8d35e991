package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/store"
)

func testTwoFactor(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	_, err := s.TwoFactor(ctx, ws.ID, u.ID)
	mustKind(t, err, apperr.NotFound, "enrolment before any")
	mustKind(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 5), apperr.NotFound, "step without a row")

	tf := identity.TwoFactor{WorkspaceID: ws.ID, UserID: u.ID, Secret: "v1:sealed-1",
		CreatedAt: t0}
	mustOK(t, s.PutTwoFactor(ctx, tf), "put")
	mustOK(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 100), "first step")
	tf.Secret, tf.CreatedAt = "v1:sealed-2", t0.Add(time.Minute)
	mustOK(t, s.PutTwoFactor(ctx, tf), "replace")
	got, err := s.TwoFactor(ctx, ws.ID, u.ID)
	if err != nil || got != tf {
		t.Fatalf("read back %+v, %v; want %+v (a new secret starts the steps over)", got, err, tf)
	}
	_, err = s.TwoFactor(ctx, newWorkspace(t, s), u.ID)
	mustKind(t, err, apperr.NotFound, "enrolment read from another workspace")

	mustOK(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 100), "step 100")
	mustKind(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 100), apperr.Conflict, "step 100 again")
	mustKind(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 99), apperr.Conflict, "an earlier step")
	mustOK(t, s.AcceptTOTPStep(ctx, ws.ID, u.ID, 101), "step 101")

	u.TwoFactorAt = t0.Add(time.Hour)
	_, err = s.UpdateUser(ctx, ws.ID, u.ID, func(x *identity.User) error {
		x.TwoFactorAt = u.TwoFactorAt
		return nil
	})
	mustOK(t, err, "switch on")
	if back, _ := s.User(ctx, ws.ID, u.ID); !back.TwoFactorAt.Equal(u.TwoFactorAt) {
		t.Fatalf("two_factor_at = %v, want %v", back.TwoFactorAt, u.TwoFactorAt)
	}

	mustOK(t, s.ReplaceRecoveryCodes(ctx, ws.ID, u.ID, []string{"h1", "h2", "h3"}), "codes")
	mustOK(t, s.UseRecoveryCode(ctx, ws.ID, u.ID, "h2", t0), "use h2")
	mustKind(t, s.UseRecoveryCode(ctx, ws.ID, u.ID, "h2", t0), apperr.NotFound, "h2 again")
	mustKind(t, s.UseRecoveryCode(ctx, ws.ID, u.ID, "h9", t0), apperr.NotFound, "unknown code")
	if n, err := s.RecoveryCodesLeft(ctx, ws.ID, u.ID); err != nil || n != 2 {
		t.Fatalf("codes left = %d, %v; want 2", n, err)
	}
	mustOK(t, s.ReplaceRecoveryCodes(ctx, ws.ID, u.ID, []string{"h4"}), "replace codes")
	mustKind(t, s.UseRecoveryCode(ctx, ws.ID, u.ID, "h1", t0), apperr.NotFound, "old code")

	mustOK(t, s.DeleteTwoFactor(ctx, ws.ID, u.ID), "delete")
	_, err = s.TwoFactor(ctx, ws.ID, u.ID)
	mustKind(t, err, apperr.NotFound, "enrolment after delete")
	if n, _ := s.RecoveryCodesLeft(ctx, ws.ID, u.ID); n != 0 {
		t.Fatalf("codes left after delete = %d", n)
	}
	mustOK(t, s.DeleteTwoFactor(ctx, ws.ID, u.ID), "delete again")
}

// testTwoFactorRace checks that one code racing on many connections is accepted once.
func testTwoFactorRace(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	mustOK(t, s.PutTwoFactor(ctx, identity.TwoFactor{WorkspaceID: ws.ID, UserID: u.ID,
		Secret: "v1:x", CreatedAt: t0}), "put")
	mustOK(t, s.ReplaceRecoveryCodes(ctx, ws.ID, u.ID, []string{"h1"}), "codes")
	var mu sync.Mutex
	steps, codes := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			errStep := s.AcceptTOTPStep(ctx, ws.ID, u.ID, 7)
			errCode := s.UseRecoveryCode(ctx, ws.ID, u.ID, "h1", t0)
			mu.Lock()
			defer mu.Unlock()
			if errStep == nil {
				steps++
			}
			if errCode == nil {
				codes++
			}
		})
	}
	wg.Wait()
	if steps != 1 || codes != 1 {
		t.Fatalf("accepted the step %d times and the code %d times; want once each",
			steps, codes)
	}
}
