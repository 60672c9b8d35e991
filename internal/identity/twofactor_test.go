package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
)

const adminPassword = "Correct-Horse-Battery-9"

// code returns the app code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol turns two-factor sign-in on for the admin and returns the secret and recovery codes.
func (f *fixture) enrol(t *testing.T) (string, []string) {
	t.Helper()
	ctx := as(f.admin)
	e, err := f.svc.BeginTwoFactor(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	codes, err := f.svc.ConfirmTwoFactor(ctx, adminPassword, code(t, e.Secret, f.clock.t))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	return e.Secret, codes
}

// nextStep moves the clock to the start of the next 30-second step.
func (f *fixture) nextStep() {
	f.clock.t = f.clock.t.Truncate(30 * time.Second).Add(30 * time.Second)
}

func TestTwoFactorEnrolment(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	ctx := as(f.admin)
	e, err := f.svc.BeginTwoFactor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/Atrium:admin@example.com?") ||
		!strings.Contains(e.URI, "issuer=Atrium") || !strings.Contains(e.URI, "secret="+e.Secret) {
		t.Fatalf("uri = %q", e.URI)
	}
	pending, ok, err := f.svc.PendingTwoFactor(ctx)
	if err != nil || !ok || pending != e {
		t.Fatalf("pending = %+v, %v, %v; want %+v", pending, ok, err, e)
	}
	wantErr(t, errOf(f.svc.ConfirmTwoFactor(ctx, "not the password",
		code(t, e.Secret, f.clock.t))), apperr.Invalid, 0, "wrong password")
	wantErr(t, errOf(f.svc.ConfirmTwoFactor(ctx, adminPassword, "000000x")), apperr.Invalid, 0, "not digits")
	wrong := code(t, e.Secret, f.clock.t.Add(5*time.Minute))
	wantErr(t, errOf(f.svc.ConfirmTwoFactor(ctx, adminPassword, wrong)), apperr.Invalid, 0, "wrong code")

	codes, err := f.svc.ConfirmTwoFactor(ctx, adminPassword, code(t, e.Secret, f.clock.t))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("got %d recovery codes, want 10", len(codes))
	}
	st, err := f.svc.TwoFactorState(ctx)
	if err != nil || !st.Enabled || st.RecoveryLeft != 10 || !st.Available {
		t.Fatalf("state = %+v, %v", st, err)
	}
	u, _ := f.svc.UserByEmail(context.Background(), "admin@example.com")
	if !u.TwoFactorEnabled() {
		t.Fatal("user record does not say two-factor is on")
	}
	if _, ok, _ := f.svc.PendingTwoFactor(ctx); ok {
		t.Fatal("a confirmed enrolment is still pending")
	}
	_, err = f.svc.BeginTwoFactor(ctx)
	wantErr(t, err, apperr.Conflict, 0, "begin while on")
}

func errOf[T any](_ T, err error) error { return err }

func TestTwoFactorVerifyReplayAndSkew(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	key, _ := f.enrol(t)
	verify := func(c string) error {
		_, err := f.svc.VerifySecondFactor(context.Background(), f.ws.ID, f.admin.UserID, c,
			"192.0.2.1")
		return err
	}
	// The step used to confirm is spent.
	wantErr(t, verify(code(t, key, f.clock.t)), apperr.Invalid, 0, "code used to confirm")

	f.nextStep()
	now := f.clock.t
	tests := []struct {
		name string
		code string
		ok   bool
	}{
		{"one step behind was spent", code(t, key, now.Add(-30*time.Second)), false},
		{"one step ahead", code(t, key, now.Add(30*time.Second)), true},
		{"current step after a later one", code(t, key, now), false},
		{"two steps ahead", code(t, key, now.Add(60*time.Second)), false},
		{"malformed", "12345", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(tc.code)
			if got := err == nil; got != tc.ok {
				t.Fatalf("accepted = %v (%v), want %v", got, err, tc.ok)
			}
		})
	}

	f.clock.t = now.Add(90 * time.Second)
	fresh := code(t, key, f.clock.t)
	if err := verify(fresh); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
	wantErr(t, verify(fresh), apperr.Invalid, 0, "the same code again")
}

