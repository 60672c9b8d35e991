package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// accessUI reports whether the Access rules section is served; when it is not, its
// addresses must answer 404 and the navigation must not link to it.
func accessUI(t *testing.T, a *agent) bool {
	t.Helper()
	p := a.get("/settings/access-rules")
	switch p.status {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		if strings.Contains(p.body, `href="/settings/access-rules"`) {
			t.Fatal("the navigation links to Access rules, but the page is missing")
		}
		for _, path := range []string{"/settings/access-rules/new",
			"/settings/access-rules/explain", "/settings/access-rules/restore"} {
			wantStatus(t, a.get(path), http.StatusNotFound)
		}
		return false
	}
	t.Fatalf("GET /settings/access-rules: status %d", p.status)
	return false
}

// ruleRowText is one row of the rules table read back.
type ruleRowText struct {
	id, text string
}

func ruleRows(t *testing.T, a *agent, query string) []ruleRowText {
	t.Helper()
	p := a.get("/settings/access-rules" + query)
	wantStatus(t, p, http.StatusOK)
	var out []ruleRowText
	for _, tr := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "tr" }) {
		if id, _ := attr(tr, "id"); strings.HasPrefix(id, "rule-") {
			out = append(out, ruleRowText{strings.TrimPrefix(id, "rule-"), text(tr)})
		}
	}
	return out
}

// ruleID finds a rule's id by its name.
func ruleID(t *testing.T, a *agent, name string) string {
	t.Helper()
	for _, r := range ruleRows(t, a, "") {
		if strings.Contains(r.text, name) {
			return r.id
		}
	}
	t.Fatalf("no rule %s", name)
	return ""
}

// accessWorld is what the access tests share: two members, a group with only the first,
// and a project with a task.
type accessWorld struct {
	admin, a, b       *agent
	aID, bID, groupID string
	project, task     string
}

func newAccessWorld(t *testing.T, h *harness) (accessWorld, bool) {
	t.Helper()
	w := accessWorld{admin: h.admin()}
	if !accessUI(t, w.admin) || !registryUI(t, w.admin) {
		return w, false
	}
	w.a = h.member(w.admin, "ana@example.com", "Ana Alpha")
	w.b = h.member(w.admin, "bo@example.com", "Bo Beta")
	w.aID = userID(t, w.admin, "ana@example.com")
	w.bID = userID(t, w.admin, "bo@example.com")
	p := w.admin.send("/settings/groups", url.Values{"name": {"Team A"}, "op": {"save"},
		"members": {w.aID}})
	wantStatus(t, p, http.StatusSeeOther)
	w.groupID = groupID(t, w.admin, "Team A")
	w.project = w.admin.newObject("projects.create", map[string]any{"name": "Secret project"})
	w.task = w.admin.newObject("tasks.create", map[string]any{"name": "secret task",
		"project": w.project, "type": "training"})
	return w, true
}

