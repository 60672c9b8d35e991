package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"atrium/internal/config"
)

// accountIDs lists the service accounts in the table, by name.
func accountIDs(t *testing.T, a *agent) map[string]string {
	t.Helper()
	p := a.get("/settings/service-accounts")
	wantStatus(t, p, http.StatusOK)
	out := map[string]string{}
	for _, n := range findAll(p.doc, hasClass("account-name-link")) {
		href, _ := attr(n, "href")
		out[text(n)] = strings.TrimPrefix(href, "/settings/service-accounts/")
	}
	return out
}

func TestServiceAccountLifecycle(t *testing.T) {
	h := start(t)
	admin := h.admin()
	wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"},
		"name": {"Agents"}}), http.StatusSeeOther)
	agents := groupID(t, admin, "Agents")

	empty := admin.get("/settings/service-accounts")
	wantContains(t, "empty state", text(empty.doc), "No service accounts yet")

	p := admin.send("/settings/service-accounts", url.Values{"name": {"gpu-agents"},
		"impersonation": {"on"}, "groups": {agents}, "expiry": {"never"}})
	first := readPair(t, p)
	conf := text(p.byID("conf-snippet"))
	wantContains(t, "agent clearml.conf", conf, "api_server: "+h.url)
	wantContains(t, "agent clearml.conf", conf, `"access_key" = "`+first.key+`"`)
	wantContains(t, "agent clearml.conf", conf, `"secret_key" = "`+first.secret+`"`)
	wantContains(t, "agent hint", text(p.doc), "--use-owner-token")
	if status := h.basicLogin(first.key, first.secret); status != http.StatusOK {
		t.Errorf("auth.login with the first pair: status %d, want 200", status)
	}

	id := accountIDs(t, admin)["gpu-agents"]
	list := admin.get("/settings/service-accounts")
	if strings.Contains(list.body, first.secret) {
		t.Error("the secret appears in the table")
	}
	r := text(row(t, list, "account-"+id))
	for _, want := range []string{"gpu-agents", "Agents", id, "Allowed"} {
		wantContains(t, "account row", r, want)
	}

	second := readPair(t, admin.send("/settings/service-accounts/"+id+"/credentials",
		url.Values{"label": {"autoscaler"}, "expiry": {"30"}}))
	detail := admin.get("/settings/service-accounts/" + id)
	wantStatus(t, detail, http.StatusOK)
	wantContains(t, "credentials count", strings.Join(detail.texts("count"), " "), "2 of 10")
	wantContains(t, "credentials table", text(detail.doc), "autoscaler")

	revoke := admin.get("/settings/service-accounts/" + id + "/credentials/" + second.key +
		"/revoke")
	wantContains(t, "revoke confirmation", text(revoke.doc), second.key)
	wantContains(t, "revoke confirmation", text(revoke.doc), "gpu-agents")
	wantStatus(t, admin.send("/settings/service-accounts/"+id+"/credentials/"+second.key+
		"/revoke", nil), http.StatusSeeOther)
	if status := h.basicLogin(second.key, second.secret); status != http.StatusUnauthorized {
		t.Errorf("revoked pair: auth.login status %d, want 401", status)
	}

	wantStatus(t, admin.send("/settings/service-accounts/"+id, url.Values{
		"name": {"gpu-agents-eu"}}), http.StatusSeeOther)
	r = text(row(t, admin.get("/settings/service-accounts"), "account-"+id))
	wantContains(t, "edited row", r, "gpu-agents-eu")
	wantContains(t, "edited row", r, "Off")
	if strings.Contains(r, "Agents") {
		t.Errorf("the account is still in Agents: %q", r)
	}

	confirm := admin.get("/settings/service-accounts/" + id + "/delete")
	wantContains(t, "delete confirmation", text(confirm.doc),
		"Its 1 credential stops working at once")
	wantStatus(t, admin.send("/settings/service-accounts/"+id+"/delete", nil), http.StatusSeeOther)
	if status := h.basicLogin(first.key, first.secret); status != http.StatusUnauthorized {
		t.Errorf("pair of a deleted account: auth.login status %d, want 401", status)
	}
	if _, ok := accountIDs(t, admin)["gpu-agents-eu"]; ok {
		t.Error("the deleted account is still listed")
	}
	if p := admin.get("/settings/service-accounts/" + id); p.status != http.StatusNotFound {
		t.Errorf("page of a deleted account: status %d, want 404", p.status)
	}
}

func TestServiceAccountRefusals(t *testing.T) {
	h := start(t)
	admin := h.admin()
	cases := []struct {
		name   string
		form   url.Values
		status int
		field  string
		want   string
	}{
		{"no name", url.Values{"name": {" "}}, http.StatusBadRequest, "account-name-error",
			"at least 2"},
		{"admin not allowed", url.Values{"name": {"root-bot"}, "admin": {"on"}},
			http.StatusBadRequest, "admin-error", "cannot be admins"},
		{"unknown group", url.Values{"name": {"grouped"}, "groups": {"nope"}},
			http.StatusBadRequest, "groups-error", "Invalid group id"},
		{"bad expiry", url.Values{"name": {"expiring"}, "expiry": {"8"}},
			http.StatusBadRequest, "expiry-error", "Choose an expiry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.send("/settings/service-accounts", tc.form)
			wantStatus(t, p, tc.status)
			wantContains(t, tc.field, fieldErrorText(p, tc.field), tc.want)
		})
	}
	if got := accountIDs(t, admin); len(got) != 0 {
		t.Errorf("refused forms created accounts: %v", got)
	}

	readPair(t, admin.send("/settings/service-accounts", url.Values{"name": {"ci"}}))
	id := accountIDs(t, admin)["ci"]
	p := admin.send("/settings/service-accounts/"+id, url.Values{"name": {"ci"},
		"admin": {"on"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantContains(t, "admin on edit", fieldErrorText(p, "admin-error"), "cannot be admins")
	userRow := admin.get("/settings/users")
	if strings.Contains(userRow.body, `id="user-`+id+`"`) {
		t.Error("a service account is listed among people")
	}
	if p := admin.send("/settings/service-accounts/"+userID(t, admin, adminEmail)+"/delete",
		nil); p.status != http.StatusNotFound {
		t.Errorf("delete a person as a service account: status %d, want 404", p.status)
	}
}

func TestAdminServiceAccountsWhenAllowed(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Users.AllowAdminServiceAccounts = true })
	admin := h.admin()
	readPair(t, admin.send("/settings/service-accounts", url.Values{"name": {"ops-bot"},
		"admin": {"on"}}))
	id := accountIDs(t, admin)["ops-bot"]
	r := row(t, admin.get("/settings/service-accounts"), "account-"+id)
	if tags := findAll(r, func(n *html.Node) bool {
		return hasClass("tag")(n) && text(n) == "admin"
	}); len(tags) != 1 {
		t.Errorf("the admin service account is not marked admin: %q", text(r))
	}
}
