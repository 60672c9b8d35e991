package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/secret"
)

// Topic is the change topic for users; the ID is the user id.
const Topic = "user"

// Options configures the identity service.
type Options struct {
	Version string // Atrium version recorded on new users
	// PublicURL is where invitation links point.
	PublicURL string
	// MaxActiveUsers caps active and invited people; 0 means no cap.
	MaxActiveUsers int
	// InvitationTTL is how long an invitation link works.
	InvitationTTL time.Duration
	// AllowAdminServiceAccounts lets admins give service accounts the admin role.
	AllowAdminServiceAccounts bool
	// Mailer sends invitations; nil means links are only shown to the admin.
	Mailer Mailer
}

// Service is the identity domain service.
type Service struct {
	store Store
	audit *audit.Log
	keys  *secret.Keyring
	now   func() time.Time
	log   *slog.Logger
	opts  Options

	throttle  *throttle
	cache     principalCache
	pwCache   sync.Map // email -> pwEntry: passwords verified recently
	activity  activityBuffer
	groupUses groupUses
	pwKey     []byte // keys the in-memory cache of verified passwords
}

// pwEntry remembers a verified password by keyed hash so that HTTP Basic email:password on
// every request does not pay for argon2id each time. Dropped on any change to the user.
type pwEntry struct {
	userID string
	hash   string
	at     time.Time
}

const pwCacheTTL = 5 * time.Minute

// New returns the identity service.
func New(store Store, log *audit.Log, keys *secret.Keyring, now func() time.Time,
	logger *slog.Logger, opts Options) *Service {
	if opts.InvitationTTL <= 0 {
		opts.InvitationTTL = 7 * 24 * time.Hour
	}
	s := &Service{store: store, audit: log, keys: keys, now: now, log: logger, opts: opts,
		throttle: newThrottle(now), pwKey: []byte(keys.Hash("password-cache", ""))}
	s.cache.init(now)
	s.activity.init()
	return s
}

// Invalidate drops cached state for a changed user (or everything, for id "*").
func (s *Service) Invalidate(id string) {
	if id == "" || id == "*" {
		s.cache.clear()
		s.pwCache.Clear()
		return
	}
	s.cache.drop(id)
	s.pwCache.Range(func(k, v any) bool {
		if v.(pwEntry).userID == id {
			s.pwCache.Delete(k)
		}
		return true
	})
}

// Bootstrap makes sure a workspace and a first admin exist. On an empty database it creates
// both and returns the admin's password when it generated one; later calls change nothing.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (
	ws Workspace, generated string, err error) {
	var firstAdmin string
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		all, err := s.store.Workspaces(ctx)
		if err != nil {
			return err
		}
		if len(all) > 0 {
			ws = all[0]
			return nil
		}
		now := s.now()
		ws = Workspace{ID: secret.ID(), Name: "Atrium", CreatedAt: now}
		if err := s.store.CreateWorkspace(ctx, ws); err != nil {
			return err
		}
		if password == "" {
			generated = base64.RawURLEncoding.EncodeToString(secret.Random(18))
			password = generated
		}
		admin, err := s.newUser(ws.ID, email, "Administrator", RoleAdmin, password)
		if err != nil {
			return err
		}
		if err := s.store.CreateUser(ctx, admin); err != nil {
			return err
		}
		firstAdmin = admin.ID
		return s.audit.Record(ctx, ws.ID, "user.create", "user", admin.ID,
			map[string]any{"email": admin.Email, "role": admin.Role, "first_run": true})
	})
	if err == nil {
		err = s.ensureBuiltinGroups(ctx)
	}
	if err == nil && firstAdmin != "" {
		// The first admin also runs the queues (creating, renaming, deleting them needs
		// Queue admins); later admins are added by hand.
		err = s.joinBuiltin(ctx, ws.ID, firstAdmin, GroupQueueAdmins)
	}
	if err != nil {
		return Workspace{}, "", fmt.Errorf("bootstrap: %w", err)
	}
	return ws, generated, nil
}

func (s *Service) joinBuiltin(ctx context.Context, wsID, userID string, kind GroupKind) error {
	id, err := s.BuiltinGroup(ctx, wsID, kind)
	if err != nil {
		return err
	}
	return s.store.AddGroupMember(ctx, wsID, id, userID)
}

// DefaultWorkspace returns the first workspace, the one a single-tenant server uses.
func (s *Service) DefaultWorkspace(ctx context.Context) (Workspace, error) {
	all, err := s.store.Workspaces(ctx)
	if err != nil {
		return Workspace{}, err
	}
	if len(all) == 0 {
		return Workspace{}, apperr.NotFoundf("no workspace: the server has not been set up")
	}
	return all[0], nil
}

