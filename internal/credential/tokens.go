package credential

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Claims is the JWT payload ClearML clients read (wire.md section 2.4). Clients decode it
// without verifying; the server verifies the HS256 signature, expiry and revocation.
type Claims struct {
	Identity      TokenIdentity `json:"identity"`
	AuthType      string        `json:"auth_type"`
	SessionID     string        `json:"session_id"`
	Env           string        `json:"env"`
	APIVersion    string        `json:"api_version"`
	ServerVersion string        `json:"server_version"`
	ServerBuild   string        `json:"server_build"`
	FeatureSet    string        `json:"feature_set"`
	// Impersonator is the real caller's user id when the token acts as another user.
	Impersonator string `json:"impersonator,omitempty"`
	// ActAs marks X-ClearML-Act-As tokens: the user's identity with the impersonator's role.
	ActAs bool `json:"act_as,omitempty"`
	// AccessKey binds a token to the key pair it was obtained with: revoking or expiring the
	// pair ends the token (and every token refreshed from it) too.
	AccessKey string `json:"ak,omitempty"`
	// IssuedMicro is the issue time in microseconds: "iat" has whole seconds only, and a
	// token issued in the same second as "sign out everywhere" must still end.
	IssuedMicro int64 `json:"iat_us,omitempty"`
	// Until caps every token renewed from this one (Unix seconds): a web session begun at
	// an identity provider cannot be stretched past its maximum age by renewing it.
	Until int64 `json:"max_exp,omitempty"`
	jwt.RegisteredClaims
}

// issued is when the token was made, as precisely as it says.
func (c Claims) issued() time.Time {
	if c.IssuedMicro != 0 {
		return time.UnixMicro(c.IssuedMicro)
	}
	if c.IssuedAt != nil {
		return c.IssuedAt.Time
	}
	return time.Time{}
}

// TokenIdentity is the "identity" claim.
type TokenIdentity struct {
	User        string `json:"user"`
	Company     string `json:"company"`
	Role        string `json:"role"`
	UserName    string `json:"user_name"`
	CompanyName string `json:"company_name"`
	// ServiceAccountType marks service accounts: 1 for plain ones, 2 for those allowed to
	// act as a task's owner, which newer agents accept for run-as-owner mode.
	ServiceAccountType int `json:"service_account_type,omitempty"`
}

// tokenSecretKey is the server setting holding the sealed signing secret.
const tokenSecretKey = "token_secret"

// loadSigningKey returns the token-signing secret, creating it once. It is stored sealed in
// the database so every replica sharing the database signs and accepts the same tokens.
func loadSigningKey(ctx context.Context, store Store, keys *secret.Keyring) ([]byte, error) {
	fresh := keys.Seal(secret.Random(32), tokenSecretKey)
	stored, err := store.PutSettingIfAbsent(ctx, tokenSecretKey, fresh)
	if err != nil {
		return nil, fmt.Errorf("token secret: %w", err)
	}
	key, err := keys.Open(stored, tokenSecretKey)
	if err != nil {
		return nil, fmt.Errorf("token secret: %w (is the master key the one this database "+
			"was created with?)", err)
	}
	return key, nil
}

// Token is an issued token and its claims.
type Token struct {
	Raw    string
	Claims Claims
}

// issue signs a token for p valid for ttl (0: no expiry).
func (s *Service) issue(p identity.Principal, ttl time.Duration) (Token, error) {
	return s.issueSession(p, ttl, secret.ID(), 0)
}

// issueSession issues a token in session sid (revoking the session ends every token in it),
// capped for renewals at until (Unix seconds, 0 for none).
func (s *Service) issueSession(p identity.Principal, ttl time.Duration, sid string,
	until int64) (Token, error) {
	now := s.now()
	c := Claims{
		Identity: TokenIdentity{User: p.UserID, Company: p.WorkspaceID, Role: string(p.Role),
			UserName: p.Name, CompanyName: p.WorkspaceName,
			ServiceAccountType: serviceAccountType(p)},
		AuthType:      "Bearer",
		SessionID:     sid,
		Env:           "<unknown>",
		APIVersion:    s.opts.APIVersion,
		ServerVersion: s.opts.ServerVersion,
		ServerBuild:   "",
		FeatureSet:    s.featureSet(),
		Impersonator:  p.ImpersonatorID,
		ActAs:         p.ActAs,
		AccessKey:     p.AccessKey,
		Until:         until,
	}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.IssuedMicro = now.UnixMicro()
	if ttl > 0 {
		c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	}
	raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, &c).SignedString(s.signingKey)
	if err != nil {
		return Token{}, fmt.Errorf("sign token: %w", err)
	}
	return Token{Raw: raw, Claims: c}, nil
}

