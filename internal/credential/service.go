package credential

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Change topics this package publishes.
const (
	Topic        = "credential" // id: access key
	SessionTopic = "session"    // id: revoked session id
)

// Options configures the service.
type Options struct {
	TokenExpiration    time.Duration
	MaxTokenExpiration time.Duration
	MaxPerUser         int
	MaxExpiration      time.Duration // 0: no maximum
	APIVersion         string
	ServerVersion      string
	LastUsedFlush      time.Duration
	// FeatureSet returns the token feature_set claim; nil means "basic".
	FeatureSet func() string
}

// Principals resolves a user id to the current principal; identity.Service implements it.
type Principals interface {
	Principal(ctx context.Context, workspaceID, userID string) (identity.Principal, error)
	User(ctx context.Context, id string) (identity.User, error)
}

// Service is the credential domain service.
type Service struct {
	store Store
	users Principals
	audit *audit.Log
	keys  *secret.Keyring
	now   func() time.Time
	log   *slog.Logger
	opts  Options

	signingKey []byte
	parser     *jwt.Parser
	revoked    revokedSet
	verified   tokenCache
	pairs      pairCache
	touches    touchBuffer
	seen       seenBuffer
}

// New builds the service, loading (or creating) the token-signing key and the set of
// revoked sessions.
func New(ctx context.Context, store Store, users Principals, log *audit.Log,
	keys *secret.Keyring, now func() time.Time, logger *slog.Logger, opts Options) (
	*Service, error) {
	key, err := loadSigningKey(ctx, store, keys)
	if err != nil {
		return nil, err
	}
	s := &Service{store: store, users: users, audit: log, keys: keys, now: now, log: logger,
		opts: opts, signingKey: key,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}),
			jwt.WithTimeFunc(now), jwt.WithIssuedAt())}
	s.pairs.init()
	s.touches.init()
	if err := s.reloadRevoked(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// OnChange drops cached state after a change notification.
func (s *Service) OnChange(topic, id string) {
	switch topic {
	case Topic:
		s.pairs.drop(id)
	case SessionTopic:
		s.revoked.add(id, s.now().Add(s.opts.MaxTokenExpiration))
	case identity.Topic:
		s.pairs.dropUser(id)
	case "*":
		s.pairs.clear()
		go func() {
			if err := s.reloadRevoked(context.Background()); err != nil {
				s.log.Error("reload revoked sessions", "error", err)
			}
		}()
	}
}

func (s *Service) reloadRevoked(ctx context.Context) error {
	list, err := s.store.RevokedSessions(ctx, s.now())
	if err != nil {
		return err
	}
	s.revoked.replace(list)
	return nil
}

// Run flushes last-used times and prunes old revocations until ctx ends, then flushes once
// more.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.opts.LastUsedFlush)
	defer tick.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			s.Flush(context.Background())
			return
		case <-tick.C:
			s.Flush(ctx)
		case <-prune.C:
			if err := s.store.PruneRevokedSessions(ctx, s.now()); err != nil {
				s.log.Warn("prune revoked sessions", "error", err)
			}
			s.revoked.prune(s.now())
		}
	}
}

// Flush writes buffered last-used and last-seen times in one batch each.
func (s *Service) Flush(ctx context.Context) {
	s.flushSeen(ctx)
	batch := s.touches.take()
	if len(batch) == 0 {
		return
	}
	if err := s.store.TouchCredentials(ctx, batch); err != nil {
		s.log.Warn("write credential last-used times", "error", err, "count", len(batch))
		s.touches.restore(batch)
	}
}

// View is a credential as listed: never the secret.
type View struct {
	AccessKey    string
	Label        string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LastUsedAt   time.Time
	LastUsedFrom string
	SuccessorOf  string
}

// Created is a new pair: the only time the secret is seen.
type Created struct {
	View
	SecretKey string
}

const maxLabel = 255

func checkLabel(label string) error {
	if identity.HasControl(label) {
		return apperr.Invalidf("Validation error (label must not contain control characters)").
			WithSub(400, 12).OnField("label")
	}
	if utf8.RuneCountInString(label) > maxLabel {
		return apperr.Invalidf("Validation error (label must be at most %d characters)", maxLabel).
			WithSub(400, 12).OnField("label")
	}
	return nil
}

