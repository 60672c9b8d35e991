package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// taskIDs lists the ids tasks.get_all answers the agent's token with.
func taskIDs(a *agent) []string {
	a.h.t.Helper()
	data := a.apiCall("tasks.get_all", "application/json", `{"only_fields":["id","name"]}`)
	list, _ := data["tasks"].([]any)
	var out []string
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			id, _ := m["id"].(string)
			out = append(out, id)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// deleteRuleInBrowser deletes a rule from the table through its confirmation dialog.
func deleteRuleInBrowser(t *testing.T, ctx context.Context, base, id string) {
	t.Helper()
	step(t, ctx, "delete rule "+id,
		chromedp.Navigate(base+"/settings/access-rules"),
		chromedp.WaitVisible(chromedp.ID("rule-"+id)),
		chromedp.Click(chromedp.CSS(`a[data-dialog="delete-`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[data-confirm]`)),
	)
	msg := read(t, ctx, "read the confirmation",
		chromedp.Text(chromedp.CSS(`dialog[open] p`)))
	wantContains(t, "confirmation", msg, "Group Users loses read and write access to all")
	step(t, ctx, "confirm", chromedp.Click(chromedp.CSS(`dialog[open] button[data-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice-ok`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll("#rule-`+id+`").length`)); err != nil || n != 0 {
		t.Fatalf("rule %s still listed (%d, %v)", id, n, err)
	}
}

// TestBrowserAccessRules: an admin restricts a project to one group in the browser; a
// user outside the group no longer sees the project's task in the API or the pages, a
// user inside still does.
func TestBrowserAccessRules(t *testing.T) {
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	if !contains(taskIDs(w.b), w.task) || !contains(taskIDs(w.a), w.task) {
		t.Fatal("with the default rules both members should see the task")
	}
	projects := ruleID(t, w.admin, "Users: all projects")
	tasks := ruleID(t, w.admin, "Users: all tasks")

	ctx := newBrowser(t, 90*time.Second)
	signInInBrowser(t, ctx, h.url)
	deleteRuleInBrowser(t, ctx, h.url, projects)
	deleteRuleInBrowser(t, ctx, h.url, tasks)

	step(t, ctx, "changing the type lists its objects",
		chromedp.Navigate(h.url+"/settings/access-rules/new"),
		chromedp.WaitVisible(chromedp.ID("entity_type")),
		chromedp.SetValue(chromedp.ID("entity_type"), "task")) // fires change: the page reloads
	step(t, ctx, "the task picker", chromedp.WaitVisible(chromedp.CSS(
		`input[name="entity_id"][value="`+w.task+`"]`)))
	step(t, ctx, "type-ahead hides what does not match",
		chromedp.SendKeys(chromedp.ID("object_q"), "zzz"),
		chromedp.WaitNotVisible(chromedp.CSS(`input[name="entity_id"][value="`+w.task+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="entity_id"][value="*"]`)))

	step(t, ctx, "add the group rule",
		chromedp.Navigate(h.url+"/settings/access-rules/new"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Team A owns the secret project"),
		chromedp.SendKeys(chromedp.ID("object_q"), "secret"),
		chromedp.Click(chromedp.CSS(`input[name="entity_id"][value="`+w.project+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="permission"][value="read_write"]`)),
		chromedp.Click(chromedp.CSS(`input[name="groups"][value="`+w.groupID+`"]`)),
		chromedp.Click(chromedp.CSS(`button[name="op"][value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice-ok`)),
	)
	table := read(t, ctx, "read the table", chromedp.Text(chromedp.CSS(".table-rules")))
	for _, want := range []string{"Team A owns the secret project", "Secret project",
		"Read and write", "Team A"} {
		wantContains(t, "rules table", table, want)
	}

	if contains(taskIDs(w.b), w.task) {
		t.Error("user B still sees the task through tasks.get_all")
	}
	if !contains(taskIDs(w.a), w.task) {
		t.Error("user A no longer sees the task through tasks.get_all")
	}

	// User B's pages, in a browser of their own.
	if registryUI(t, w.b) {
		guest, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		defer cancel()
		step(t, guest, "B signs in",
			chromedp.Navigate(h.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "bo@example.com"),
			chromedp.SendKeys(chromedp.ID("password"), memberPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("display-name")),
			chromedp.Navigate(h.url+"/settings/projects"),
			chromedp.WaitVisible(chromedp.CSS("main")),
		)
		body := read(t, guest, "B's projects", chromedp.Text(chromedp.CSS("main")))
		if strings.Contains(body, "Secret project") {
			t.Errorf("user B's Projects page lists the project: %q", body)
		}
		if p := w.a.get("/settings/projects"); !strings.Contains(p.body, "Secret project") {
			t.Error("user A's Projects page does not list the project")
		}
		if p := w.b.get("/settings/tasks/" + w.task); p.status != 404 {
			t.Errorf("user B opens the task page: status %d, want 404", p.status)
		}
	}
}

// TestAccessScreenshots saves the Access rules pages into ATRIUM_SCREENSHOTS.
func TestAccessScreenshots(t *testing.T) {
	dir := os.Getenv("ATRIUM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ATRIUM_SCREENSHOTS=/some/dir to save screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := start(t)
	w, ok := newAccessWorld(t, h)
	if !ok {
		t.Skip("the Access rules section is not wired in this build")
	}
	w.admin.newObject("tasks.create", map[string]any{"name": "secret task",
		"project": w.admin.newObject("projects.create", map[string]any{"name": "Other project"}),
		"type":    "training"})
	form := map[string][]string{"name": {"Team A on the secret project"},
		"description": {"Team A reads and writes; Bo reads"}, "entity_type": {"project"},
		"entity_id": {w.project}, "permission": {"read_write"}, "groups": {w.groupID},
		"users": {w.bID}, "op": {"save"}}
	w.admin.send("/settings/access-rules", form)
	rule := ruleID(t, w.admin, "Team A on the secret project")
	ctx := newBrowser(t, 3*time.Minute)
	signInInBrowser(t, ctx, h.url)
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "access-rules-"+suffix, h.url+"/settings/access-rules", "rules-heading")
		step(t, ctx, "open the delete dialog",
			chromedp.Click(chromedp.CSS(`a[data-dialog="delete-`+rule+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[data-confirm]`)))
		save(t, ctx, dir, "access-delete-dialog-"+suffix)
		shoot(t, ctx, dir, "access-edit-"+suffix, h.url+"/settings/access-rules/"+rule, "name")
		shoot(t, ctx, dir, "access-new-task-"+suffix, h.url+"/settings/access-rules/new?type=task",
			"name")
		shoot(t, ctx, dir, "access-explain-"+suffix, h.url+
			"/settings/access-rules/explain?type=task&op=explain&user="+w.aID+"&entity="+
			w.task+"&oq=secret", "grants-heading")
	})
}
