package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// groupRow is one row of the groups table read back.
type groupRowText struct {
	id, text string
}

func groupRows(t *testing.T, a *agent) []groupRowText {
	t.Helper()
	p := a.get("/settings/groups")
	wantStatus(t, p, http.StatusOK)
	var out []groupRowText
	for _, tr := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "tr" }) {
		if id, _ := attr(tr, "id"); strings.HasPrefix(id, "group-") {
			out = append(out, groupRowText{strings.TrimPrefix(id, "group-"), text(tr)})
		}
	}
	return out
}

// groupID finds a group's id by name.
func groupID(t *testing.T, a *agent, name string) string {
	t.Helper()
	for _, r := range groupRows(t, a) {
		if strings.Contains(r.text, " "+name+" ") {
			return r.id
		}
	}
	t.Fatalf("no group %s", name)
	return ""
}

func groupOrder(t *testing.T, a *agent) []string {
	t.Helper()
	var out []string
	for _, r := range groupRows(t, a) {
		out = append(out, r.id)
	}
	return out
}

// checked lists the values of the ticked member boxes on a group form.
func checked(p *page) []string {
	var out []string
	for _, n := range findAll(p.doc, hasAttr("name", "members")) {
		if _, ok := attr(n, "checked"); ok {
			v, _ := attr(n, "value")
			out = append(out, v)
		}
	}
	return out
}

func TestGroupsCreateEditAndDelete(t *testing.T) {
	h := start(t)
	admin := h.admin()
	h.member(admin, "ada@example.com", "Ada Lovelace")
	h.member(admin, "alan@example.com", "Alan Turing")
	ada := userID(t, admin, "ada@example.com")
	alan := userID(t, admin, "alan@example.com")

	rows := groupRows(t, admin)
	if len(rows) != 3 {
		t.Fatalf("groups = %v, want the three built-in ones", rows)
	}
	wantContains(t, "Users row", rows[0].text, "Users")
	wantContains(t, "Users row", rows[0].text, "3 (everyone)")

	form := admin.get("/settings/groups/new")
	wantStatus(t, form, http.StatusOK)
	filtered := admin.send("/settings/groups", url.Values{"op": {"filter"}, "filter": {"ada"},
		"name": {"Data team"}, "members": {alan}})
	wantStatus(t, filtered, http.StatusOK)
	if got := filtered.inputValue("name"); got != "Data team" {
		t.Errorf("the search lost the name: %q", got)
	}
	if got := checked(filtered); len(got) != 1 || got[0] != alan {
		t.Errorf("ticked after search = %v, want Alan kept", got)
	}
	candidates := filtered.byID("candidates")
	if candidates == nil || !strings.Contains(text(candidates), "Ada Lovelace") ||
		strings.Contains(text(candidates), "Administrator") {
		t.Errorf("candidates after searching ada: %q", text(candidates))
	}

	p := admin.send("/settings/groups", url.Values{"op": {"save"}, "name": {"Data team"},
		"description": {"Notebooks and pipelines"}, "members": {ada, alan}})
	wantStatus(t, p, http.StatusSeeOther)
	id := groupID(t, admin, "Data team")
	for _, r := range groupRows(t, admin) {
		if r.id == id {
			wantContains(t, "new group row", r.text, "Notebooks and pipelines 2")
		}
	}
	users := admin.get("/settings/users")
	wantContains(t, "Ada's groups", text(row(t, users, "user-"+ada)), "Data team")

	dup := admin.send("/settings/groups", url.Values{"op": {"save"}, "name": {"Data team"}})
	wantStatus(t, dup, http.StatusConflict)
	wantContains(t, "duplicate name", fieldErrorText(dup, "name-error"), "already exists")

	stranger := admin.send("/settings/groups", url.Values{"op": {"save"}, "name": {"Strangers"},
		"members": {"0123456789abcdef0123456789abcdef"}})
	wantStatus(t, stranger, http.StatusBadRequest)
	wantContains(t, "foreign member", fieldErrorText(stranger, "members-error"),
		"not a member of this workspace")

	edit := admin.get("/settings/groups/" + id)
	wantStatus(t, edit, http.StatusOK)
	if got := checked(edit); len(got) != 2 {
		t.Errorf("edit form ticks %v, want both members", got)
	}
	wantStatus(t, admin.send("/settings/groups/"+id, url.Values{"op": {"save"},
		"name": {"Data science"}, "description": {""}, "members": {ada}}), http.StatusSeeOther)
	edit = admin.get("/settings/groups/" + id)
	if got := checked(edit); len(got) != 1 || got[0] != ada {
		t.Errorf("after edit members = %v, want Ada only", got)
	}
	if got := edit.inputValue("name"); got != "Data science" {
		t.Errorf("name = %q, want Data science", got)
	}

	confirm := admin.get("/settings/groups/" + id + "/delete")
	wantContains(t, "delete confirmation", text(confirm.doc), "Delete the group Data science?")
	wantContains(t, "delete confirmation", text(confirm.doc), "Its 1 member loses")
	wantStatus(t, admin.send("/settings/groups/"+id+"/delete", nil), http.StatusSeeOther)
	if strings.Contains(admin.get("/settings/groups").body, "Data science") {
		t.Error("the deleted group is still listed")
	}
	if p := admin.get("/settings/groups/" + id); p.status != http.StatusNotFound {
		t.Errorf("edit a deleted group: status %d, want 404", p.status)
	}
}

