package identity

import (
	"context"
	"crypto/rand"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/secret"
)

// Two-factor sign-in follows RFC 6238 with the parameters every authenticator app assumes:
// SHA-1, six digits, 30-second steps. One step of clock skew either way is allowed (RFC 6238
// section 5.2), and a step once accepted is never accepted again, so a code seen over a
// shoulder or in a proxy log cannot be replayed. The last step is kept in the database so
// every replica agrees.
const (
	totpIssuer        = "Atrium"
	totpPeriod        = 30
	totpSkew          = 1
	recoveryCodeCount = 10
	recoveryAlphabet  = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford's base32: no i, l, o, u
)

// TwoFactor is a user's TOTP enrolment as stored. Secret is sealed; LastStep is the last
// accepted time step (Unix time / 30).
type TwoFactor struct {
	WorkspaceID string
	UserID      string
	Secret      string
	LastStep    int64
	CreatedAt   time.Time
}

// TwoFactorStore is what two-factor sign-in needs from the database.
type TwoFactorStore interface {
	// TwoFactor returns the user's enrolment, confirmed or not; NotFound when none.
	TwoFactor(ctx context.Context, workspaceID, userID string) (TwoFactor, error)
	// PutTwoFactor creates or replaces the user's enrolment.
	PutTwoFactor(ctx context.Context, tf TwoFactor) error
	// DeleteTwoFactor removes the user's enrolment and recovery codes; none is no error.
	DeleteTwoFactor(ctx context.Context, workspaceID, userID string) error
	// AcceptTOTPStep stores step as the last accepted one when it is later than the stored
	// one, in one statement; Conflict when it is not (a replay), NotFound without a row.
	AcceptTOTPStep(ctx context.Context, workspaceID, userID string, step int64) error
	// ReplaceRecoveryCodes drops the user's recovery codes and stores these keyed hashes.
	ReplaceRecoveryCodes(ctx context.Context, workspaceID, userID string, hashes []string) error
	// UseRecoveryCode marks an unused code used, in one statement; NotFound when the user
	// has no unused code with this hash.
	UseRecoveryCode(ctx context.Context, workspaceID, userID, hash string, at time.Time) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, workspaceID, userID string) (int, error)
}

// TwoFactorEnabled reports whether signing in with a password also needs a code.
func (u User) TwoFactorEnabled() bool { return !u.TwoFactorAt.IsZero() }

// Enrolment is what an authenticator app needs: the base32 secret and the otpauth:// URI
// the QR code carries.
type Enrolment struct {
	Secret string
	URI    string
}

// TwoFactorState summarises the caller's two-factor sign-in for the Profile page.
type TwoFactorState struct {
	Available    bool // the caller signs in with a password and may set it up
	Enabled      bool
	Since        time.Time
	RecoveryLeft int
}

// TwoFactorState returns the caller's two-factor state.
func (s *Service) TwoFactorState(ctx context.Context) (TwoFactorState, error) {
	p, u, err := s.selfService(ctx)
	if err != nil && !apperr.Is(err, apperr.Forbidden) {
		return TwoFactorState{}, err
	}
	st := TwoFactorState{Available: err == nil, Enabled: u.TwoFactorEnabled(),
		Since: u.TwoFactorAt}
	if st.Enabled {
		st.RecoveryLeft, err = s.store.RecoveryCodesLeft(ctx, p.WorkspaceID, p.UserID)
	}
	return st, err
}

// selfService returns the caller and their current record, refusing what two-factor
// changes are not for: users without a password (they sign in through a provider),
// service accounts and an admin acting as someone else.
func (s *Service) selfService(ctx context.Context) (Principal, User, error) {
	p, err := caller(ctx)
	if err != nil {
		return Principal{}, User{}, err
	}
	u, err := s.store.User(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return Principal{}, User{}, err
	}
	switch {
	case p.ImpersonatorID != "":
		return p, u, apperr.Forbiddenf("Two-factor sign-in cannot be changed while acting " +
			"as another user")
	case u.Kind != KindPerson || !u.HasPassword():
		return p, u, apperr.Forbiddenf("Two-factor sign-in is for accounts that sign in " +
			"with a password")
	}
	return p, u, nil
}

