package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"atrium/internal/config"
)

const memberPassword = "Plum-Orchard-Lantern-42"

// send posts a form with the session's CSRF token added.
func (a *agent) send(path string, form url.Values) *page {
	a.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", a.csrf())
	return a.post(path, form)
}

// admin is an agent signed in as the first admin.
func (h *harness) admin() *agent {
	h.t.Helper()
	a := h.agent()
	a.login(adminEmail, adminPassword)
	return a
}

// invite sends the invite form and returns the page it answers with.
func (a *agent) invite(emails, role string) *page {
	a.h.t.Helper()
	return a.send("/settings/users/invite", url.Values{"emails": {emails}, "role": {role}})
}

// inviteLinks reads the links shown after an invitation, in order.
func inviteLinks(t *testing.T, p *page) []string {
	t.Helper()
	wantStatus(t, p, http.StatusOK)
	var out []string
	for _, n := range findAll(p.doc, hasClass("invite-link")) {
		out = append(out, text(n))
	}
	if len(out) == 0 {
		t.Fatalf("no invitation links on the page:\n%s", p.body)
	}
	return out
}

// linkPath is the path of an invitation link.
func linkPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/invite/") {
		t.Fatalf("invitation link %q", link)
	}
	return u.Path
}

// accept opens an invitation link in a fresh browser and submits the form.
func (h *harness) accept(link, name, password, confirm string) (*agent, *page) {
	h.t.Helper()
	a := h.agent()
	path := linkPath(h.t, link)
	open := a.get(path)
	wantStatus(h.t, open, http.StatusOK)
	form := url.Values{"csrf": {open.inputValue("csrf")}, "name": {name},
		"password": {password}, "confirm_password": {confirm}}
	return a, a.post(path, form)
}

// member invites email and accepts as name, returning the new member's signed-in agent.
func (h *harness) member(admin *agent, email, name string) *agent {
	h.t.Helper()
	link := inviteLinks(h.t, admin.invite(email, "user"))[0]
	a, p := h.accept(link, name, memberPassword, memberPassword)
	wantStatus(h.t, p, http.StatusSeeOther)
	return a
}

// row returns the table row with the id, or fails the test.
func row(t *testing.T, p *page, id string) *html.Node {
	t.Helper()
	n := p.byID(id)
	if n == nil {
		t.Fatalf("no row #%s on the page:\n%s", id, p.body)
	}
	return n
}

// userID finds a person's id in the users table by e-mail.
func userID(t *testing.T, a *agent, email string) string {
	t.Helper()
	p := a.get("/settings/users?q=" + url.QueryEscape(email))
	for _, tr := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "tr" }) {
		id, _ := attr(tr, "id")
		if strings.HasPrefix(id, "user-") && strings.Contains(text(tr), email) {
			return strings.TrimPrefix(id, "user-")
		}
	}
	t.Fatalf("%s not in the users table:\n%s", email, p.body)
	return ""
}

// fieldErrorText is the text of the error shown with the element id.
func fieldErrorText(p *page, id string) string {
	if n := p.byID(id); n != nil {
		return text(n)
	}
	return ""
}

func wantContains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s = %q, want it to contain %q", what, got, want)
	}
}