func TestAccessRulesListFilterAndCRUD(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	admin := w.admin
	rows := ruleRows(t, admin, "")
	if len(rows) != 5 {
		t.Fatalf("default rules: %d rows, want 5: %v", len(rows), rows)
	}
	for _, r := range rows {
		wantContains(t, "default rule", r.text, "All")
		wantContains(t, "default rule", r.text, "Read and write")
	}
	if got := ruleRows(t, admin, "?type=task"); len(got) != 1 ||
		!strings.Contains(got[0].text, "Users: all tasks") {
		t.Errorf("View task: %v", got)
	}

	// Create: project P read_write for Team A.
	form := url.Values{"name": {"Team A on the secret project"}, "entity_type": {"project"},
		"entity_id": {w.project}, "permission": {"read_write"}, "groups": {w.groupID},
		"users": {w.bID}, "op": {"save"}}
	p := admin.send("/settings/access-rules", form)
	wantStatus(t, p, http.StatusSeeOther)
	id := ruleID(t, admin, "Team A on the secret project")
	var created string
	for _, r := range ruleRows(t, admin, "") {
		if r.id == id {
			created = r.text
		}
	}
	for _, want := range []string{"Project", "Secret project", "Read and write", "Team A", "Bo Beta"} {
		wantContains(t, "new rule row", created, want)
	}

	// Column filters: by resource and by principal.
	if got := ruleRows(t, admin, "?resource=project:"+w.project); len(got) != 1 || got[0].id != id {
		t.Errorf("resource filter: %v", got)
	}
	if got := ruleRows(t, admin, "?principal=g:"+w.groupID); len(got) != 1 || got[0].id != id {
		t.Errorf("group filter: %v", got)
	}
	if got := ruleRows(t, admin, "?principal=u:"+w.bID); len(got) != 1 || got[0].id != id {
		t.Errorf("user filter: %v", got)
	}
	if got := ruleRows(t, admin, "?type=queue&principal=g:"+w.groupID); len(got) != 0 {
		t.Errorf("queue + group filter: %v", got)
	}

	// The picker lists the project and tells what it is; the search without scripts.
	edit := admin.get("/settings/access-rules/" + id)
	wantStatus(t, edit, http.StatusOK)
	if edit.inputValue("name") != "Team A on the secret project" {
		t.Errorf("edit form name = %q", edit.inputValue("name"))
	}
	search := admin.send("/settings/access-rules/"+id, url.Values{"name": {"x"},
		"entity_type": {"task"}, "object_q": {"secret"}, "op": {"filter"},
		"permission": {"read"}, "groups": {w.groupID}})
	wantStatus(t, search, http.StatusOK)
	wantContains(t, "task picker", search.body, "secret task")
	wantContains(t, "task picker", search.body, "in Secret project")

	// Edit: read only, group only.
	form.Set("permission", "read")
	form.Del("users")
	wantStatus(t, admin.send("/settings/access-rules/"+id, form), http.StatusSeeOther)
	for _, r := range ruleRows(t, admin, "?principal=g:"+w.groupID) {
		if r.id == id && (strings.Contains(r.text, "Read and write") ||
			strings.Contains(r.text, "Bo Beta")) {
			t.Errorf("edited row: %s", r.text)
		}
	}

	// Delete, with a confirmation naming who loses what.
	confirm := admin.get("/settings/access-rules/" + id + "/delete")
	wantStatus(t, confirm, http.StatusOK)
	wantContains(t, "delete confirmation", confirm.body,
		"Group Team A loses read access to project Secret project")
	wantStatus(t, admin.send("/settings/access-rules/"+id+"/delete", nil), http.StatusSeeOther)
	if got := ruleRows(t, admin, ""); len(got) != 5 {
		t.Errorf("after delete: %d rows", len(got))
	}
	wantStatus(t, admin.send("/settings/access-rules/"+id+"/delete", nil), http.StatusNotFound)

	// Delete a default, then restore.
	tasks := ruleID(t, admin, "Users: all tasks")
	confirm = admin.get("/settings/access-rules/" + tasks + "/delete")
	wantContains(t, "default confirmation", confirm.body,
		"Group Users loses read and write access to all tasks")
	wantStatus(t, admin.send("/settings/access-rules/"+tasks+"/delete", nil), http.StatusSeeOther)
	if got := ruleRows(t, admin, "?type=task"); len(got) != 0 {
		t.Errorf("tasks default still listed: %v", got)
	}
	wantStatus(t, admin.get("/settings/access-rules/restore"), http.StatusOK)
	wantStatus(t, admin.send("/settings/access-rules/restore", nil), http.StatusSeeOther)
	if got := ruleRows(t, admin, "?type=task"); len(got) != 1 {
		t.Errorf("restore: %v", got)
	}
}

func TestAccessRulesDanglingAndSearch(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	admin := w.admin
	doomed := admin.newObject("projects.create", map[string]any{"name": "Doomed project"})
	p := admin.send("/settings/access-rules", url.Values{"name": {"On the doomed project"},
		"entity_type": {"project"}, "entity_id": {doomed}, "permission": {"read"},
		"groups": {w.groupID}, "op": {"save"}})
	wantStatus(t, p, http.StatusSeeOther)
	admin.call("projects.delete", map[string]any{"project": doomed, "force": true})
	id := ruleID(t, admin, "On the doomed project")
	for _, r := range ruleRows(t, admin, "") {
		if r.id == id {
			wantContains(t, "dangling row", r.text, "Dangling")
			wantContains(t, "dangling row", r.text, doomed)
		} else if strings.Contains(r.text, "Dangling") {
			t.Errorf("row marked dangling: %s", r.text)
		}
	}

	// The pickers search by GET too, by name or by id.
	p = admin.get("/settings/access-rules/new?type=task&object_q=secret&people_q=ana")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, "task search", p.body, "secret task")
	wantContains(t, "people search", p.body, "Ana Alpha")
	if strings.Contains(p.body, "bo@example.com") {
		t.Error("the people search did not narrow the list")
	}
	p = admin.get("/settings/access-rules/new?type=task&object_q=" + w.task)
	wantContains(t, "id search", p.body, `value="`+w.task+`"`)
}