// BeginTwoFactor makes a new secret for the caller and keeps it, sealed, until a code from
// it confirms the enrolment. Starting again replaces an unconfirmed secret.
func (s *Service) BeginTwoFactor(ctx context.Context) (Enrolment, error) {
	p, u, err := s.selfService(ctx)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TwoFactorEnabled() {
		return Enrolment{}, apperr.Conflictf("Two-factor sign-in is already on")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email,
		Period: totpPeriod, SecretSize: 20, Digits: otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return Enrolment{}, err
	}
	tf := TwoFactor{WorkspaceID: p.WorkspaceID, UserID: p.UserID, CreatedAt: s.now(),
		Secret: s.keys.Seal([]byte(key.Secret()), totpSealContext(p.UserID))}
	if err := s.store.PutTwoFactor(ctx, tf); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URI: otpauthURI(key.Secret(), u.Email)}, nil
}

// PendingTwoFactor returns the caller's unconfirmed enrolment; ok is false when there is
// none (never started, or already confirmed).
func (s *Service) PendingTwoFactor(ctx context.Context) (e Enrolment, ok bool, err error) {
	p, u, err := s.selfService(ctx)
	if err != nil || u.TwoFactorEnabled() {
		return Enrolment{}, false, err
	}
	tf, err := s.store.TwoFactor(ctx, p.WorkspaceID, p.UserID)
	if apperr.Is(err, apperr.NotFound) {
		return Enrolment{}, false, nil
	}
	if err != nil {
		return Enrolment{}, false, err
	}
	key, err := s.openSecret(tf)
	if err != nil {
		return Enrolment{}, false, err
	}
	return Enrolment{Secret: key, URI: otpauthURI(key, u.Email)}, true, nil
}

// ConfirmTwoFactor turns two-factor sign-in on once the caller's password and a code from
// the pending secret check out, and returns the recovery codes, which are shown now and
// never again. The password keeps a stolen session from locking its owner out.
func (s *Service) ConfirmTwoFactor(ctx context.Context, password, code string) ([]string,
	error) {
	_, u, err := s.selfService(ctx)
	if err != nil {
		return nil, err
	}
	if u.TwoFactorEnabled() {
		return nil, apperr.Conflictf("Two-factor sign-in is already on")
	}
	account, address := "two-factor:"+u.ID, audit.ActorFrom(ctx).Address
	if err := s.CheckSignInThrottle(account, address); err != nil {
		return nil, err
	}
	if err := checkOwnPassword(u, password); err != nil {
		s.SignInFailed(account, address)
		return nil, err
	}
	codes := newRecoveryCodes()
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkTOTP(ctx, u, code); err != nil {
			return err
		}
		if err := s.storeRecoveryCodes(ctx, u, codes); err != nil {
			return err
		}
		return s.setTwoFactor(ctx, u, s.now(), "user.two_factor_enable")
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTwoFactor turns two-factor sign-in off after checking the caller's password and a
// code (from the app or a recovery code).
func (s *Service) DisableTwoFactor(ctx context.Context, password, code string) error {
	_, u, err := s.selfService(ctx)
	if err != nil {
		return err
	}
	if !u.TwoFactorEnabled() {
		return apperr.Conflictf("Two-factor sign-in is not on")
	}
	return s.withPasswordAndCode(ctx, u, password, code, func(ctx context.Context) error {
		if err := s.store.DeleteTwoFactor(ctx, u.WorkspaceID, u.ID); err != nil {
			return err
		}
		return s.setTwoFactor(ctx, u, time.Time{}, "user.two_factor_disable")
	})
}

// RegenerateRecoveryCodes replaces the caller's recovery codes after checking the password;
// the old ones stop working. The new ones are shown now and never again.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, password string) ([]string,
	error) {
	_, u, err := s.selfService(ctx)
	if err != nil {
		return nil, err
	}
	if !u.TwoFactorEnabled() {
		return nil, apperr.Conflictf("Two-factor sign-in is not on")
	}
	if err := checkOwnPassword(u, password); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.storeRecoveryCodes(ctx, u, codes); err != nil {
			return err
		}
		return s.audit.Record(ctx, u.WorkspaceID, "user.recovery_codes_regenerate", "user",
			u.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// ResetTwoFactor turns a user's two-factor sign-in off without a code, for someone who
// lost their device and their recovery codes. Admins only, in their own workspace.
func (s *Service) ResetTwoFactor(ctx context.Context, userID string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		u, err := s.liveUser(ctx, p.WorkspaceID, userID)
		if err != nil {
			return err
		}
		if err := s.store.DeleteTwoFactor(ctx, u.WorkspaceID, u.ID); err != nil {
			return err
		}
		if !u.TwoFactorEnabled() {
			return nil
		}
		return s.setTwoFactor(ctx, u, time.Time{}, "user.two_factor_reset")
	})
}