func TestTwoFactorSkewBehind(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	key, _ := f.enrol(t)
	f.clock.t = f.clock.t.Add(5 * time.Minute)
	late := code(t, key, f.clock.t.Add(-30*time.Second))
	if _, err := f.svc.VerifySecondFactor(context.Background(), f.ws.ID, f.admin.UserID, late,
		"192.0.2.1"); err != nil {
		t.Fatalf("a code one step old: %v", err)
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	_, codes := f.enrol(t)
	verify := func(c string) error {
		_, err := f.svc.VerifySecondFactor(context.Background(), f.ws.ID, f.admin.UserID, c,
			"192.0.2.1")
		return err
	}
	if err := verify(strings.ToUpper(codes[3])); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	wantErr(t, verify(codes[3]), apperr.Invalid, 0, "recovery code again")
	wantErr(t, verify("aaaaa-bbbbb"), apperr.Invalid, 0, "made-up recovery code")
	st, _ := f.svc.TwoFactorState(as(f.admin))
	if st.RecoveryLeft != 9 {
		t.Fatalf("recovery codes left = %d, want 9", st.RecoveryLeft)
	}

	fresh, err := f.svc.RegenerateRecoveryCodes(as(f.admin), adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, verify(codes[4]), apperr.Invalid, 0, "old code after regenerating")
	if err := verify(fresh[0]); err != nil {
		t.Fatalf("new recovery code: %v", err)
	}
	_, err = f.svc.RegenerateRecoveryCodes(as(f.admin), "wrong")
	wantErr(t, err, apperr.Invalid, 0, "regenerate with a wrong password")
}

func TestDisableNeedsPasswordAndCode(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	key, _ := f.enrol(t)
	ctx := as(f.admin)
	f.nextStep()
	good := code(t, key, f.clock.t)
	wantErr(t, f.svc.DisableTwoFactor(ctx, "wrong", good), apperr.Invalid, 0, "wrong password")
	wantErr(t, f.svc.DisableTwoFactor(ctx, adminPassword, "000000"), apperr.Invalid, 0,
		"wrong code")
	if err := f.svc.DisableTwoFactor(ctx, adminPassword, good); err != nil {
		t.Fatal(err)
	}
	u, _ := f.svc.UserByEmail(context.Background(), "admin@example.com")
	if u.TwoFactorEnabled() {
		t.Fatal("still on after disabling")
	}
	_, err := f.st.TwoFactor(context.Background(), f.ws.ID, f.admin.UserID)
	wantErr(t, err, apperr.NotFound, 0, "secret after disabling")
}

func TestSecondFactorIsThrottled(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	f.enrol(t)
	var err error
	for range 10 {
		_, err = f.svc.VerifySecondFactor(context.Background(), f.ws.ID, f.admin.UserID,
			"000000", "192.0.2.1")
	}
	if e := apperr.As(err); e == nil || !strings.Contains(e.Msg, "Too many") {
		t.Fatalf("after ten wrong codes: %v", err)
	}
}

func TestResetTwoFactor(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	f.enrol(t)
	bob := f.person(t, "bob@example.com", identity.RoleUser)
	wantErr(t, f.svc.ResetTwoFactor(as(bob), f.admin.UserID), apperr.Forbidden, 0,
		"a non-admin resets")
	if err := f.svc.ResetTwoFactor(as(f.admin), f.admin.UserID); err != nil {
		t.Fatal(err)
	}
	u, _ := f.svc.UserByEmail(context.Background(), "admin@example.com")
	if u.TwoFactorEnabled() {
		t.Fatal("still on after a reset")
	}
}

func TestTwoFactorNeedsAPassword(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	bob := f.person(t, "bob@example.com", identity.RoleUser) // invited: no password
	_, err := f.svc.BeginTwoFactor(as(bob))
	wantErr(t, err, apperr.Forbidden, 0, "user without a password")
}

func TestTwoFactorChangesAreAudited(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	key, codes := f.enrol(t)
	ctx := as(f.admin)
	if _, err := f.svc.VerifySecondFactor(context.Background(), f.ws.ID, f.admin.UserID,
		codes[0], "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RegenerateRecoveryCodes(ctx, adminPassword); err != nil {
		t.Fatal(err)
	}
	f.nextStep()
	if err := f.svc.DisableTwoFactor(ctx, adminPassword, code(t, key, f.clock.t)); err != nil {
		t.Fatal(err)
	}
	f.nextStep()
	e, err := f.svc.BeginTwoFactor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmTwoFactor(ctx, adminPassword, code(t, e.Secret, f.clock.t)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ResetTwoFactor(ctx, f.admin.UserID); err != nil {
		t.Fatal(err)
	}
	entries, err := f.st.AuditEntries(context.Background(), f.ws.ID,
		audit.Filter{ActionPrefix: "user.", Ascending: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.Contains(e.Action, "two_factor") || strings.Contains(e.Action, "recovery") {
			got = append(got, e.Action)
		}
	}
	want := []string{"user.two_factor_enable", "user.recovery_code_use",
		"user.recovery_codes_regenerate", "user.two_factor_disable", "user.two_factor_enable",
		"user.two_factor_reset"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audited %q, want %q", got, want)
	}
}