func serviceAccountType(p identity.Principal) int {
	switch {
	case p.Kind != identity.KindService:
		return 0
	case p.AllowImpersonation:
		return 2
	}
	return 1
}

func (s *Service) featureSet() string {
	if s.opts.FeatureSet != nil {
		return s.opts.FeatureSet()
	}
	return "basic"
}

func tokenError(extra string) error {
	return apperr.Unauthenticatedf("Invalid token (%s)", extra).WithSub(401, 30)
}

// parse verifies a token's signature and expiry and returns its claims. Tokens verified
// before are answered from a bounded cache keyed by the whole token string, so the
// signature is checked once per token rather than once per request; expiry is still
// checked every time.
func (s *Service) parse(raw string) (Claims, error) {
	if c, ok := s.verified.get(raw, s.now()); ok {
		return c, nil
	}
	c, err := s.verify(raw)
	if err == nil {
		s.verified.put(raw, c)
	}
	return c, err
}

func (s *Service) verify(raw string) (Claims, error) {
	var c Claims
	tok, err := s.parser.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) {
		return s.signingKey, nil
	})
	switch {
	case err == nil:
	case tok != nil && tok.Method != nil && tok.Method.Alg() != "HS256":
		return Claims{}, tokenError("jwt invalid key error")
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, apperr.Unauthenticatedf("Invalid token (invalid jwt token): "+
			"reason=Signature has expired").WithSub(401, 30)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Claims{}, apperr.Unauthenticatedf("Invalid token (invalid jwt token): "+
			"reason=Signature verification failed").WithSub(401, 30)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return Claims{}, tokenError("jwt invalid key error")
	default:
		return Claims{}, tokenError("failed processing token")
	}
	if c.Identity.User == "" || c.Identity.Company == "" {
		return Claims{}, tokenError("token missing identity")
	}
	return c, nil
}

// Authenticate checks a bearer token and returns the principal it stands for, with the
// user's current role and name. Revoked sessions and users who are gone or deactivated
// are refused.
func (s *Service) Authenticate(ctx context.Context, raw string) (identity.Principal, Claims,
	error) {
	c, err := s.parse(raw)
	if err != nil {
		return identity.Principal{}, Claims{}, err
	}
	if s.revoked.has(c.SessionID) {
		return identity.Principal{}, Claims{}, tokenError("revoked token")
	}
	if c.AccessKey != "" {
		if err := s.pairStillValid(ctx, c.AccessKey); err != nil {
			return identity.Principal{}, Claims{}, err
		}
	}
	p, err := s.users.Principal(ctx, c.Identity.Company, c.Identity.User)
	if err != nil {
		return identity.Principal{}, Claims{}, err
	}
	if issued := c.issued(); !issued.IsZero() && issued.Before(p.SessionsValidAfter) {
		return identity.Principal{}, Claims{}, tokenError("session ended: signed out everywhere " +
			"or password changed")
	}
	if c.Impersonator != "" {
		if p, err = s.impersonated(ctx, c, p); err != nil {
			return identity.Principal{}, Claims{}, err
		}
	}
	p.SessionID, p.AccessKey = c.SessionID, c.AccessKey
	return p, c, nil
}

// pairStillValid checks, from the pair cache, that the key a token was obtained with has not
// been revoked or expired since.
func (s *Service) pairStillValid(ctx context.Context, accessKey string) error {
	pair, err := s.pairs.get(ctx, s.store, accessKey)
	if err != nil {
		return err
	}
	if pair.AccessKey == "" {
		return tokenError("the credentials this token was issued for were revoked")
	}
	if pair.Expired(s.now()) {
		return tokenError("the credentials this token was issued for have expired")
	}
	return nil
}

// impersonated re-checks, on every use of an impersonation token, that the real caller may
// still act as the user: a deactivated admin's tokens die with them.
func (s *Service) impersonated(ctx context.Context, c Claims, target identity.Principal) (
	identity.Principal, error) {
	by, err := s.users.Principal(ctx, c.Identity.Company, c.Impersonator)
	if err != nil {
		return identity.Principal{}, tokenError("impersonating user is not active")
	}
	mayImpersonate := by.IsAdmin() || (by.Kind == identity.KindService && by.AllowImpersonation &&
		!target.IsAdmin() && target.Kind != identity.KindService)
	if !mayImpersonate {
		return identity.Principal{}, tokenError("impersonation no longer allowed")
	}
	target.ImpersonatorID = by.UserID
	if c.ActAs {
		target.ActAs = true
		target.Role = by.Role
		target.Name = by.Name + " (acting as " + target.Name + ")"
	}
	return target, nil
}