// VerifySecondFactor checks the second step of a password sign-in: a code from the app or
// an unused recovery code. It is throttled like passwords, on its own per-user key, so a
// correct password (which clears the password counter) does not buy more guesses.
func (s *Service) VerifySecondFactor(ctx context.Context, wsID, userID, code,
	address string) (User, error) {
	account := "two-factor:" + userID
	if err := s.CheckSignInThrottle(account, address); err != nil {
		return User{}, err
	}
	u, err := s.store.User(ctx, wsID, userID)
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusActive || !u.TwoFactorEnabled() {
		return User{}, badCode()
	}
	ctx = audit.WithActor(ctx, audit.Actor{WorkspaceID: wsID, UserID: u.ID, Name: u.Name,
		Address: address})
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		return s.checkAnyCode(ctx, u, code)
	})
	if err != nil {
		if apperr.Is(err, apperr.Invalid) {
			s.SignInFailed(account, address)
		}
		return User{}, err
	}
	s.SignInSucceeded(account, address)
	s.RecordSignIn(u.WorkspaceID, u.ID, "password and code")
	return u, nil
}

// withPasswordAndCode runs fn in a transaction after the password and a code check out.
// Failures count against the same throttle as the sign-in's second step.
func (s *Service) withPasswordAndCode(ctx context.Context, u User, password,
	code string, fn func(ctx context.Context) error) error {
	if err := checkOwnPassword(u, password); err != nil {
		return err
	}
	account, address := "two-factor:"+u.ID, audit.ActorFrom(ctx).Address
	if err := s.CheckSignInThrottle(account, address); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkAnyCode(ctx, u, code); err != nil {
			return err
		}
		return fn(ctx)
	})
	if apperr.Is(err, apperr.Invalid) {
		s.SignInFailed(account, address)
	}
	return err
}

func checkOwnPassword(u User, password string) error {
	if !VerifyPassword(u.PasswordHash, password) {
		return apperr.Invalidf("The password is not correct").OnField("password")
	}
	return nil
}

// setTwoFactor writes the user's two-factor switch and audits the change.
func (s *Service) setTwoFactor(ctx context.Context, u User, at time.Time,
	action string) error {
	_, err := s.store.UpdateUser(ctx, u.WorkspaceID, u.ID, func(u *User) error {
		u.TwoFactorAt, u.UpdatedAt = at, s.now()
		return nil
	})
	if err != nil {
		return err
	}
	s.store.Publish(ctx, Topic, u.ID)
	return s.audit.Record(ctx, u.WorkspaceID, action, "user", u.ID,
		map[string]any{"email": u.Email})
}