func TestBuiltInGroups(t *testing.T) {
	h := start(t)
	admin := h.admin()
	h.member(admin, "queue@example.com", "Queue Keeper")
	keeper := userID(t, admin, "queue@example.com")
	usersGroup := groupID(t, admin, "Users")
	admins := groupID(t, admin, "Admins")
	queues := groupID(t, admin, "Queue admins")

	if p := admin.get("/settings/groups/" + usersGroup); p.status != http.StatusBadRequest {
		t.Errorf("edit Users: status %d, want 400", p.status)
	}
	if p := admin.send("/settings/groups/"+usersGroup, url.Values{"op": {"save"},
		"name": {"Everyone"}}); p.status != http.StatusBadRequest {
		t.Errorf("save Users: status %d, want 400", p.status)
	}
	for _, id := range []string{usersGroup, admins} {
		p := admin.send("/settings/groups/"+id+"/delete", nil)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, "built-in delete", text(p.byID("confirm-error")), "cannot be deleted")
	}

	edit := admin.get("/settings/groups/" + queues)
	if _, ok := attr(findAll(edit.doc, hasAttr("name", "name"))[0], "readonly"); !ok {
		t.Error("the name of Queue admins is editable")
	}
	wantStatus(t, admin.send("/settings/groups/"+queues, url.Values{"op": {"save"},
		"name": {"Renamed"}, "description": {"Queue keepers"}, "members": {keeper}}),
		http.StatusSeeOther)
	rows := groupRows(t, admin)
	wantContains(t, "Queue admins row", rows[2].text, "Queue admins")
	wantContains(t, "Queue admins row", rows[2].text, "Queue keepers 1")

	wantStatus(t, admin.send("/settings/groups/"+admins, url.Values{"op": {"save"},
		"members": {userID(t, admin, adminEmail), keeper}}), http.StatusSeeOther)
	users := admin.get("/settings/users")
	for _, n := range findAll(row(t, users, "user-"+keeper), hasAttr("selected", "")) {
		if v, _ := attr(n, "value"); v != "admin" {
			t.Errorf("a member of Admins has role %q, want admin", v)
		}
	}
	last := admin.send("/settings/groups/"+admins, url.Values{"op": {"save"}})
	wantStatus(t, last, http.StatusBadRequest)
	wantContains(t, "empty Admins", text(last.doc), "last admin")
}

func TestGroupOrderAndGroupsInUse(t *testing.T) {
	h := start(t)
	admin := h.admin()
	for _, name := range []string{"First", "Second"} {
		wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"},
			"name": {name}}), http.StatusSeeOther)
	}
	before := groupOrder(t, admin)
	second := before[len(before)-1]
	wantStatus(t, admin.send("/settings/groups/"+second+"/move", url.Values{"dir": {"up"}}),
		http.StatusSeeOther)
	after := groupOrder(t, admin)
	n := len(after)
	if after[n-2] != second || after[n-1] != before[n-2] {
		t.Errorf("order after moving the last group up = %v, from %v", after, before)
	}
	wantStatus(t, admin.send("/settings/groups/"+after[0]+"/move", url.Values{"dir": {"up"}}),
		http.StatusSeeOther)
	if got := groupOrder(t, admin); strings.Join(got, ",") != strings.Join(after, ",") {
		t.Errorf("moving the first group up changed the order to %v", got)
	}

	h.srv.Identity.RegisterGroupUse(func(_ context.Context, _, id string) ([]string, error) {
		if id == second {
			return []string{"access rule read-all", "vault team-defaults"}, nil
		}
		return nil, nil
	})
	p := admin.send("/settings/groups/"+second+"/delete", nil)
	wantStatus(t, p, http.StatusConflict)
	msg := text(p.byID("confirm-error"))
	wantContains(t, "in-use refusal", msg, "access rule read-all")
	wantContains(t, "in-use refusal", msg, "vault team-defaults")
	if !strings.Contains(admin.get("/settings/groups").body, "Second") {
		t.Error("a group in use was deleted")
	}
}
