package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"atrium/internal/config"
)

func TestSeatsShownBeforeInviting(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.MaxActive = 2 })
	admin := h.admin()
	users := admin.get("/settings/users")
	wantContains(t, "seats", text(users.byID("seats")), "1 of 2 seats used")
	if users.byID("seats-full") != nil {
		t.Error("the cap is shown as reached with a seat free")
	}

	inviteLinks(t, admin.invite("second@example.com", "user"))
	full := admin.get("/settings/users")
	wantContains(t, "seats", text(full.byID("seats")), "2 of 2 seats used")
	wantContains(t, "cap", text(full.byID("seats-full")), "All 2 seats are taken")
	for _, n := range findAll(full.doc, hasAttr("action", "/settings/users/invite#invite")) {
		for _, b := range findAll(n, hasAttr("type", "submit")) {
			if _, ok := attr(b, "disabled"); !ok {
				t.Error("the invite button works with every seat taken")
			}
		}
	}
}

func TestSeatsWithoutALimit(t *testing.T) {
	h := start(t)
	wantContains(t, "seats", text(h.admin().get("/settings/users").byID("seats")),
		"1 seat used · no limit")
}

func TestAdminSwitchOnlyWhenAllowed(t *testing.T) {
	h := start(t)
	admin := h.admin()
	if admin.get("/settings/service-accounts").byID("admin") != nil {
		t.Error("the admin switch is offered on a server that does not allow admin accounts")
	}
	allowed := start(t, func(c *config.Config) { c.Users.AllowAdminServiceAccounts = true })
	if allowed.admin().get("/settings/service-accounts").byID("admin") == nil {
		t.Error("no admin switch on a server that allows admin accounts")
	}
}

func TestInvitationResultShowsExpiry(t *testing.T) {
	h := start(t)
	p := h.admin().invite("later@example.com", "user")
	wantStatus(t, p, http.StatusOK)
	got := p.texts("link-expiry")
	if len(got) != 1 {
		t.Fatalf("expiry lines = %q, want one", got)
	}
	wantContains(t, "expiry", got[0], "expires in 7 days")
	wantContains(t, "expiry", got[0], "UTC")
}

func TestUsersTabListsGroupNames(t *testing.T) {
	h := start(t)
	admin := h.admin()
	h.member(admin, "grouped@example.com", "Grouped Person")
	id := userID(t, admin, "grouped@example.com")
	wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"},
		"name": {"Researchers"}, "members": {id}}), http.StatusSeeOther)
	wantContains(t, "row", text(row(t, admin.get("/settings/users"), "user-"+id)),
		"Researchers")
}