func TestAccessRulesValidation(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	cases := []struct {
		what  string
		form  url.Values
		field string
		want  string
	}{
		{"no name", url.Values{"name": {""}, "entity_type": {"project"}, "entity_id": {"*"},
			"permission": {"read"}, "groups": {w.groupID}}, "name-error", "name"},
		{"no one", url.Values{"name": {"r"}, "entity_type": {"project"}, "entity_id": {"*"},
			"permission": {"read"}}, "principals-error", "at least one"},
		{"bad permission", url.Values{"name": {"r"}, "entity_type": {"project"},
			"entity_id": {"*"}, "permission": {"admin"}, "groups": {w.groupID}},
			"permission-error", "read_write"},
		{"no object", url.Values{"name": {"r"}, "entity_type": {"task"}, "permission": {"read"},
			"groups": {w.groupID}}, "entity_id-error", "Choose a task"},
		{"unknown object", url.Values{"name": {"r"}, "entity_type": {"task"},
			"entity_id": {"nope"}, "permission": {"read"}, "groups": {w.groupID}},
			"entity_id-error", "no task nope"},
		{"bad type", url.Values{"name": {"r"}, "entity_type": {"robot"}, "entity_id": {"*"},
			"permission": {"read"}, "groups": {w.groupID}}, "entity_type-error", "entity_type"},
	}
	for _, c := range cases {
		c.form.Set("op", "save")
		p := w.admin.send("/settings/access-rules", c.form)
		if p.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", c.what, p.status)
			continue
		}
		wantContains(t, c.what, fieldErrorText(p, c.field), c.want)
		if c.form.Get("name") != "" && p.inputValue("name") != c.form.Get("name") {
			t.Errorf("%s: the form lost the name", c.what)
		}
	}
	if got := ruleRows(t, w.admin, ""); len(got) != 5 {
		t.Errorf("refused rules were stored: %d rows", len(got))
	}
}

func TestAccessRulesExplain(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	admin := w.admin
	p := admin.send("/settings/access-rules", url.Values{"name": {"Team A reads it"},
		"entity_type": {"project"}, "entity_id": {w.project}, "permission": {"read"},
		"groups": {w.groupID}, "op": {"save"}})
	wantStatus(t, p, http.StatusSeeOther)

	ask := func(user, typ, entity string) *page {
		q := url.Values{"user": {user}, "type": {typ}, "entity": {entity}, "op": {"explain"}}
		p := admin.get("/settings/access-rules/explain?" + q.Encode())
		wantStatus(t, p, http.StatusOK)
		return p
	}
	p = ask(w.aID, "task", w.task)
	wantContains(t, "A on the task", text(p.byID("explain-result")), "Read and write")
	wantContains(t, "A on the task", p.body, "Team A reads it")
	wantContains(t, "A on the task", p.body, "Users: all tasks")

	// Without the defaults, B has nothing and A only the group's read.
	for _, name := range []string{"Users: all tasks", "Users: all projects"} {
		wantStatus(t, admin.send("/settings/access-rules/"+ruleID(t, admin, name)+"/delete", nil),
			http.StatusSeeOther)
	}
	p = ask(w.aID, "task", w.task)
	wantContains(t, "A without defaults", text(p.byID("explain-result")), "Read")
	if strings.Contains(text(p.byID("explain-result")), "write") {
		t.Errorf("A without defaults: %s", text(p.byID("explain-result")))
	}
	p = ask(w.bID, "task", w.task)
	wantContains(t, "B without defaults", text(p.byID("explain-result")), "No access")
	p = ask(w.aID, "project", w.project)
	wantContains(t, "admin owns", p.body, "Team A reads it")

	// Missing choices are errors next to the pickers.
	p = ask("", "task", w.task)
	wantContains(t, "no user", fieldErrorText(p, "user-error"), "Choose")
	p = ask(w.aID, "task", "")
	wantContains(t, "no object", fieldErrorText(p, "entity-error"), "Choose a task")
	p = admin.get("/settings/access-rules/explain?type=task&op=explain&user=" + w.aID +
		"&entity=missing")
	if p.status != http.StatusBadRequest {
		t.Errorf("unknown object: status %d", p.status)
	}
	wantContains(t, "unknown object", fieldErrorText(p, "entity-error"), "no task missing")
}

func TestAccessRulesOnlyForAdmins(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	id := ruleID(t, w.admin, "Users: all tasks")
	if strings.Contains(w.a.get("/settings/profile").body, `href="/settings/access-rules"`) {
		t.Error("a member's navigation links to Access rules")
	}
	for _, path := range []string{"/settings/access-rules", "/settings/access-rules/new",
		"/settings/access-rules/explain", "/settings/access-rules/restore",
		"/settings/access-rules/" + id, "/settings/access-rules/" + id + "/delete"} {
		wantStatus(t, w.a.get(path), http.StatusNotFound)
	}
	for _, path := range []string{"/settings/access-rules", "/settings/access-rules/restore",
		"/settings/access-rules/" + id + "/delete"} {
		wantStatus(t, w.a.send(path, url.Values{"name": {"x"}, "entity_type": {"project"},
			"entity_id": {"*"}, "permission": {"read"}, "groups": {w.groupID}}), http.StatusNotFound)
	}
	if len(ruleRows(t, w.admin, "")) != 5 {
		t.Error("a member changed the rules")
	}
	// A forged form (no CSRF token) is refused too.
	p := w.admin.post("/settings/access-rules/"+id+"/delete", url.Values{})
	if p.status == http.StatusSeeOther {
		t.Error("delete without a CSRF token succeeded")
	}
}