func (s *Service) newUser(wsID, email, name string, role Role, password string) (User, error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	u := User{ID: secret.ID(), WorkspaceID: wsID, Email: addr, Name: name, Role: role,
		Status: StatusActive, CreatedInVersion: s.opts.Version, CreatedAt: now, UpdatedAt: now,
		Kind: KindPerson}
	if password != "" {
		u.PasswordHash = HashPassword(password)
	}
	return u, nil
}

// NormalizeEmail checks an address and returns it lower-cased.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", apperr.Invalidf("Invalid e-mail address %q", email).OnField("email")
	}
	return strings.ToLower(email), nil
}

// CreateUser adds a user from the shell. An empty password leaves the user without one.
func (s *Service) CreateUser(ctx context.Context, wsID, email, name string, role Role,
	password string) (User, error) {
	if role != RoleAdmin && role != RoleUser {
		return User{}, apperr.Invalidf("Invalid role %q: want admin or user", role).OnField("role")
	}
	if err := checkDisplayName(name); err != nil {
		return User{}, err
	}
	if password != "" {
		if err := CheckPasswordRules(password); err != nil {
			return User{}, err
		}
	}
	u, err := s.newUser(wsID, email, strings.TrimSpace(name), role, password)
	if err != nil {
		return User{}, err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkSeats(ctx, wsID, 1); err != nil {
			return err
		}
		if err := s.store.CreateUser(ctx, u); err != nil {
			if apperr.Is(err, apperr.Conflict) {
				return apperr.Conflictf("A user with e-mail %s already exists", u.Email).
					OnField("email").WithSub(400, 302)
			}
			return err
		}
		return s.audit.Record(ctx, wsID, "user.create", "user", u.ID,
			map[string]any{"email": u.Email, "role": u.Role})
	})
	return u, err
}

// Authenticate checks an e-mail and password. A wrong e-mail and a wrong password fail
// alike; repeated failures slow down per account and per address.
func (s *Service) Authenticate(ctx context.Context, email, password, address string) (
	User, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if err := s.throttle.check("acct:"+key+"|"+address, "spread:"+key,
		"addr:"+address); err != nil {
		return User{}, err
	}
	if u, ok := s.cachedPassword(ctx, key, password); ok {
		return u, nil
	}
	u, err := s.store.UserByEmail(ctx, key)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash()
	}
	if !VerifyPassword(hash, password) || u.ID == "" || u.PasswordHash == "" {
		s.throttle.fail(key, address)
		return User{}, badPassword()
	}
	if u.Status != StatusActive {
		return User{}, apperr.Unauthenticatedf("Unauthorized (invalid credentials) (user is not "+
			"active)").WithSub(401, 22)
	}
	s.throttle.succeed(key, address)
	s.pwCache.Store(key, pwEntry{userID: u.ID, hash: s.pwHash(password), at: s.now()})
	s.RecordSignIn(u.WorkspaceID, u.ID, "password")
	return u, nil
}

func badPassword() error {
	return apperr.Unauthenticatedf("Unauthorized (invalid credentials) (bad username or password)").
		WithSub(401, 22)
}

func (s *Service) pwHash(password string) string {
	m := hmac.New(sha256.New, s.pwKey)
	m.Write([]byte(password))
	return string(m.Sum(nil))
}

func (s *Service) cachedPassword(ctx context.Context, key, password string) (User, bool) {
	v, ok := s.pwCache.Load(key)
	if !ok {
		return User{}, false
	}
	e := v.(pwEntry)
	if s.now().Sub(e.at) > pwCacheTTL || !hmac.Equal([]byte(e.hash), []byte(s.pwHash(password))) {
		return User{}, false
	}
	u, err := s.store.UserByEmail(ctx, key)
	if err != nil || u.ID != e.userID || u.Status != StatusActive {
		return User{}, false
	}
	return u, true
}

// Principal returns the current state of a user as a request principal, from cache. A user
// who is gone or not active is Unauthenticated.
func (s *Service) Principal(ctx context.Context, wsID, userID string) (Principal, error) {
	p, _, err := s.current(ctx, wsID, userID)
	return p, err
}

// current returns the cached principal and user record, loading them on a miss.
func (s *Service) current(ctx context.Context, wsID, userID string) (Principal, User, error) {
	if p, u, ok := s.cache.get(userID); ok && p.WorkspaceID == wsID {
		return p, u, nil
	}
	u, err := s.store.User(ctx, wsID, userID)
	if apperr.Is(err, apperr.NotFound) {
		return Principal{}, User{}, apperr.Unauthenticatedf("Invalid token (user not found)").
			WithSub(401, 30)
	}
	if err != nil {
		return Principal{}, User{}, err
	}
	if u.Status != StatusActive {
		return Principal{}, User{}, apperr.Unauthenticatedf("Invalid token (user is not "+
			"active)").WithSub(401, 30)
	}
	ws, err := s.store.Workspace(ctx, wsID)
	if err != nil {
		return Principal{}, User{}, err
	}
	groups, err := s.groupsOf(ctx, u)
	if err != nil {
		return Principal{}, User{}, err
	}
	p := Principal{WorkspaceID: wsID, WorkspaceName: ws.Name, UserID: u.ID, Name: u.Name,
		Email: u.Email, Role: u.Role, Kind: u.Kind, AllowImpersonation: u.AllowImpersonation,
		Groups: groups, SessionsValidAfter: u.SessionsValidAfter}
	s.cache.put(p, u)
	return p, u, nil
}