func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (missing credentials)").
			WithSub(401, 20)
	}
	return p, nil
}

// Create makes a new pair for the caller. expiration (seconds) is optional.
func (s *Service) Create(ctx context.Context, label string, expiration *int64) (Created, error) {
	p, err := caller(ctx)
	if err != nil {
		return Created{}, err
	}
	return s.createChecked(ctx, p, label, expiration)
}

// CreateFor makes a pair for a service account on an admin's behalf (the caller). The
// audit entry names the admin as the actor.
func (s *Service) CreateFor(ctx context.Context, userID, label string, expiration *int64) (
	Created, error) {
	p, err := caller(ctx)
	if err != nil {
		return Created{}, err
	}
	if p.UserID == userID {
		return s.createChecked(ctx, p, label, expiration)
	}
	if !p.IsAdmin() {
		return Created{}, apperr.Invalidf("Invalid user id (cannot generate token for another "+
			"user)").WithSub(400, 301)
	}
	target, err := s.users.Principal(ctx, p.WorkspaceID, userID)
	if err != nil || target.Kind != identity.KindService {
		return Created{}, apperr.Invalidf("Invalid user id (credentials can be created for "+
			"service accounts only): id=%s", userID).WithSub(400, 301).OnField("user")
	}
	return s.createChecked(ctx, target, label, expiration)
}

// createChecked validates the label and expiry and makes a pair for owner.
func (s *Service) createChecked(ctx context.Context, owner identity.Principal, label string,
	expiration *int64) (Created, error) {
	label = strings.TrimSpace(label)
	if err := checkLabel(label); err != nil {
		return Created{}, err
	}
	exp, err := s.expiry(expiration)
	if err != nil {
		return Created{}, err
	}
	var out Created
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		out, err = s.create(ctx, owner, label, exp, "", s.opts.MaxPerUser)
		return err
	})
	return out, err
}

// ListFor lists a service account's pairs for an admin.
func (s *Service) ListFor(ctx context.Context, userID string) ([]View, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if p.UserID != userID && !p.IsAdmin() {
		return nil, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s", p.Role).
			WithSub(403, 20)
	}
	// A deactivated account's pairs are listed too, so an admin can clean them up.
	target, err := s.users.User(ctx, userID)
	if err != nil || target.Status == identity.StatusRemoved {
		return nil, apperr.Invalidf("Invalid user id: id=%s", userID).WithSub(400, 301)
	}
	return s.List(identity.WithPrincipal(ctx, identity.Principal{WorkspaceID: p.WorkspaceID,
		UserID: target.ID, Name: target.Name, Role: target.Role, Kind: target.Kind}))
}

// RevokeFor revokes one of a service account's pairs for an admin.
func (s *Service) RevokeFor(ctx context.Context, userID, accessKey string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if p.UserID == userID {
		return s.Revoke(ctx, accessKey)
	}
	if !p.IsAdmin() {
		return apperr.Forbiddenf("Forbidden (not allowed for role): role=%s", p.Role).
			WithSub(403, 20)
	}
	// Admins may revoke anyone's pair in the workspace (a leaked key of a person included).
	target, err := s.users.User(ctx, userID)
	if err != nil || target.Status == identity.StatusRemoved {
		return apperr.Invalidf("Invalid user id: id=%s", userID).WithSub(400, 301)
	}
	return s.Revoke(identity.WithPrincipal(ctx, identity.Principal{WorkspaceID: p.WorkspaceID,
		UserID: target.ID, Name: target.Name, Role: target.Role, Kind: target.Kind}), accessKey)
}