// Login issues a token for p. expiration overrides the default lifetime; it must not exceed
// the configured maximum.
func (s *Service) Login(p identity.Principal, expiration *int64) (Token, error) {
	ttl := s.opts.TokenExpiration
	if expiration != nil {
		maxSec := int64(s.opts.MaxTokenExpiration / time.Second)
		if *expiration < 0 || *expiration > maxSec {
			return Token{}, apperr.Invalidf("Validation error (expiration_sec must be between 0 "+
				"and %d)", int64(s.opts.MaxTokenExpiration/time.Second)).WithSub(400, 12)
		}
		if *expiration > 0 {
			ttl = time.Duration(*expiration) * time.Second
		}
	}
	return s.issue(p, ttl)
}

// Renew issues a token from a token (auth.login with a bearer token or the session cookie).
// The new token stays in the parent's session, so ending that session (signing out one
// web session on the Profile page, say) ends it too; a parent with a maximum age passes the
// cap on.
func (s *Service) Renew(p identity.Principal, parent Claims, expiration *int64) (Token, error) {
	tok, err := s.Login(p, expiration)
	if err != nil || parent.SessionID == "" {
		return tok, err
	}
	ttl := time.Duration(0)
	if tok.Claims.ExpiresAt != nil {
		ttl = tok.Claims.ExpiresAt.Time.Sub(s.now())
	}
	if parent.Until != 0 {
		if left := time.Unix(parent.Until, 0).Sub(s.now()); ttl == 0 || left < ttl {
			ttl = left
		}
		if ttl <= 0 {
			return Token{}, tokenError("session expired")
		}
	}
	return s.issueSession(p, ttl, parent.SessionID, parent.Until)
}

// LoginUntil issues a token for a web session that must end after maxAge, whatever
// renewals follow.
func (s *Service) LoginUntil(p identity.Principal, maxAge time.Duration) (Token, error) {
	return s.issueSession(p, maxAge, secret.ID(), s.now().Add(maxAge).Unix())
}

// Logout revokes the session of a token. It is durable before it returns and holds on
// every replica sharing the database.
func (s *Service) Logout(ctx context.Context, c Claims) error {
	if c.SessionID == "" {
		return nil
	}
	exp := s.now().Add(s.opts.MaxTokenExpiration)
	if c.ExpiresAt != nil {
		exp = c.ExpiresAt.Time
	}
	r := Revocation{SessionID: c.SessionID, WorkspaceID: c.Identity.Company,
		UserID: c.Identity.User, ExpiresAt: exp, RevokedAt: s.now()}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.RevokeSession(ctx, r); err != nil {
			return err
		}
		err := s.store.EndWebSession(ctx, c.Identity.Company, c.Identity.User, c.SessionID,
			s.now())
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err // tokens from auth.login have no web session
		}
		s.store.Publish(ctx, SessionTopic, c.SessionID)
		return s.audit.Record(ctx, c.Identity.Company, "session.revoke", "user",
			c.Identity.User, map[string]any{"session_id": c.SessionID})
	})
}

// Validate reports whether a token is good, for auth.validate_token.
func (s *Service) Validate(ctx context.Context, raw string) (identity.Principal, error) {
	p, _, err := s.Authenticate(ctx, raw)
	return p, err
}

// tokenCache remembers tokens whose signature was verified.
type tokenCache struct {
	mu      sync.RWMutex
	entries map[string]Claims
}

const tokenCacheSize = 50_000

func (tc *tokenCache) get(raw string, now time.Time) (Claims, bool) {
	tc.mu.RLock()
	c, ok := tc.entries[raw]
	tc.mu.RUnlock()
	if !ok || (c.ExpiresAt != nil && !now.Before(c.ExpiresAt.Time)) {
		return Claims{}, false
	}
	return c, true
}

func (tc *tokenCache) put(raw string, c Claims) {
	tc.mu.Lock()
	if tc.entries == nil || len(tc.entries) >= tokenCacheSize {
		tc.entries = make(map[string]Claims, 1024)
	}
	tc.entries[raw] = c
	tc.mu.Unlock()
}
