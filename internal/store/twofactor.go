package store

import (
	"context"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

// TwoFactor returns a user's TOTP enrolment.
func (s *Store) TwoFactor(ctx context.Context, workspaceID, userID string) (
	identity.TwoFactor, error) {
	tf := identity.TwoFactor{WorkspaceID: workspaceID, UserID: userID}
	var created int64
	err := s.queryRow(ctx, `SELECT secret, last_step, created_at FROM two_factor
		WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID).
		Scan(&tf.Secret, &tf.LastStep, &created)
	tf.CreatedAt = fromMicro(created)
	return tf, rowErr(err, "two-factor enrolment")
}

// PutTwoFactor creates or replaces a user's enrolment; the last accepted step starts over.
func (s *Store) PutTwoFactor(ctx context.Context, tf identity.TwoFactor) error {
	_, err := s.exec(ctx, `INSERT INTO two_factor (user_id, workspace_id, secret, last_step,
		created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
		last_step = excluded.last_step, created_at = excluded.created_at
		WHERE two_factor.workspace_id = excluded.workspace_id`,
		tf.UserID, tf.WorkspaceID, tf.Secret, tf.LastStep, micro(tf.CreatedAt))
	return err
}

// DeleteTwoFactor removes a user's enrolment and recovery codes.
func (s *Store) DeleteTwoFactor(ctx context.Context, workspaceID, userID string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM recovery_codes
			WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID); err != nil {
			return err
		}
		_, err := s.exec(ctx, "DELETE FROM two_factor WHERE workspace_id = ? AND user_id = ?",
			workspaceID, userID)
		return err
	})
}

// AcceptTOTPStep moves the last accepted step forward; the condition in the UPDATE makes
// two replicas racing with one code agree that only one of them accepted it.
func (s *Store) AcceptTOTPStep(ctx context.Context, workspaceID, userID string,
	step int64) error {
	res, err := s.exec(ctx, `UPDATE two_factor SET last_step = ?
		WHERE workspace_id = ? AND user_id = ? AND last_step < ?`,
		step, workspaceID, userID, step)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if _, err := s.TwoFactor(ctx, workspaceID, userID); err != nil {
		return err
	}
	return apperr.Conflictf("time step already used")
}

// ReplaceRecoveryCodes swaps a user's recovery codes for new hashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, workspaceID, userID string,
	hashes []string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `DELETE FROM recovery_codes
			WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := s.exec(ctx, `INSERT INTO recovery_codes (workspace_id, user_id,
				code_hash) VALUES (?, ?, ?)`, workspaceID, userID, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode marks an unused code used; the condition makes it work once even when
// two requests race.
func (s *Store) UseRecoveryCode(ctx context.Context, workspaceID, userID, hash string,
	at time.Time) error {
	res, err := s.exec(ctx, `UPDATE recovery_codes SET used_at = ?
		WHERE workspace_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL`,
		micro(at), workspaceID, userID, hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("recovery code")
	}
	return nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, workspaceID, userID string) (int,
	error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes
		WHERE workspace_id = ? AND user_id = ? AND used_at IS NULL`, workspaceID, userID).
		Scan(&n)
	return n, mapErr(err)
}
