package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/store"
	"atrium/internal/store/storetest"
)

// fixture is an identity service over a real store with a bootstrapped admin.
type fixture struct {
	st    *store.Store
	svc   *identity.Service
	ws    identity.Workspace
	admin identity.Principal
	clock *clock
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newFixture(t testing.TB, st *store.Store, opts identity.Options) *fixture {
	t.Helper()
	keys, err := secret.New(secret.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts.PublicURL = "http://atrium.test"
	svc := identity.New(st, audit.New(st, c.now), keys, c.now, storetest.Discard, opts)
	st.Subscribe(func(ch store.Change) {
		if ch.Topic == identity.Topic || ch.Topic == store.TopicAll {
			svc.Invalidate(ch.ID)
		}
	})
	ctx := context.Background()
	ws, _, err := svc.Bootstrap(ctx, "admin@example.com", "Correct-Horse-Battery-9")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Principal(ctx, ws.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, svc: svc, ws: ws, admin: admin, clock: c}
}

func sqliteFixture(t *testing.T, opts identity.Options) *fixture {
	st, _ := storetest.OpenSQLite(t)
	return newFixture(t, st, opts)
}

// as returns a context acting as p.
func as(p identity.Principal) context.Context {
	ctx := identity.WithPrincipal(context.Background(), p)
	return audit.WithActor(ctx, audit.Actor{WorkspaceID: p.WorkspaceID, UserID: p.UserID,
		Name: p.Name, Address: "127.0.0.1"})
}

func (f *fixture) person(t *testing.T, email string, role identity.Role) identity.Principal {
	t.Helper()
	u, err := f.svc.AddUser(as(f.admin), email, "Person "+email, role, "")
	if err != nil {
		t.Fatalf("add %s: %v", email, err)
	}
	p, err := f.svc.Principal(context.Background(), f.ws.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, kind apperr.Kind, sub int, what string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Kind != kind || (sub != 0 && e.Subcode != sub) {
		t.Fatalf("%s: got %v, want kind %v subcode %d", what, err, kind, sub)
	}
}

func TestLastAdminGuard(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	ctx := as(f.admin)
	wantErr(t, f.svc.SetRole(ctx, f.admin.UserID, identity.RoleUser), apperr.Invalid, 12,
		"demote the last admin")
	wantErr(t, f.svc.Deactivate(ctx, f.admin.UserID), apperr.Invalid, 12,
		"deactivate the last admin")
	wantErr(t, f.svc.Remove(ctx, f.admin.UserID), apperr.Invalid, 12, "remove the last admin")

	second := f.person(t, "second@example.com", identity.RoleAdmin)
	if err := f.svc.SetRole(ctx, f.admin.UserID, identity.RoleUser); err != nil {
		t.Fatalf("demote one of two admins: %v", err)
	}
	wantErr(t, f.svc.Remove(as(second), second.UserID), apperr.Invalid, 12,
		"remove the new last admin")
	p, _ := f.svc.Principal(context.Background(), f.ws.ID, f.admin.UserID)
	if p.Role != identity.RoleUser {
		t.Fatalf("role after demotion = %s; the principal cache must see it at once", p.Role)
	}
}

func TestDeactivateAndRemoveStopTheUserAtOnce(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	bob := f.person(t, "bob@example.com", identity.RoleUser)
	ctx := as(f.admin)
	if err := f.svc.Deactivate(ctx, bob.UserID); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Principal(context.Background(), f.ws.ID, bob.UserID)
	wantErr(t, err, apperr.Unauthenticated, 30, "deactivated user's principal")
	if err := f.svc.Reactivate(ctx, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Principal(context.Background(), f.ws.ID, bob.UserID); err != nil {
		t.Fatalf("reactivated user: %v", err)
	}
	if err := f.svc.Remove(ctx, bob.UserID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Principal(context.Background(), f.ws.ID, bob.UserID)
	wantErr(t, err, apperr.Unauthenticated, 30, "removed user's principal")
	u, err := f.st.User(context.Background(), f.ws.ID, bob.UserID)
	if err != nil || u.Name != bob.Name || u.Email != "" || u.Status != identity.StatusRemoved {
		t.Fatalf("removed row = %+v, %v; want the name kept and the e-mail cleared", u, err)
	}
	again := f.person(t, "bob@example.com", identity.RoleUser)
	if again.UserID == bob.UserID {
		t.Fatal("re-adding a removed e-mail reused the old id")
	}
	wantErr(t, f.svc.Remove(ctx, bob.UserID), apperr.Invalid, 301, "remove twice")
}

func TestNonAdminsCannotAdminister(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	bob := f.person(t, "bob@example.com", identity.RoleUser)
	ctx := as(bob)
	checks := map[string]error{
		"set role":   f.svc.SetRole(ctx, bob.UserID, identity.RoleAdmin),
		"deactivate": f.svc.Deactivate(ctx, f.admin.UserID),
		"remove":     f.svc.Remove(ctx, f.admin.UserID),
	}
	_, checks["invite"] = f.svc.Invite(ctx, []string{"x@example.com"}, identity.RoleUser)
	name := "team"
	_, checks["group"] = f.svc.SaveGroup(ctx, identity.GroupInput{Name: &name})
	_, checks["service account"] = f.svc.CreateServiceAccount(ctx,
		identity.ServiceAccountInput{Name: &name})
	_, checks["list"] = f.svc.UsersEx(ctx, identity.UserQuery{})
	for what, err := range checks {
		wantErr(t, err, apperr.Forbidden, 20, what)
	}
}

func TestSeatCap(t *testing.T) {
	f := sqliteFixture(t, identity.Options{MaxActiveUsers: 2})
	ctx := as(f.admin)
	if _, err := f.svc.Invite(ctx, []string{"a@example.com"}, identity.RoleUser); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Invite(ctx, []string{"b@example.com"}, identity.RoleUser)
	wantErr(t, err, apperr.Invalid, 12, "invitation past the cap")
	if !strings.Contains(apperr.As(err).Msg, "limited to 2") {
		t.Fatalf("message does not name the cap: %q", apperr.As(err).Msg)
	}
	if n, _ := f.st.CountUsers(context.Background()); n != 2 {
		t.Fatalf("users after refused invitation = %d, want 2", n)
	}
}

func TestGroups(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	ctx := as(f.admin)
	bob := f.person(t, "bob@example.com", identity.RoleUser)
	name, desc := "Vision", "CV team"
	g, err := f.svc.SaveGroup(ctx, identity.GroupInput{Name: &name, Description: &desc,
		Members: &[]string{bob.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.svc.Principal(context.Background(), f.ws.ID, bob.UserID)
	if !p.InGroup(g.ID) {
		t.Fatalf("bob's principal groups %v lack the new group", p.Groups)
	}
	dup := "vision"
	_, err = f.svc.SaveGroup(ctx, identity.GroupInput{Name: &dup})
	wantErr(t, err, apperr.Conflict, 12, "duplicate group name in another case")

	foreign := identity.Workspace{ID: secret.ID(), Name: "other", CreatedAt: f.clock.t}
	stranger := identity.User{ID: secret.ID(), WorkspaceID: foreign.ID, Name: "Stranger",
		Role: identity.RoleUser, Status: identity.StatusActive, Kind: identity.KindPerson,
		CreatedAt: f.clock.t, UpdatedAt: f.clock.t}
	if err := f.st.CreateWorkspace(context.Background(), foreign); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateUser(context.Background(), stranger); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"not-a-user", stranger.ID} {
		_, err = f.svc.SaveGroup(ctx, identity.GroupInput{ID: g.ID, Members: &[]string{id}})
		wantErr(t, err, apperr.Invalid, 301, "member that is not in the workspace")
	}

	views, _ := f.svc.Groups(ctx)
	var users, admins identity.GroupView
	for _, v := range views {
		switch v.Kind {
		case identity.GroupUsers:
			users = v
		case identity.GroupAdmins:
			admins = v
		}
	}
	if len(users.Members) != 2 || users.Assignable {
		t.Fatalf("Users group = %+v", users)
	}
	_, err = f.svc.SaveGroup(ctx, identity.GroupInput{ID: users.ID, Members: &[]string{}})
	wantErr(t, err, apperr.Invalid, 12, "edit the Users group")
	if _, err := f.svc.SaveGroup(ctx, identity.GroupInput{ID: admins.ID,
		Members: &[]string{f.admin.UserID, bob.UserID}}); err != nil {
		t.Fatalf("add to Admins: %v", err)
	}
	p, _ = f.svc.Principal(context.Background(), f.ws.ID, bob.UserID)
	if p.Role != identity.RoleAdmin {
		t.Fatalf("Admins membership did not make bob an admin: %s", p.Role)
	}
	_, err = f.svc.SaveGroup(ctx, identity.GroupInput{ID: admins.ID, Members: &[]string{}})
	wantErr(t, err, apperr.Invalid, 12, "empty the Admins group")
	_, err = f.svc.DeleteGroups(ctx, []string{admins.ID})
	wantErr(t, err, apperr.Invalid, 12, "delete a built-in group")

	f.svc.RegisterGroupUse(func(_ context.Context, _, id string) ([]string, error) {
		if id == g.ID {
			return []string{"access rule read-all"}, nil
		}
		return nil, nil
	})
	_, err = f.svc.DeleteGroups(ctx, []string{g.ID})
	wantErr(t, err, apperr.Conflict, 12, "delete a group in use")
	if !strings.Contains(apperr.As(err).Msg, "access rule read-all") {
		t.Fatalf("message does not list the users of the group: %q", apperr.As(err).Msg)
	}
}

func TestImpersonationMatrix(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	ctx := as(f.admin)
	bob := f.person(t, "bob@example.com", identity.RoleUser)
	carol := f.person(t, "carol@example.com", identity.RoleUser)
	yes, no := true, false
	mk := func(name string, allow *bool) identity.Principal {
		u, err := f.svc.CreateServiceAccount(ctx, identity.ServiceAccountInput{Name: &name,
			AllowImpersonation: allow})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := f.svc.Principal(context.Background(), f.ws.ID, u.ID)
		return p
	}
	agent, plainSA := mk("agent", &yes), mk("ci", &no)
	cases := []struct {
		name   string
		by     identity.Principal
		target string
		ok     bool
	}{
		{"admin as user", f.admin, bob.UserID, true},
		{"admin as service account", f.admin, plainSA.UserID, true},
		{"user as user", bob, carol.UserID, false},
		{"user as admin", bob, f.admin.UserID, false},
		{"impersonating service account as user", agent, bob.UserID, true},
		{"impersonating service account as admin", agent, f.admin.UserID, false},
		{"impersonating service account as service account", agent, plainSA.UserID, false},
		{"plain service account as user", plainSA, bob.UserID, false},
		{"admin as unknown id", f.admin, "0123456789abcdef0123456789abcdef", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.svc.Impersonate(context.Background(), tc.by, tc.target, false)
			if !tc.ok {
				wantErr(t, err, apperr.Invalid, 6, tc.name)
				return
			}
			if err != nil || got.UserID != tc.target || got.ImpersonatorID != tc.by.UserID {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
	acting, err := f.svc.Impersonate(context.Background(), f.admin, bob.UserID, true)
	if err != nil || acting.Role != identity.RoleAdmin || acting.UserID != bob.UserID {
		t.Fatalf("act-as keeps the caller's role: %+v, %v", acting, err)
	}
	_, err = f.svc.Impersonate(context.Background(), acting, carol.UserID, false)
	wantErr(t, err, apperr.Invalid, 6, "chained impersonation")
}

func TestInvitationLifecycleSQLite(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	testInvitationLifecycle(t, newFixture(t, st, identity.Options{}))
}

func TestInvitationLifecyclePostgres(t *testing.T) {
	st, _ := storetest.OpenPostgres(t)
	testInvitationLifecycle(t, newFixture(t, st, identity.Options{}))
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	_, tok, ok := strings.Cut(link, "/invite/")
	if !ok || tok == "" {
		t.Fatalf("link %q has no token", link)
	}
	return tok
}

func testInvitationLifecycle(t *testing.T, f *fixture) {
	ctx := as(f.admin)
	res, err := f.svc.Invite(ctx, []string{"Dana@Example.com, eve@example.com"}, identity.RoleUser)
	if err != nil || len(res) != 2 {
		t.Fatalf("invite = %+v, %v", res, err)
	}
	if res[0].Email != "dana@example.com" || res[0].Sent || res[0].Link == "" {
		t.Fatalf("without SMTP the admin gets the link: %+v", res[0])
	}
	_, err = f.svc.Invite(ctx, []string{"DANA@example.com"}, identity.RoleUser)
	wantErr(t, err, apperr.Conflict, 12, "invite an address already invited")
	_, err = f.svc.Invite(ctx, []string{"admin@example.com"}, identity.RoleUser)
	wantErr(t, err, apperr.Conflict, 12, "invite a member")
	_, err = f.svc.Invite(ctx, []string{"not an address"}, identity.RoleUser)
	wantErr(t, err, apperr.Invalid, 0, "malformed address")

	// Resend: the old link dies, the new one works.
	old := tokenOf(t, res[0].Link)
	again, err := f.svc.ResendInvitation(ctx, res[0].InvitationID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LookupInvitation(context.Background(), old); err == nil {
		t.Fatal("the old link still works after a resend")
	}
	fresh := tokenOf(t, again.Link)
	if _, err := f.svc.LookupInvitation(context.Background(), fresh); err != nil {
		t.Fatalf("the new link: %v", err)
	}

	// Weak passwords and short names change nothing.
	_, err = f.svc.AcceptInvitation(context.Background(), fresh, "Dana", "short")
	wantErr(t, err, apperr.Invalid, 0, "short password")
	_, err = f.svc.AcceptInvitation(context.Background(), fresh, "Dana", "password1234")
	wantErr(t, err, apperr.Invalid, 0, "common password")
	_, err = f.svc.AcceptInvitation(context.Background(), fresh, "D", "a-Fine-passphrase-42")
	wantErr(t, err, apperr.Invalid, 0, "one-letter name")

	u, err := f.svc.AcceptInvitation(context.Background(), fresh, "Dana D", "a-Fine-passphrase-42")
	if err != nil || u.Status != identity.StatusActive || u.Name != "Dana D" {
		t.Fatalf("accept = %+v, %v", u, err)
	}
	if _, err := f.svc.Authenticate(context.Background(), "dana@example.com",
		"a-Fine-passphrase-42", "127.0.0.1"); err != nil {
		t.Fatalf("sign in after accepting: %v", err)
	}
	_, err = f.svc.AcceptInvitation(context.Background(), fresh, "Mallory", "another-Fine-pass-43")
	wantErr(t, err, apperr.Invalid, 0, "reuse an accepted link")

	// Cancel forgets the address; expiry kills the link.
	if err := f.svc.CancelInvitation(ctx, res[1].InvitationID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UserByEmail(context.Background(), "eve@example.com"); err == nil {
		t.Fatal("a cancelled invitation left its user behind")
	}
	late, err := f.svc.Invite(ctx, []string{"late@example.com"}, identity.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.t = f.clock.t.Add(7*24*time.Hour + time.Second)
	_, err = f.svc.AcceptInvitation(context.Background(), tokenOf(t, late[0].Link), "Late L",
		"a-Fine-passphrase-42")
	wantErr(t, err, apperr.Invalid, 0, "expired link")
	list, _ := f.svc.Invitations(ctx)
	if len(list) != 1 || list[0].Email != "late@example.com" {
		t.Fatalf("pending invitations = %+v", list)
	}
}

func TestAllowedDomains(t *testing.T) {
	f := sqliteFixture(t, identity.Options{})
	ctx := as(f.admin)
	got, err := f.svc.SetAllowedDomains(ctx, []string{"@Example.com", " corp.io ", "example.com"})
	if err != nil || strings.Join(got, ",") != "example.com,corp.io" {
		t.Fatalf("SetAllowedDomains = %v, %v", got, err)
	}
	_, err = f.svc.SetAllowedDomains(ctx, []string{"not a domain"})
	wantErr(t, err, apperr.Invalid, 0, "bad domain")
	for email, want := range map[string]bool{"a@example.com": true, "b@corp.io": true,
		"c@evil.example.com.attacker.io": false, "d@other.org": false} {
		ok, err := f.svc.MayJoin(context.Background(), f.ws.ID, email)
		if err != nil || ok != want {
			t.Errorf("MayJoin(%s) = %v, %v; want %v", email, ok, err, want)
		}
	}
}