func (s *Service) expiry(expiration *int64) (time.Time, error) {
	max := s.opts.MaxExpiration
	if expiration == nil || *expiration == 0 {
		if max > 0 {
			return s.now().Add(max), nil
		}
		return time.Time{}, nil
	}
	sec := *expiration
	if sec < 0 || sec > 100*365*86400 || (max > 0 && sec > int64(max/time.Second)) {
		limit := "a positive number of seconds"
		if max > 0 {
			limit = "between 1 and " + strconv.FormatInt(int64(max/time.Second), 10)
		}
		return time.Time{}, apperr.Invalidf("Validation error (expiration_sec must be %s)", limit).
			WithSub(400, 12).OnField("expiration_sec")
	}
	return s.now().Add(time.Duration(sec) * time.Second), nil
}

// create stores a new pair inside the caller's transaction.
func (s *Service) create(ctx context.Context, p identity.Principal, label string,
	exp time.Time, successorOf string, limit int) (Created, error) {
	if err := s.store.LockUser(ctx, p.WorkspaceID, p.UserID); err != nil {
		return Created{}, err
	}
	existing, err := s.store.Credentials(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return Created{}, err
	}
	if countsTowardLimit(existing, s.now()) >= limit {
		return Created{}, apperr.Invalidf("Validation error (the limit of %d credentials per "+
			"user is reached; revoke one first)", s.opts.MaxPerUser).WithSub(400, 12)
	}
	key, sec := NewAccessKey(), NewSecretKey()
	c := Credential{AccessKey: key, WorkspaceID: p.WorkspaceID, UserID: p.UserID,
		SecretHash: s.hashSecret(key, sec), Label: label, CreatedAt: s.now(), ExpiresAt: exp,
		SuccessorOf: successorOf}
	if err := s.store.CreateCredential(ctx, c); err != nil {
		return Created{}, err
	}
	details := map[string]any{"access_key": key, "label": label}
	if !exp.IsZero() {
		details["expires"] = exp
	}
	if successorOf != "" {
		details["successor_of"] = successorOf
	}
	if err := s.audit.Record(ctx, p.WorkspaceID, "credential.create", "user", p.UserID,
		details); err != nil {
		return Created{}, err
	}
	return Created{View: view(c), SecretKey: sec}, nil
}

// countsTowardLimit counts the pairs that hold a place under the per-user limit: those not
// expired and not already replaced by a successor (a rotated pair in its grace period).
func countsTowardLimit(list []Credential, now time.Time) int {
	replaced := map[string]bool{}
	for _, c := range list {
		if c.SuccessorOf != "" {
			replaced[c.SuccessorOf] = true
		}
	}
	n := 0
	for _, c := range list {
		if !c.Expired(now) && !replaced[c.AccessKey] {
			n++
		}
	}
	return n
}

func view(c Credential) View {
	return View{AccessKey: c.AccessKey, Label: c.Label, CreatedAt: c.CreatedAt,
		ExpiresAt: c.ExpiresAt, LastUsedAt: c.LastUsedAt, LastUsedFrom: c.LastUsedFrom,
		SuccessorOf: c.SuccessorOf}
}

func (s *Service) hashSecret(accessKey, secretKey string) string {
	return s.keys.Hash("api-secret:"+accessKey, secretKey)
}

// List returns the caller's pairs, with last-used times not yet flushed merged in.
func (s *Service) List(ctx context.Context) ([]View, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.Credentials(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(list))
	for i, c := range list {
		if t, ok := s.touches.peek(c.AccessKey); ok && t.At.After(c.LastUsedAt) {
			c.LastUsedAt, c.LastUsedFrom = t.At, t.From
		}
		out[i] = view(c)
	}
	return out, nil
}

// MaxPerUser is the configured limit of pairs per user.
func (s *Service) MaxPerUser() int { return s.opts.MaxPerUser }

func invalidAccessKey() error {
	return apperr.Invalidf("Access key not found").WithSub(400, 75).OnField("access_key")
}

// EditLabel changes the label of one of the caller's pairs; it reports whether it changed.
func (s *Service) EditLabel(ctx context.Context, accessKey, label string) (bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, err
	}
	label = strings.TrimSpace(label)
	if err := checkLabel(label); err != nil {
		return false, err
	}
	changed := false
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		_, err := s.store.UpdateCredential(ctx, p.WorkspaceID, p.UserID, accessKey,
			func(c *Credential) error {
				changed = c.Label != label
				c.Label = label
				return nil
			})
		if apperr.Is(err, apperr.NotFound) {
			return invalidAccessKey()
		}
		if err != nil || !changed {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "credential.edit", "user", p.UserID,
			map[string]any{"access_key": accessKey, "label": label})
	})
	return changed, err
}