func TestAdminSectionIsOnlyForAdmins(t *testing.T) {
	h := start(t)
	admin := h.admin()
	nav := text(admin.get("/settings/profile").byID("main").Parent)
	wantContains(t, "admin navigation", nav, "Administrator settings")
	wantContains(t, "admin navigation", nav, "Users and groups")

	user := h.member(admin, "user@example.com", "Ordinary User")
	profile := user.get("/settings/profile")
	wantStatus(t, profile, http.StatusOK)
	for _, n := range findAll(profile.doc, hasClass("sidenav")) {
		if got := text(n); strings.Contains(got, "Administrator") || strings.Contains(got, "Users and") {
			t.Errorf("a user's navigation shows %q", got)
		}
	}
	adminID := userID(t, admin, adminEmail)
	for _, path := range []string{"/settings/users", "/settings/groups",
		"/settings/groups/new", "/settings/service-accounts",
		"/settings/users/" + adminID + "/remove"} {
		if p := user.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s as a user: status %d, want 404", path, p.status)
		}
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/settings/users/invite", url.Values{"emails": {"x@example.com"}, "role": {"admin"}}},
		{"/settings/users/" + adminID + "/role", url.Values{"role": {"user"}}},
		{"/settings/users/" + adminID + "/remove", nil},
		{"/settings/groups", url.Values{"name": {"Mine"}, "op": {"save"}}},
		{"/settings/service-accounts", url.Values{"name": {"sneaky"}}},
	}
	for _, tc := range posts {
		if p := user.send(tc.path, tc.form); p.status != http.StatusNotFound {
			t.Errorf("POST %s as a user: status %d, want 404", tc.path, p.status)
		}
	}
	users := admin.get("/settings/users")
	if strings.Contains(users.body, "x@example.com") {
		t.Error("a user's invitation went through")
	}
	wantContains(t, "admin row", text(row(t, users, "user-"+adminID)), "Admin")
	if strings.Contains(admin.get("/settings/groups").body, "Mine") {
		t.Error("a user created a group")
	}
}

func TestInviteAndAcceptSignsIn(t *testing.T) {
	h := start(t)
	admin := h.admin()
	p := admin.invite("New.Person@Example.com", "user")
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	link := inviteLinks(t, p)[0]
	wantContains(t, "result", text(p.doc), "new.person@example.com")
	wantContains(t, "result", text(p.doc), "Not sent")

	users := admin.get("/settings/users")
	id := userID(t, admin, "new.person@example.com")
	wantContains(t, "invited row", text(row(t, users, "user-"+id)), "Invited")
	wantContains(t, "pending invitations", text(users.doc), "Link expires")

	open := h.agent().get(linkPath(t, link))
	wantStatus(t, open, http.StatusOK)
	wantContains(t, "accept page", text(open.doc), "new.person@example.com")
	if strings.Contains(text(open.doc), linkPath(t, link)) {
		t.Error("the token is shown as text on the page")
	}

	bad := []struct {
		name, display, password, confirm, field, want string
	}{
		{"mismatch", "New Person", memberPassword, memberPassword + "x", "confirm_password-error",
			"do not match"},
		{"short", "New Person", "short-pass", "short-pass", "password-error", "12"},
		{"common", "New Person", "password1234", "password1234", "password-error", "common"},
		{"no name", "", memberPassword, memberPassword, "name-error", "display name"},
		{"short name", "N", memberPassword, memberPassword, "name-error", "2 characters"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, p := h.accept(link, tc.display, tc.password, tc.confirm)
			wantStatus(t, p, http.StatusBadRequest)
			wantContains(t, tc.field, strings.ToLower(fieldErrorText(p, tc.field)),
				strings.ToLower(tc.want))
		})
	}

	member, done := h.accept(link, "New Person", memberPassword, memberPassword)
	wantStatus(t, done, http.StatusSeeOther)
	if got := done.location(); got != "/settings/profile?notice=welcome" {
		t.Errorf("redirect = %q, want the profile with a welcome", got)
	}
	profile := member.get("/settings/profile")
	wantStatus(t, profile, http.StatusOK)
	if got := text(profile.byID("display-name")); got != "New Person" {
		t.Errorf("display name = %q, want New Person", got)
	}

	again := h.agent().get(linkPath(t, link))
	wantStatus(t, again, http.StatusNotFound)
	wantContains(t, "reused link", text(again.byID("invitation-problem")), "not valid")

	fresh := h.agent()
	fresh.login("new.person@example.com", memberPassword)

	h.srv.Identity.FlushActivity(context.Background())
	users = admin.get("/settings/users")
	r := text(row(t, users, "user-"+id))
	wantContains(t, "accepted row", r, "Active")
	wantContains(t, "accepted row", r, "just now password")
	if strings.Contains(text(users.doc), "Pending invitations E-mail") {
		t.Error("the accepted invitation is still pending")
	}
}

