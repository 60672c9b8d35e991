// Package storetest is the conformance suite every database behind internal/store must
// pass, plus helpers that give tests a fresh SQLite file or a fresh PostgreSQL database.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/store"
)

// PostgresEnv names the variable holding an administrative PostgreSQL URL. When it is set,
// tests create a fresh database per test under it; when unset, PostgreSQL tests skip.
const PostgresEnv = "ATRIUM_TEST_POSTGRES"

// Discard is a logger that drops everything.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// OpenSQLite opens and migrates a fresh SQLite store in a temporary folder.
func OpenSQLite(t testing.TB) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), "", dir, Discard)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// PostgresDSN creates a fresh database for the test and returns its URL, or skips the test
// when PostgresEnv is unset. The database is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		t.Skipf("%s not set; skipping PostgreSQL", PostgresEnv)
	}
	name := "atrium_t_" + secret.ID()[:16]
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// OpenPostgres opens and migrates a store on a fresh PostgreSQL database.
func OpenPostgres(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	s, err := store.Open(context.Background(), dsn, t.TempDir(), Discard)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// Opener returns a fresh, migrated store for one test.
type Opener func(t *testing.T) *store.Store

// Run runs the conformance suite against stores from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *store.Store)
	}{
		{"MigrateIsIdempotent", testMigrateIdempotent},
		{"Users", testUsers},
		{"UserEmailUnique", testUserEmailUnique},
		{"UsersListing", testUsersListing},
		{"Preferences", testPreferences},
		{"CloudAccess", testCloudAccess},
		{"Credentials", testCredentials},
		{"TouchCredentials", testTouchCredentials},
		{"RevokedSessions", testRevokedSessions},
		{"Settings", testSettings},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"TxRollback", testTxRollback},
		{"PublishAfterCommit", testPublishAfterCommit},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Groups", testGroups},
		{"Invitations", testInvitations},
		{"WorkspaceSettings", testWorkspaceSettings},
		{"ActivityAndCredentialSummaries", testActivity},
		{"UserFilters", testUserFilters},
		{"SSO", testSSO},
		{"WebSessions", testWebSessions},
		{"TwoFactor", testTwoFactor},
		{"TwoFactorRace", testTwoFactorRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

func seed(t *testing.T, s *store.Store) (identity.Workspace, identity.User) {
	t.Helper()
	ctx := context.Background()
	ws := identity.Workspace{ID: secret.ID(), Name: "acme", CreatedAt: t0}
	if err := s.CreateWorkspace(ctx, ws); err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	u := newUser(ws.ID, "Ada Admin", "ada@example.com")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return ws, u
}

func newUser(ws, name, email string) identity.User {
	return identity.User{ID: secret.ID(), WorkspaceID: ws, Email: email, Name: name,
		Role: identity.RoleUser, Status: identity.StatusActive, PasswordHash: "h",
		CreatedInVersion: "test", CreatedAt: t0, UpdatedAt: t0, Kind: identity.KindPerson}
}

func mustKind(t *testing.T, err error, kind apperr.Kind, what string) {
	t.Helper()
	if !apperr.Is(err, kind) {
		t.Fatalf("%s: got error %v, want kind %v", what, err, kind)
	}
}

func testMigrateIdempotent(t *testing.T, s *store.Store) {
	n, err := s.Migrate(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
	}
}

func testUsers(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	got, err := s.User(ctx, ws.ID, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got != u {
		t.Fatalf("User round trip:\n got %+v\nwant %+v", got, u)
	}
	if _, err := s.User(ctx, "other-workspace", u.ID); err == nil {
		t.Fatal("User found across workspaces")
	} else {
		mustKind(t, err, apperr.NotFound, "User in another workspace")
	}
	byEmail, err := s.UserByEmail(ctx, "ada@example.com")
	if err != nil || byEmail.ID != u.ID {
		t.Fatalf("UserByEmail = %v, %v", byEmail.ID, err)
	}
	updated, err := s.UpdateUser(ctx, ws.ID, u.ID, func(x *identity.User) error {
		x.Name, x.Role = "Ada L.", identity.RoleAdmin
		return nil
	})
	if err != nil || updated.Name != "Ada L." {
		t.Fatalf("UpdateUser = %+v, %v", updated, err)
	}
	again, _ := s.User(ctx, ws.ID, u.ID)
	if again.Name != "Ada L." || again.Role != identity.RoleAdmin {
		t.Fatalf("update not stored: %+v", again)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateUser(ctx, ws.ID, u.ID, func(x *identity.User) error {
		x.Name = "never"
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateUser with failing fn: %v", err)
	}
	if again, _ := s.User(ctx, ws.ID, u.ID); again.Name != "Ada L." {
		t.Fatalf("failed update was stored: %q", again.Name)
	}
	_, err = s.UpdateUser(ctx, ws.ID, "missing", func(*identity.User) error { return nil })
	mustKind(t, err, apperr.NotFound, "UpdateUser missing")
}

func testUserEmailUnique(t *testing.T, s *store.Store) {
	ws, _ := seed(t, s)
	err := s.CreateUser(context.Background(), newUser(ws.ID, "Other", "ada@example.com"))
	mustKind(t, err, apperr.Conflict, "duplicate e-mail")
	noEmail := newUser(ws.ID, "Robot", "")
	noEmail2 := newUser(ws.ID, "Robot 2", "")
	if err := s.CreateUser(context.Background(), noEmail); err != nil {
		t.Fatalf("user without e-mail: %v", err)
	}
	if err := s.CreateUser(context.Background(), noEmail2); err != nil {
		t.Fatalf("second user without e-mail: %v", err)
	}
}

func testUsersListing(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, _ := seed(t, s)
	for i := range 25 {
		u := newUser(ws.ID, fmt.Sprintf("user %02d", i), fmt.Sprintf("u%02d@example.com", i))
		u.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.Users(ctx, ws.ID, identity.UserFilter{OrderBy: "name", Limit: 10, Offset: 10})
	if err != nil || len(page) != 10 {
		t.Fatalf("page = %d users, %v", len(page), err)
	}
	if page[0].Name != "user 09" {
		t.Fatalf("second page starts with %q, want %q", page[0].Name, "user 09")
	}
	found, _ := s.Users(ctx, ws.ID, identity.UserFilter{NameLike: "U1"})
	if len(found) != 10 {
		t.Fatalf("search U1 found %d, want 10", len(found))
	}
	pct, _ := s.Users(ctx, ws.ID, identity.UserFilter{NameLike: "%"})
	if len(pct) != 0 {
		t.Fatalf("search %% matched %d users; LIKE wildcards must be escaped", len(pct))
	}
	ids, _ := s.Users(ctx, ws.ID, identity.UserFilter{IDs: []string{page[0].ID, page[1].ID}})
	if len(ids) != 2 {
		t.Fatalf("by ids = %d", len(ids))
	}
	n, err := s.CountUsers(ctx)
	if err != nil || n != 26 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

func testPreferences(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	doc, err := s.Preferences(ctx, ws.ID, u.ID)
	if err != nil || doc != "{}" {
		t.Fatalf("empty preferences = %q, %v", doc, err)
	}
	for _, want := range []string{`{"a":1}`, `{"a":2}`} {
		err := s.UpdatePreferences(ctx, ws.ID, u.ID, t0, func(string) (string, error) {
			return want, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Preferences(ctx, ws.ID, u.ID); got != want {
			t.Fatalf("preferences = %q, want %q", got, want)
		}
	}
	err = s.UpdatePreferences(ctx, ws.ID, "missing", t0, func(string) (string, error) {
		return "{}", nil
	})
	mustKind(t, err, apperr.NotFound, "preferences of a missing user")
}

func testCloudAccess(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	rows := []identity.CloudAccess{
		{ID: secret.ID(), Bucket: "b1", AccessKey: "k", Secret: "sealed1", UpdatedAt: t0},
		{ID: secret.ID(), Bucket: "b2", Region: "eu", Endpoint: "http://minio:9000", UpdatedAt: t0},
	}
	if err := s.ReplaceCloudAccess(ctx, ws.ID, u.ID, rows); err != nil {
		t.Fatal(err)
	}
	got, err := s.CloudAccess(ctx, ws.ID, u.ID)
	if err != nil || len(got) != 2 || got[0].Bucket != "b1" || got[1].Endpoint != "http://minio:9000" {
		t.Fatalf("CloudAccess = %+v, %v", got, err)
	}
	if got[0].Secret != "sealed1" {
		t.Fatalf("secret = %q", got[0].Secret)
	}
	if err := s.ReplaceCloudAccess(ctx, ws.ID, u.ID, rows[1:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CloudAccess(ctx, ws.ID, u.ID); len(got) != 1 || got[0].Bucket != "b2" {
		t.Fatalf("after replace = %+v", got)
	}
}

func testCredentials(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	c := credential.Credential{AccessKey: "AK1", WorkspaceID: ws.ID, UserID: u.ID,
		SecretHash: "hash", Label: "laptop", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	mustKind(t, s.CreateCredential(ctx, c), apperr.Conflict, "duplicate access key")
	got, err := s.Credential(ctx, "AK1")
	if err != nil || got != c {
		t.Fatalf("Credential:\n got %+v\nwant %+v (%v)", got, c, err)
	}
	_, err = s.Credential(ctx, "nope")
	mustKind(t, err, apperr.NotFound, "missing credential")
	c2 := c
	c2.AccessKey, c2.ExpiresAt, c2.CreatedAt = "AK2", time.Time{}, t0.Add(time.Second)
	if err := s.CreateCredential(ctx, c2); err != nil {
		t.Fatal(err)
	}
	list, err := s.Credentials(ctx, ws.ID, u.ID)
	if err != nil || len(list) != 2 || list[0].AccessKey != "AK1" {
		t.Fatalf("Credentials = %+v, %v", list, err)
	}
	upd, err := s.UpdateCredential(ctx, ws.ID, u.ID, "AK2", func(c *credential.Credential) error {
		c.Label = "renamed"
		return nil
	})
	if err != nil || upd.Label != "renamed" {
		t.Fatalf("UpdateCredential = %+v, %v", upd, err)
	}
	_, err = s.UpdateCredential(ctx, ws.ID, "someone-else", "AK2",
		func(*credential.Credential) error { return nil })
	mustKind(t, err, apperr.NotFound, "update another user's credential")
	mustKind(t, s.DeleteCredential(ctx, ws.ID, "someone-else", "AK2"), apperr.NotFound,
		"delete another user's credential")
	if err := s.DeleteCredential(ctx, ws.ID, u.ID, "AK2"); err != nil {
		t.Fatal(err)
	}
	mustKind(t, s.DeleteCredential(ctx, ws.ID, u.ID, "AK2"), apperr.NotFound, "delete twice")
}

func testTouchCredentials(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	c := credential.Credential{AccessKey: "AK", WorkspaceID: ws.ID, UserID: u.ID,
		SecretHash: "h", CreatedAt: t0}
	if err := s.CreateCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	later, earlier := t0.Add(time.Hour), t0.Add(time.Minute)
	err := s.TouchCredentials(ctx, []credential.Touch{
		{AccessKey: "AK", At: later, From: "worker-1"},
		{AccessKey: "gone", At: later, From: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.TouchCredentials(ctx, []credential.Touch{{AccessKey: "AK", At: earlier, From: "old"}})
	got, _ := s.Credential(ctx, "AK")
	if !got.LastUsedAt.Equal(later) || got.LastUsedFrom != "worker-1" {
		t.Fatalf("last used = %v from %q; want %v from worker-1", got.LastUsedAt,
			got.LastUsedFrom, later)
	}
}

func testRevokedSessions(t *testing.T, s *store.Store) {
	ctx := context.Background()
	r := credential.Revocation{SessionID: "s1", WorkspaceID: "w", UserID: "u",
		ExpiresAt: t0.Add(time.Hour), RevokedAt: t0}
	old := r
	old.SessionID, old.ExpiresAt = "s0", t0.Add(-time.Hour)
	for _, x := range []credential.Revocation{r, r, old} {
		if err := s.RevokeSession(ctx, x); err != nil {
			t.Fatalf("RevokeSession: %v", err)
		}
	}
	list, err := s.RevokedSessions(ctx, t0)
	if err != nil || len(list) != 1 || list[0].SessionID != "s1" {
		t.Fatalf("RevokedSessions = %+v, %v", list, err)
	}
	if err := s.PruneRevokedSessions(ctx, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.RevokedSessions(ctx, t0); len(list) != 0 {
		t.Fatalf("after prune = %+v", list)
	}
}

func testSettings(t *testing.T, s *store.Store) {
	ctx := context.Background()
	_, err := s.Setting(ctx, "k")
	mustKind(t, err, apperr.NotFound, "missing setting")
	v, err := s.PutSettingIfAbsent(ctx, "k", "first")
	if err != nil || v != "first" {
		t.Fatalf("first put = %q, %v", v, err)
	}
	v, err = s.PutSettingIfAbsent(ctx, "k", "second")
	if err != nil || v != "first" {
		t.Fatalf("second put = %q, %v; want the first value kept", v, err)
	}
}

func testAuditAppendOnly(t *testing.T, s *store.Store) {
	ctx := context.Background()
	e := audit.Entry{WorkspaceID: "w", At: t0, ActorID: "u", Action: "credential.create",
		TargetType: "user", TargetID: "u", Address: "127.0.0.1",
		Details: map[string]any{"label": "x"}}
	if err := s.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	list, err := s.AuditEntries(ctx, "w", audit.Filter{Action: "credential.create"})
	if err != nil || len(list) != 1 || list[0].Details["label"] != "x" {
		t.Fatalf("AuditEntries = %+v, %v", list, err)
	}
	if err := s.ExecForTest(ctx, "UPDATE audit_log SET action = 'x'"); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	if err := s.ExecForTest(ctx, "DELETE FROM audit_log"); err == nil {
		t.Fatal("audit_log accepted a DELETE")
	}
}

func testTxRollback(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context) error {
		other := newUser(ws.ID, "Ghost", "ghost@example.com")
		if err := s.CreateUser(ctx, other); err != nil {
			return err
		}
		_, err := s.UpdateUser(ctx, ws.ID, u.ID, func(x *identity.User) error {
			x.Name = "changed"
			return nil
		})
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := s.UserByEmail(ctx, "ghost@example.com"); err == nil {
		t.Fatal("rolled-back insert is visible")
	}
	if got, _ := s.User(ctx, ws.ID, u.ID); got.Name != u.Name {
		t.Fatalf("rolled-back update is visible: %q", got.Name)
	}
}

func testPublishAfterCommit(t *testing.T, s *store.Store) {
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	s.Subscribe(func(c store.Change) {
		mu.Lock()
		seen = append(seen, c.Topic+":"+c.ID)
		mu.Unlock()
	})
	s.InTx(ctx, func(ctx context.Context) error {
		s.Publish(ctx, "t", "rolled-back")
		return errors.New("no")
	})
	s.InTx(ctx, func(ctx context.Context) error {
		s.Publish(ctx, "t", "committed")
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n != 0 {
			t.Error("change delivered before commit")
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != "t:committed" {
		t.Fatalf("delivered %v, want only t:committed", seen)
	}
}

// testConcurrentUpdates checks that UpdateUser serialises read-modify-write: no increment
// is lost when many run at once.
func testConcurrentUpdates(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateUser(ctx, ws.ID, u.ID, func(x *identity.User) error {
				x.Avatar += "x"
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent update: %v", err)
		}
	}
	got, _ := s.User(ctx, ws.ID, u.ID)
	if len(got.Avatar) != n {
		t.Fatalf("after %d concurrent appends avatar has %d chars: lost updates", n, len(got.Avatar))
	}
}

func testGroups(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	g := identity.Group{ID: secret.ID(), WorkspaceID: ws.ID, Name: "Vision", Kind: identity.GroupCustom,
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	dup := g
	dup.ID, dup.Name = secret.ID(), "vision"
	mustKind(t, s.CreateGroup(ctx, dup), apperr.Conflict, "group name differing in case")
	got, err := s.Group(ctx, ws.ID, g.ID)
	if err != nil || got != g {
		t.Fatalf("Group:\n got %+v\nwant %+v (%v)", got, g, err)
	}
	if _, err := s.Group(ctx, "other", g.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("group visible from another workspace: %v", err)
	}
	other := newUser(ws.ID, "Bo", "bo@example.com")
	s.CreateUser(ctx, other)
	if err := s.SetGroupMembers(ctx, ws.ID, g.ID, []string{u.ID, other.ID}); err != nil {
		t.Fatal(err)
	}
	s.AddGroupMember(ctx, ws.ID, g.ID, u.ID) // twice is harmless
	members, _ := s.GroupMembers(ctx, ws.ID)
	if len(members[g.ID]) != 2 {
		t.Fatalf("members = %v", members)
	}
	if err := s.AddGroupMember(ctx, ws.ID, g.ID, "missing-user"); err == nil {
		t.Fatal("a missing user became a member")
	}
	s.RemoveGroupMember(ctx, ws.ID, g.ID, other.ID)
	if gs, _ := s.UserGroups(ctx, ws.ID, other.ID); len(gs) != 0 {
		t.Fatalf("removed member still in %v", gs)
	}
	if gs, _ := s.UserGroups(ctx, ws.ID, u.ID); len(gs) != 1 || gs[0] != g.ID {
		t.Fatalf("UserGroups = %v", gs)
	}
	upd, err := s.UpdateGroup(ctx, ws.ID, g.ID, func(x *identity.Group) error {
		x.Description = "team"
		return nil
	})
	if err != nil || upd.Description != "team" {
		t.Fatalf("UpdateGroup = %+v, %v", upd, err)
	}
	if err := s.DeleteGroup(ctx, ws.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if gs, _ := s.UserGroups(ctx, ws.ID, u.ID); len(gs) != 0 {
		t.Fatalf("memberships outlived their group: %v", gs)
	}
	mustKind(t, s.DeleteGroup(ctx, ws.ID, g.ID), apperr.NotFound, "delete twice")
}

func testInvitations(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	inv := identity.Invitation{ID: secret.ID(), WorkspaceID: ws.ID, UserID: u.ID,
		Email: u.Email, Role: identity.RoleUser, TokenHash: "th", InvitedBy: "x",
		CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
	if err := s.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := s.InvitationByToken(ctx, "th")
	if err != nil || got != inv {
		t.Fatalf("InvitationByToken:\n got %+v\nwant %+v (%v)", got, inv, err)
	}
	list, _ := s.Invitations(ctx, ws.ID)
	if len(list) != 1 {
		t.Fatalf("Invitations = %v", list)
	}
	if err := s.DeleteInvitation(ctx, ws.ID, inv.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.InvitationByToken(ctx, "th")
	mustKind(t, err, apperr.NotFound, "deleted invitation")
}

func testWorkspaceSettings(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, _ := seed(t, s)
	_, err := s.WorkspaceSetting(ctx, ws.ID, "k")
	mustKind(t, err, apperr.NotFound, "missing workspace setting")
	for _, v := range []string{"a", "b"} {
		if err := s.PutWorkspaceSetting(ctx, ws.ID, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.WorkspaceSetting(ctx, ws.ID, "k"); got != v {
			t.Fatalf("setting = %q, want %q", got, v)
		}
	}
}

func testActivity(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	err := s.RecordActivity(ctx, []identity.Activity{
		{WorkspaceID: ws.ID, UserID: u.ID, LoginAt: t0.Add(time.Hour), LoginMethod: "password"},
		{WorkspaceID: ws.ID, UserID: u.ID, UIAt: t0.Add(2 * time.Hour)},
		{WorkspaceID: ws.ID, UserID: u.ID, LoginAt: t0, LoginMethod: "stale"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.User(ctx, ws.ID, u.ID)
	if !got.LastLoginAt.Equal(t0.Add(time.Hour)) || got.LastLoginMethod != "password" ||
		!got.LastUIAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("activity = %v %q %v", got.LastLoginAt, got.LastLoginMethod, got.LastUIAt)
	}
	for i, used := range []time.Time{t0.Add(time.Minute), {}} {
		c := credential.Credential{AccessKey: fmt.Sprint("K", i), WorkspaceID: ws.ID, UserID: u.ID,
			SecretHash: "h", CreatedAt: t0, LastUsedAt: used}
		if err := s.CreateCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	last, _ := s.LastCredentialUse(ctx, ws.ID, []string{u.ID, "nobody"})
	counts, _ := s.CredentialCounts(ctx, ws.ID, []string{u.ID})
	if !last[u.ID].Equal(t0.Add(time.Minute)) || counts[u.ID] != 2 {
		t.Fatalf("last use %v, count %d", last[u.ID], counts[u.ID])
	}
	keys, err := s.DeleteCredentialsOf(ctx, ws.ID, u.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("DeleteCredentialsOf = %v, %v", keys, err)
	}
	if list, _ := s.Credentials(ctx, ws.ID, u.ID); len(list) != 0 {
		t.Fatalf("credentials left: %v", list)
	}
}

func testUserFilters(t *testing.T, s *store.Store) {
	ctx := context.Background()
	ws, u := seed(t, s)
	sa := newUser(ws.ID, "ci-bot", "")
	sa.Kind, sa.AllowImpersonation = identity.KindService, true
	gone := newUser(ws.ID, "Gone", "gone@example.com")
	gone.Status = identity.StatusDeactivated
	for _, x := range []identity.User{sa, gone} {
		if err := s.CreateUser(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	people, _ := s.Users(ctx, ws.ID, identity.UserFilter{Kind: identity.KindPerson,
		Statuses: []identity.Status{identity.StatusActive}})
	if len(people) != 1 || people[0].ID != u.ID {
		t.Fatalf("active people = %v", people)
	}
	n, err := s.CountFilteredUsers(ctx, ws.ID, identity.UserFilter{Kind: identity.KindService})
	if err != nil || n != 1 {
		t.Fatalf("service accounts = %d, %v", n, err)
	}
	got, _ := s.User(ctx, ws.ID, sa.ID)
	if !got.AllowImpersonation || got.Kind != identity.KindService {
		t.Fatalf("service account round trip: %+v", got)
	}
	byID, _ := s.Users(ctx, ws.ID, identity.UserFilter{NameLike: u.ID})
	if len(byID) != 1 {
		t.Fatalf("search by id = %d", len(byID))
	}
}