// Revoke deletes one of the caller's pairs. It stops working on every replica at once.
func (s *Service) Revoke(ctx context.Context, accessKey string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		err := s.store.DeleteCredential(ctx, p.WorkspaceID, p.UserID, accessKey)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.Invalidf("Invalid user (invalid user or invalid access key)").
				WithSub(400, 300).OnField("access_key")
		}
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, accessKey)
		return s.audit.Record(ctx, p.WorkspaceID, "credential.revoke", "user", p.UserID,
			map[string]any{"access_key": accessKey})
	})
	if err == nil {
		s.pairs.drop(accessKey)
	}
	return err
}

// Rotate creates a successor of one of the caller's pairs, with the same label, and makes
// the old pair expire after grace. The successor counts against the limit only until the
// old pair is gone, so rotation works at the limit.
func (s *Service) Rotate(ctx context.Context, accessKey string, grace time.Duration) (
	Created, error) {
	p, err := caller(ctx)
	if err != nil {
		return Created{}, err
	}
	if grace < 0 || grace > 90*24*time.Hour {
		return Created{}, apperr.Invalidf("Validation error (grace_period_sec must be between 0 "+
			"and 7776000)").WithSub(400, 12).OnField("grace_period_sec")
	}
	var out Created
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		rotated, err := s.hasSuccessor(ctx, p, accessKey)
		if err != nil {
			return err
		}
		old, err := s.store.UpdateCredential(ctx, p.WorkspaceID, p.UserID, accessKey,
			func(c *Credential) error {
				deadline := s.now().Add(grace)
				if c.Expired(s.now()) {
					return apperr.Invalidf("These credentials have already expired")
				}
				if rotated {
					return apperr.Invalidf("These credentials were already rotated; rotate "+
						"their successor instead").WithSub(400, 12)
				}
				if c.ExpiresAt.IsZero() || deadline.Before(c.ExpiresAt) {
					c.ExpiresAt = deadline
				}
				return nil
			})
		if apperr.Is(err, apperr.NotFound) {
			return invalidAccessKey()
		}
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, accessKey)
		exp, err := s.expiry(nil)
		if err != nil {
			return err
		}
		// The old pair is on its way out: once it has a successor it no longer counts.
		out, err = s.create(ctx, p, old.Label, exp, accessKey, s.opts.MaxPerUser+1)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "credential.rotate", "user", p.UserID,
			map[string]any{"access_key": accessKey, "successor": out.AccessKey,
				"grace_sec": int64(grace / time.Second)})
	})
	if err == nil {
		s.pairs.drop(accessKey)
	}
	return out, err
}

func (s *Service) hasSuccessor(ctx context.Context, p identity.Principal, accessKey string) (
	bool, error) {
	list, err := s.store.Credentials(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return false, err
	}
	for _, c := range list {
		if c.SuccessorOf == accessKey {
			return true, nil
		}
	}
	return false, nil
}

// Verify checks an access key and secret, as HTTP Basic on any endpoint. It answers from
// memory for pairs seen recently and records the use for the next batch write.
func (s *Service) Verify(ctx context.Context, accessKey, secretKey, from string) (
	identity.Principal, error) {
	c, err := s.pairs.get(ctx, s.store, accessKey)
	if err != nil {
		return identity.Principal{}, err
	}
	if c.AccessKey == "" || !secret.Equal(c.SecretHash, s.hashSecret(accessKey, secretKey)) {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (invalid credentials) "+
			"(failed to locate provided credentials)").WithSub(401, 22)
	}
	if c.Expired(s.now()) {
		return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (invalid credentials) "+
			"(credentials expired)").WithSub(401, 22)
	}
	p, err := s.users.Principal(ctx, c.WorkspaceID, c.UserID)
	if err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			return identity.Principal{}, apperr.Unauthenticatedf("Unauthorized (invalid "+
				"credentials) (user is not active)").WithSub(401, 22)
		}
		return identity.Principal{}, err
	}
	p.AccessKey = accessKey
	s.touches.add(Touch{AccessKey: accessKey, At: s.now(), From: from})
	return p, nil
}