func TestAcceptRefusesAForgedForm(t *testing.T) {
	h := start(t)
	link := inviteLinks(t, h.admin().invite("victim@example.com", "user"))[0]
	a := h.agent()
	p := a.post(linkPath(t, link), url.Values{"csrf": {"forged"}, "name": {"Mallory"},
		"password": {memberPassword}, "confirm_password": {memberPassword}})
	wantStatus(t, p, http.StatusForbidden)
	if a.token() != "" {
		t.Error("a forged acceptance signed someone in")
	}
	if p := h.agent().get(linkPath(t, link)); p.status != http.StatusOK {
		t.Errorf("the link stopped working after a forged post: status %d", p.status)
	}
}

func TestInviteRefusals(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.MaxActive = 3 })
	admin := h.admin()
	inviteLinks(t, admin.invite("first@example.com", "user"))
	cases := []struct {
		name, emails, role string
		status             int
		field, want        string
	}{
		{"malformed", "not-an-address", "user", http.StatusBadRequest, "emails-error",
			"Invalid e-mail"},
		{"malformed among good", "ok@example.com, bad@", "user", http.StatusBadRequest,
			"emails-error", "bad@"},
		{"member, other case", "ADMIN@example.com", "user", http.StatusConflict,
			"emails-error", "already a member"},
		{"already invited", "first@example.com", "user", http.StatusConflict, "emails-error",
			"already"},
		{"nothing", " ", "user", http.StatusBadRequest, "emails-error", "emails"},
		{"bad role", "role@example.com", "root", http.StatusBadRequest, "role-error",
			"Invalid role"},
		{"over the cap", "a@example.com\nb@example.com", "user", http.StatusBadRequest,
			"emails-error", "limited to 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.invite(tc.emails, tc.role)
			wantStatus(t, p, tc.status)
			wantContains(t, tc.field, fieldErrorText(p, tc.field), tc.want)
			if got := text(p.byID("emails")); got != strings.Join(strings.Fields(tc.emails), " ") {
				t.Errorf("the form lost what was typed: %q", got)
			}
		})
	}
	for _, email := range []string{"ok@example.com", "role@example.com", "a@example.com"} {
		found := admin.get("/settings/users?q=" + url.QueryEscape(email))
		if n := len(findAll(found.doc, hasClass("person"))); n != 0 {
			t.Errorf("%s was invited although the form was refused", email)
		}
	}
	inviteLinks(t, admin.invite("second@example.com", "admin"))
}

func TestResendAndCancelInvitation(t *testing.T) {
	h := start(t)
	admin := h.admin()
	first := inviteLinks(t, admin.invite("later@example.com", "user"))[0]
	inv := pendingInvitation(t, admin, "later@example.com")

	renewed := inviteLinks(t, admin.send("/settings/users/invitations/"+inv+"/resend", nil))[0]
	if renewed == first {
		t.Fatal("resend gave the same link")
	}
	if p := h.agent().get(linkPath(t, first)); p.status != http.StatusNotFound {
		t.Errorf("old link after resend: status %d, want 404", p.status)
	}
	if p := h.agent().get(linkPath(t, renewed)); p.status != http.StatusOK {
		t.Errorf("new link: status %d, want 200", p.status)
	}

	inv = pendingInvitation(t, admin, "later@example.com")
	confirm := admin.get("/settings/users/invitations/" + inv + "/cancel")
	wantStatus(t, confirm, http.StatusOK)
	wantContains(t, "confirmation", text(confirm.doc), "later@example.com")
	done := admin.send("/settings/users/invitations/"+inv+"/cancel", nil)
	wantStatus(t, done, http.StatusSeeOther)
	if p := h.agent().get(linkPath(t, renewed)); p.status != http.StatusNotFound {
		t.Errorf("link after cancel: status %d, want 404", p.status)
	}
	if strings.Contains(admin.get("/settings/users").body, "later@example.com") {
		t.Error("the cancelled address is still listed")
	}
	twice := admin.send("/settings/users/invitations/"+inv+"/cancel", nil)
	if twice.status != http.StatusNotFound {
		t.Errorf("cancel twice: status %d, want 404", twice.status)
	}
	inviteLinks(t, admin.invite("later@example.com", "user"))
}