// checkAnyCode accepts six digits as an app code and anything else as a recovery code.
func (s *Service) checkAnyCode(ctx context.Context, u User, code string) error {
	code = normalizeCode(code)
	if isTOTPCode(code) {
		return s.checkTOTP(ctx, u, code)
	}
	if code == "" {
		return badCode()
	}
	err := s.store.UseRecoveryCode(ctx, u.WorkspaceID, u.ID, s.recoveryHash(u.ID, code),
		s.now())
	if apperr.Is(err, apperr.NotFound) {
		return badCode()
	}
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, u.WorkspaceID, "user.recovery_code_use", "user", u.ID, nil)
}

// checkTOTP accepts an app code from the current step or one step either side, once.
func (s *Service) checkTOTP(ctx context.Context, u User, code string) error {
	code = normalizeCode(code)
	if !isTOTPCode(code) {
		return apperr.Invalidf("Enter the 6-digit code from your app").OnField("code")
	}
	tf, err := s.store.TwoFactor(ctx, u.WorkspaceID, u.ID)
	if apperr.Is(err, apperr.NotFound) {
		return badCode()
	}
	if err != nil {
		return err
	}
	key, err := s.openSecret(tf)
	if err != nil {
		return err
	}
	step, ok := matchStep(key, code, s.now())
	if !ok {
		return badCode()
	}
	err = s.store.AcceptTOTPStep(ctx, u.WorkspaceID, u.ID, step)
	if apperr.Is(err, apperr.Conflict) {
		return apperr.Invalidf("This code was already used; wait for the next one").
			OnField("code")
	}
	return err
}

// matchStep returns the time step within the allowed skew whose code is code.
func matchStep(key, code string, now time.Time) (int64, bool) {
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1}
	current := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := current + d
		want, err := totp.GenerateCodeCustom(key, time.Unix(step*totpPeriod, 0), opts)
		if err == nil && secret.Equal(want, code) {
			return step, true
		}
	}
	return 0, false
}

func badCode() error {
	return apperr.Invalidf("The code is not correct").OnField("code")
}

func (s *Service) openSecret(tf TwoFactor) (string, error) {
	b, err := s.keys.Open(tf.Secret, totpSealContext(tf.UserID))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func totpSealContext(userID string) string { return "totp_secret:" + userID }

// otpauthURI is the key URI authenticator apps read from a QR code (the "Key Uri Format"
// of Google Authenticator, which other apps follow).
func otpauthURI(key, email string) string {
	q := url.Values{"secret": {key}, "issuer": {totpIssuer}, "algorithm": {"SHA1"},
		"digits": {"6"}, "period": {strconv.Itoa(totpPeriod)}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + email,
		RawQuery: q.Encode()}
	return u.String()
}

func (s *Service) storeRecoveryCodes(ctx context.Context, u User, codes []string) error {
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = s.recoveryHash(u.ID, normalizeCode(c))
	}
	return s.store.ReplaceRecoveryCodes(ctx, u.WorkspaceID, u.ID, hashes)
}

// recoveryHash binds a recovery code to its user, so equal codes of two users differ.
func (s *Service) recoveryHash(userID, code string) string {
	return s.keys.Hash("recovery_code", userID+":"+code)
}

// newRecoveryCodes returns fresh codes shaped "xxxxx-xxxxx" (50 random bits each).
func newRecoveryCodes() []string {
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		b := secret.Random(10)
		var sb strings.Builder
		for j, c := range b {
			if j == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[c&31])
		}
		codes[i] = sb.String()
	}
	return codes
}

// normalizeCode drops spaces and dashes people type or paste, and lowers the case.
func normalizeCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(
		strings.TrimSpace(code)))
}

func isTOTPCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// AllowPasswordOnly refuses a sign-in that proved only the password when the user has
// turned on two-factor sign-in: the JSON API's HTTP Basic e-mail:password has no second
// step, so such users reach the API with an access key pair instead.
func AllowPasswordOnly(u User) error {
	if !u.TwoFactorEnabled() {
		return nil
	}
	return apperr.Unauthenticatedf("Unauthorized (two-factor sign-in is on for this "+
		"account: use an API access key and secret key, not the e-mail and password)").
		WithSub(401, 22)
}