// pairCache holds credentials by access key. A missing key is cached as an empty record
// for a short while so a flood of bad keys does not reach the database each time.
type pairCache struct {
	mu      sync.RWMutex
	entries map[string]cachedPair
}

type cachedPair struct {
	c  Credential
	at time.Time
}

const (
	pairTTL     = 5 * time.Minute
	negativeTTL = 2 * time.Second
)

func (pc *pairCache) init() { pc.entries = map[string]cachedPair{} }

func (pc *pairCache) get(ctx context.Context, store Store, key string) (Credential, error) {
	pc.mu.RLock()
	e, ok := pc.entries[key]
	pc.mu.RUnlock()
	ttl := pairTTL
	if e.c.AccessKey == "" {
		ttl = negativeTTL
	}
	if ok && time.Since(e.at) < ttl {
		return e.c, nil
	}
	c, err := store.Credential(ctx, key)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return Credential{}, err
	}
	pc.mu.Lock()
	if len(pc.entries) > 200_000 {
		pc.entries = map[string]cachedPair{}
	}
	pc.entries[key] = cachedPair{c: c, at: time.Now()}
	pc.mu.Unlock()
	return c, nil
}

func (pc *pairCache) drop(key string) {
	pc.mu.Lock()
	delete(pc.entries, key)
	pc.mu.Unlock()
}

func (pc *pairCache) dropUser(userID string) {
	pc.mu.Lock()
	for k, e := range pc.entries {
		if e.c.UserID == userID {
			delete(pc.entries, k)
		}
	}
	pc.mu.Unlock()
}

func (pc *pairCache) clear() {
	pc.mu.Lock()
	pc.entries = map[string]cachedPair{}
	pc.mu.Unlock()
}

// touchBuffer collects last-used times between flushes, keeping the latest per key.
type touchBuffer struct {
	mu      sync.Mutex
	pending map[string]Touch
}

func (tb *touchBuffer) init() { tb.pending = map[string]Touch{} }

func (tb *touchBuffer) add(t Touch) {
	tb.mu.Lock()
	tb.pending[t.AccessKey] = t
	tb.mu.Unlock()
}

func (tb *touchBuffer) peek(key string) (Touch, bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	t, ok := tb.pending[key]
	return t, ok
}

func (tb *touchBuffer) take() []Touch {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	out := make([]Touch, 0, len(tb.pending))
	for _, t := range tb.pending {
		out = append(out, t)
	}
	tb.pending = map[string]Touch{}
	return out
}

func (tb *touchBuffer) restore(batch []Touch) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, t := range batch {
		if cur, ok := tb.pending[t.AccessKey]; !ok || cur.At.Before(t.At) {
			tb.pending[t.AccessKey] = t
		}
	}
}

// revokedSet is the in-memory set of revoked token sessions.
type revokedSet struct {
	mu  sync.RWMutex
	ids map[string]time.Time
}

func (r *revokedSet) has(id string) bool {
	r.mu.RLock()
	_, ok := r.ids[id]
	r.mu.RUnlock()
	return ok
}

func (r *revokedSet) add(id string, exp time.Time) {
	r.mu.Lock()
	if r.ids == nil {
		r.ids = map[string]time.Time{}
	}
	r.ids[id] = exp
	r.mu.Unlock()
}

func (r *revokedSet) replace(list []Revocation) {
	ids := make(map[string]time.Time, len(list))
	for _, rv := range list {
		ids[rv.SessionID] = rv.ExpiresAt
	}
	r.mu.Lock()
	r.ids = ids
	r.mu.Unlock()
}

func (r *revokedSet) prune(now time.Time) {
	r.mu.Lock()
	for id, exp := range r.ids {
		if !now.Before(exp) {
			delete(r.ids, id)
		}
	}
	r.mu.Unlock()
}