// pendingInvitation finds the id of the pending invitation of email.
func pendingInvitation(t *testing.T, a *agent, email string) string {
	t.Helper()
	p := a.get("/settings/users")
	for _, f := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "form" }) {
		action, _ := attr(f, "action")
		if strings.HasSuffix(action, "/resend") && strings.Contains(text(f.Parent.Parent), email) {
			return strings.TrimSuffix(strings.TrimPrefix(action, "/settings/users/invitations/"),
				"/resend")
		}
	}
	t.Fatalf("no pending invitation for %s", email)
	return ""
}

func TestRoleChangeAndTheLastAdmin(t *testing.T) {
	h := start(t)
	admin := h.admin()
	user := h.member(admin, "promoted@example.com", "Promoted Person")
	id := userID(t, admin, "promoted@example.com")
	adminID := userID(t, admin, adminEmail)

	p := admin.send("/settings/users/"+id+"/role", url.Values{"role": {"admin"}})
	wantStatus(t, p, http.StatusSeeOther)
	if p := user.get("/settings/users"); p.status != http.StatusOK {
		t.Errorf("the promoted user cannot open Users: status %d", p.status)
	}
	wantStatus(t, admin.send("/settings/users/"+id+"/role", url.Values{"role": {"user"}}),
		http.StatusSeeOther)
	if p := user.get("/settings/users"); p.status != http.StatusNotFound {
		t.Errorf("the demoted user still opens Users: status %d", p.status)
	}

	bad := admin.send("/settings/users/"+id+"/role", url.Values{"role": {"root"}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantContains(t, "role error", fieldErrorText(bad, "role-error-"+id), "Invalid role")

	last := admin.send("/settings/users/"+adminID+"/role", url.Values{"role": {"user"},
		"q": {"admin"}})
	wantStatus(t, last, http.StatusBadRequest)
	wantContains(t, "last admin", fieldErrorText(last, "role-error-"+adminID), "last admin")
	if got := last.inputValue("q"); got != "admin" {
		t.Errorf("the search was lost: q = %q", got)
	}
	for _, verb := range []string{"deactivate", "remove"} {
		p := admin.send("/settings/users/"+adminID+"/"+verb, nil)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, verb+" refusal", text(p.byID("confirm-error")), "last admin")
	}
	if p := admin.get("/settings/users"); p.status != http.StatusOK {
		t.Fatalf("the admin lost access: status %d", p.status)
	}
	unknown := admin.send("/settings/users/no-such-user/role", url.Values{"role": {"user"}})
	if unknown.status != http.StatusNotFound {
		t.Errorf("unknown user: status %d, want 404", unknown.status)
	}
}

func TestDeactivateReactivateAndRemove(t *testing.T) {
	h := start(t)
	admin := h.admin()
	user := h.member(admin, "leaver@example.com", "Lea Ver")
	pair := readPair(t, user.create("laptop", "never", ""))
	id := userID(t, admin, "leaver@example.com")

	confirm := admin.get("/settings/users/" + id + "/deactivate")
	wantStatus(t, confirm, http.StatusOK)
	msg := text(confirm.doc)
	wantContains(t, "deactivate confirmation", msg, "Lea Ver (leaver@example.com)")
	wantContains(t, "deactivate confirmation", msg, "their 1 API credential stops working")
	wantStatus(t, admin.send("/settings/users/"+id+"/deactivate", nil), http.StatusSeeOther)
	if p := user.get("/settings/profile"); p.status != http.StatusSeeOther {
		t.Errorf("deactivated session: status %d, want a redirect to sign in", p.status)
	}
	if status := h.basicLogin(pair.key, pair.secret); status != http.StatusUnauthorized {
		t.Errorf("deactivated pair: auth.login status %d, want 401", status)
	}
	users := admin.get("/settings/users")
	wantContains(t, "deactivated row", text(row(t, users, "user-"+id)), "Deactivated")

	wantStatus(t, admin.send("/settings/users/"+id+"/reactivate", nil), http.StatusSeeOther)
	back := h.agent()
	back.login("leaver@example.com", memberPassword)
	if status := h.basicLogin(pair.key, pair.secret); status != http.StatusOK {
		t.Errorf("reactivated pair: auth.login status %d, want 200", status)
	}

	remove := admin.get("/settings/users/" + id + "/remove")
	wantContains(t, "remove confirmation", text(remove.doc),
		"Their 1 API credential is revoked and their sessions end at once")
	wantStatus(t, admin.send("/settings/users/"+id+"/remove", nil), http.StatusSeeOther)
	if p := back.get("/settings/profile"); p.status != http.StatusSeeOther {
		t.Errorf("removed session: status %d, want a redirect to sign in", p.status)
	}
	if status := h.basicLogin(pair.key, pair.secret); status != http.StatusUnauthorized {
		t.Errorf("removed pair: auth.login status %d, want 401", status)
	}
	if p := h.agent().tryLogin("leaver@example.com", memberPassword, ""); p.status ==
		http.StatusSeeOther {
		t.Error("a removed user signed in")
	}
	if strings.Contains(admin.get("/settings/users").body, "leaver@example.com") {
		t.Error("the removed user is still listed")
	}
	if p := admin.get("/settings/users/" + id + "/remove"); p.status != http.StatusNotFound {
		t.Errorf("remove page of a removed user: status %d, want 404", p.status)
	}
}

func TestUsersSearchAndPaging(t *testing.T) {
	h := start(t)
	admin := h.admin()
	var emails []string
	for i := 0; i < 55; i++ {
		emails = append(emails, "person"+string(rune('a'+i/26))+string(rune('a'+i%26))+
			"@example.com")
	}
	inviteLinks(t, admin.invite(strings.Join(emails, "\n"), "user"))

	first := admin.get("/settings/users")
	if n := len(findAll(first.doc, hasClass("person"))); n != 50 {
		t.Errorf("first page lists %d people, want 50", n)
	}
	pager := first.texts("pager")
	if len(pager) != 1 || !strings.Contains(pager[0], "1–50 of 56") {
		t.Errorf("pager = %q, want 1–50 of 56", pager)
	}
	second := admin.get("/settings/users?page=2")
	if n := len(findAll(second.doc, hasClass("person"))); n != 6 {
		t.Errorf("second page lists %d people, want 6", n)
	}
	found := admin.get("/settings/users?q=PERSONBC")
	if n := len(findAll(found.doc, hasClass("person"))); n != 1 {
		t.Errorf("search lists %d people, want 1", n)
	}
	id := userID(t, admin, "personbc@example.com")
	byID := admin.get("/settings/users?q=" + id)
	if n := len(findAll(byID.doc, hasClass("person"))); n != 1 {
		t.Errorf("search by id lists %d people, want 1", n)
	}
	none := admin.get("/settings/users?q=nobody-here")
	wantContains(t, "empty search", text(none.doc), "No one matches")
}

func TestAllowedDomains(t *testing.T) {
	h := start(t)
	admin := h.admin()
	p := admin.send("/settings/users/domains", url.Values{"domains": {"Example.com\n@example.org"}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := text(admin.get("/settings/users").byID("domains")); got != "example.com example.org" {
		t.Errorf("domains = %q, want the two saved domains", got)
	}
	bad := admin.send("/settings/users/domains", url.Values{"domains": {"example.com\nnot_a domain"}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantContains(t, "domains error", fieldErrorText(bad, "domains-error"), "Invalid e-mail domain")
	if got := text(admin.get("/settings/users").byID("domains")); got != "example.com example.org" {
		t.Errorf("domains after a refusal = %q, want them unchanged", got)
	}
}

func TestExpiredInvitation(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.InvitationTTL = config.Duration(time.Millisecond) })
	admin := h.admin()
	link := inviteLinks(t, admin.invite("slow@example.com", "user"))[0]
	time.Sleep(10 * time.Millisecond)

	p := h.agent().get(linkPath(t, link))
	wantStatus(t, p, http.StatusNotFound)
	wantContains(t, "expired link", text(p.byID("invitation-problem")), "expired")
	if p.byID("password") != nil {
		t.Error("an expired invitation offers the password form")
	}
	pending := text(admin.get("/settings/users").doc)
	wantContains(t, "pending invitations", pending, "expired")
}