// Me returns the caller's own user record, from cache.
func (s *Service) Me(ctx context.Context) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	_, u, err := s.current(ctx, p.WorkspaceID, p.UserID)
	return u, err
}

// User returns a user of the caller's workspace.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.User(ctx, p.WorkspaceID, id)
	if apperr.Is(err, apperr.NotFound) {
		return User{}, invalidUserID(id, p.WorkspaceID)
	}
	return u, err
}

func invalidUserID(id, ws string) error {
	return apperr.Invalidf("Invalid user id: id=%s, company=%s", id, ws).WithSub(400, 301)
}

// Users lists users of the caller's workspace.
func (s *Service) Users(ctx context.Context, f UserFilter) ([]User, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Users(ctx, p.WorkspaceID, f)
}

// Workspace returns the caller's workspace.
func (s *Service) Workspace(ctx context.Context) (Workspace, error) {
	p, err := caller(ctx)
	if err != nil {
		return Workspace{}, err
	}
	return s.store.Workspace(ctx, p.WorkspaceID)
}

// Profile is the editable part of a user.
type Profile struct {
	Name       *string
	GivenName  *string
	FamilyName *string
	Avatar     *string
}

// UpdateProfile changes a user's names or avatar. Users edit themselves; admins anyone in
// their workspace. It returns the fields that changed.
func (s *Service) UpdateProfile(ctx context.Context, userID string, pr Profile) (
	map[string]any, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := mayActOn(p, userID); err != nil {
		return nil, err
	}
	if pr.Name != nil {
		trimmed := strings.TrimSpace(*pr.Name)
		pr.Name = &trimmed
		if err := checkDisplayName(trimmed); err != nil {
			return nil, err
		}
	}
	for field, v := range map[string]*string{"given_name": pr.GivenName,
		"family_name": pr.FamilyName, "avatar": pr.Avatar} {
		if v != nil && len(*v) > 1024 {
			return nil, apperr.Invalidf("%s must be at most 1024 characters", field).OnField(field)
		}
	}
	changed := map[string]any{}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		_, err := s.store.UpdateUser(ctx, p.WorkspaceID, userID, func(u *User) error {
			apply := func(field string, dst *string, v *string) {
				if v != nil && *dst != *v {
					*dst = *v
					changed[field] = *v
				}
			}
			apply("name", &u.Name, pr.Name)
			apply("given_name", &u.GivenName, pr.GivenName)
			apply("family_name", &u.FamilyName, pr.FamilyName)
			apply("avatar", &u.Avatar, pr.Avatar)
			u.UpdatedAt = s.now()
			return nil
		})
		if apperr.Is(err, apperr.NotFound) {
			return invalidUserID(userID, p.WorkspaceID)
		}
		if err != nil || len(changed) == 0 {
			return err
		}
		s.store.Publish(ctx, Topic, userID)
		return s.audit.Record(ctx, p.WorkspaceID, "user.update", "user", userID, changed)
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

func checkDisplayName(name string) error {
	if HasControl(name) {
		return apperr.Invalidf("Display name must not contain control or direction-override " +
			"characters").OnField("name")
	}
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	if n < 2 {
		return apperr.Invalidf("Display name must be at least 2 characters").OnField("name")
	}
	if n > 255 {
		return apperr.Invalidf("Display name must be at most 255 characters").OnField("name")
	}
	return nil
}

// ChangePassword sets the caller's password after checking the current one.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if p.ImpersonatorID != "" {
		return apperr.Forbiddenf("A password cannot be changed while acting as another user")
	}
	if err := CheckPasswordRules(next); err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		_, err := s.store.UpdateUser(ctx, p.WorkspaceID, p.UserID, func(u *User) error {
			if !u.HasPassword() || !VerifyPassword(u.PasswordHash, current) {
				return apperr.Invalidf("The current password is not correct").
					OnField("current_password")
			}
			u.PasswordHash = HashPassword(next)
			u.UpdatedAt = s.now()
			u.SessionsValidAfter = s.now() // other sessions end
			return nil
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, p.UserID)
		return s.audit.Record(ctx, p.WorkspaceID, "user.password_change", "user", p.UserID, nil)
	})
	return err
}

// ResetPassword sets a user's password from the shell, without the current one.
func (s *Service) ResetPassword(ctx context.Context, email, password string) (User, error) {
	if err := CheckPasswordRules(password); err != nil {
		return User{}, err
	}
	key := strings.ToLower(strings.TrimSpace(email))
	var out User
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		u, err := s.store.UserByEmail(ctx, key)
		if err != nil {
			return err
		}
		out, err = s.store.UpdateUser(ctx, u.WorkspaceID, u.ID, func(u *User) error {
			u.PasswordHash = HashPassword(password)
			u.UpdatedAt = s.now()
			u.SessionsValidAfter = s.now()
			return nil
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, u.ID)
		return s.audit.Record(ctx, u.WorkspaceID, "user.password_reset", "user", u.ID, nil)
	})
	return out, err
}

// UserByEmail finds a user by e-mail, for the shell.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
}

// blockScriptsKey is the workspace setting with which an admin forces "block running user's
// scripts in the browser" on for everyone.
const blockScriptsKey = "force_block_user_scripts"

// BlockScriptsPreference is the preference the admin setting forces on.
const BlockScriptsPreference = "rootProjects.blockUserScript"

// ScriptsBlockedByAdmin reports whether an admin forced user scripts off in the caller's
// workspace.
func (s *Service) ScriptsBlockedByAdmin(ctx context.Context) (bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, err
	}
	v, err := s.store.WorkspaceSetting(ctx, p.WorkspaceID, blockScriptsKey)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	return v == "true", err
}

// SetScriptsBlockedByAdmin forces (or stops forcing) the block-user-scripts preference on
// for everyone in the workspace; admins only.
func (s *Service) SetScriptsBlockedByAdmin(ctx context.Context, on bool) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := requireAdmin(p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		err := s.store.PutWorkspaceSetting(ctx, p.WorkspaceID, blockScriptsKey,
			strconv.FormatBool(on))
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, p.WorkspaceID, "workspace.force_block_user_scripts",
			"workspace", p.WorkspaceID, map[string]any{"on": on})
	})
}

// MaxPreferences bounds a user's stored preference document.
const MaxPreferences = 256 << 10

// Preferences returns the caller's preference document.
func (s *Service) Preferences(ctx context.Context) (map[string]any, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := s.store.Preferences(ctx, p.WorkspaceID, p.UserID)
	if err != nil {
		return nil, err
	}
	prefs := decodeDoc(doc)
	forced, err := s.ScriptsBlockedByAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if forced {
		prefs, _, _ = ApplyPreferences(prefs, map[string]any{BlockScriptsPreference: true})
	}
	return prefs, nil
}

// SetPreferences applies a dot-path update to the caller's preferences and returns whether
// anything changed and the whole new document.
func (s *Service) SetPreferences(ctx context.Context, update map[string]any) (
	bool, map[string]any, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, nil, err
	}
	var changed bool
	var result map[string]any
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		err := s.store.UpdatePreferences(ctx, p.WorkspaceID, p.UserID, s.now(),
			func(doc string) (string, error) {
				next, ch, err := ApplyPreferences(decodeDoc(doc), update)
				if err != nil {
					return "", err
				}
				changed, result = ch, next
				if !ch {
					return doc, nil
				}
				b, err := json.Marshal(next)
				if err == nil && len(b) > MaxPreferences {
					return "", apperr.Invalidf("Validation error (preferences may hold at most "+
						"%d bytes)", MaxPreferences).WithSub(400, 12)
				}
				return string(b), err
			})
		if err != nil || !changed {
			return err
		}
		keys := make([]string, 0, len(update))
		for k := range update {
			keys = append(keys, k)
		}
		return s.audit.Record(ctx, p.WorkspaceID, "preferences.set", "user", p.UserID,
			map[string]any{"keys": keys})
	})
	if err != nil {
		return false, nil, err
	}
	return changed, result, nil
}

// HasControl reports whether s holds control characters or Unicode direction overrides,
// which would make a name display as something else.
func HasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
			r == 0x200E || r == 0x200F {
			return true
		}
	}
	return false
}

// SignOutEverywhere ends every token and web session of the caller issued before now; the
// caller signs in again (a token issued in the same second survives).
func (s *Service) SignOutEverywhere(ctx context.Context) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		_, err := s.store.UpdateUser(ctx, p.WorkspaceID, p.UserID, func(u *User) error {
			u.SessionsValidAfter, u.UpdatedAt = s.now(), s.now()
			return nil
		})
		if err != nil {
			return err
		}
		s.store.Publish(ctx, Topic, p.UserID)
		return s.audit.Record(ctx, p.WorkspaceID, "user.sign_out_everywhere", "user", p.UserID,
			nil)
	})
}
