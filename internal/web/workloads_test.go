package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// registryUI reports whether the server shows the Workspace objects pages. They need the
// registry service wired into the UI; without it they must be absent, which is tested too.
func registryUI(t *testing.T, a *agent) bool {
	t.Helper()
	p := a.get("/settings/projects")
	switch p.status {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		if strings.Contains(p.body, `href="/settings/projects"`) {
			t.Fatal("the navigation links to Projects, but the page is missing")
		}
		for _, path := range []string{"/settings/models", "/settings/queues",
			"/settings/tasks/x", "/settings/projects/x"} {
			wantStatus(t, a.get(path), http.StatusNotFound)
		}
		return false
	}
	t.Fatalf("GET /settings/projects: status %d", p.status)
	return false
}

// apiCall sends a JSON API request with the agent's session token as a Bearer token and
// returns the envelope's data.
func (a *agent) apiCall(endpoint, contentType, body string) map[string]any {
	a.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.h.url+"/v2.23/"+endpoint,
		strings.NewReader(body))
	if err != nil {
		a.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+a.token())
	var out struct {
		Meta struct {
			ResultMsg string `json:"result_msg"`
		} `json:"meta"`
		Data map[string]any `json:"data"`
	}
	if status := doJSON(a.h.t, req, &out); status != http.StatusOK {
		a.h.t.Fatalf("%s: status %d: %s", endpoint, status, out.Meta.ResultMsg)
	}
	return out.Data
}

// newObject calls a create endpoint with a JSON body and returns the new object's id.
func (a *agent) newObject(endpoint string, body any) string {
	a.h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		a.h.t.Fatal(err)
	}
	id, _ := a.apiCall(endpoint, "application/json", string(raw))["id"].(string)
	if id == "" {
		a.h.t.Fatalf("%s: no id in the answer", endpoint)
	}
	return id
}

// call calls an endpoint with a JSON body.
func (a *agent) call(endpoint string, body any) {
	a.h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		a.h.t.Fatal(err)
	}
	a.apiCall(endpoint, "application/json", string(raw))
}

// logLines reports log lines for a task as events.add_batch JSON lines.
func (a *agent) logLines(task string, lines ...string) {
	a.h.t.Helper()
	var b strings.Builder
	at := time.Now().Add(-time.Hour).UnixMilli()
	for i, l := range lines {
		raw, _ := json.Marshal(map[string]any{"task": task, "type": "log", "level": "info",
			"msg": l, "timestamp": at + int64(i)})
		b.Write(raw)
		b.WriteByte('\n')
	}
	a.apiCall("events.add_batch", "application/json-lines", b.String())
}

// cellText is the text of the row's cell with the data-label.
func cellText(t *testing.T, row *html.Node, label string) string {
	t.Helper()
	for _, td := range findAll(row, hasAttr("data-label", label)) {
		return text(td)
	}
	t.Fatalf("no %q cell in the row", label)
	return ""
}

func TestWorkloadsBrowser(t *testing.T) {
	h := start(t)
	admin := h.admin()
	if !registryUI(t, admin) {
		t.Log("the registry is not wired into the UI: checked the section is absent")
		return
	}
	me := currentUser(t, h, admin.token())
	joinQueueAdmins(t, admin)
	proj := admin.newObject("projects.create", map[string]any{"name": "Vision/Detection"})
	hostile := `<script>alert(1)</script>`
	task := admin.newObject("tasks.create", map[string]any{"name": "train " + hostile,
		"type": "training", "project": proj, "comment": "first run",
		"script": map[string]any{"repository": "https://github.com/acme/vision.git",
			"entry_point": "train.py", "branch": "main"},
		"hyperparams": map[string]any{"Args": map[string]any{"lr": map[string]any{
			"section": "Args", "name": "lr", "value": "0.01", "type": "float"}}},
		"configuration": map[string]any{"General": map[string]any{"name": "General",
			"value": "{}", "type": "dictionary"}}})
	admin.call("tasks.started", map[string]any{"task": task})
	admin.call("tasks.add_or_update_artifacts", map[string]any{"task": task,
		"artifacts": []any{map[string]any{"key": "weights", "type": "custom",
			"uri": "s3://bucket/weights.pt"}}})
	admin.logLines(task, "epoch 1 loss=0.9", "epoch 2 loss=0.5 <b>bold</b>")
	admin.newObject("models.create", map[string]any{"name": "detector " + hostile,
		"uri": "s3://bucket/model.pt", "framework": "PyTorch", "task": task, "ready": true})
	queue := admin.newObject("queues.create", map[string]any{"name": "gpu-queue"})
	waiting := admin.newObject("tasks.create", map[string]any{"name": "waiting task",
		"type": "testing", "project": proj})
	admin.call("tasks.enqueue", map[string]any{"task": waiting, "queue": queue})

	t.Run("projects tree", func(t *testing.T) {
		p := admin.get("/settings/projects")
		wantStatus(t, p, http.StatusOK)
		if got := p.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		if got := p.header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("CSP = %q", got)
		}
		row := row(t, p, "project-"+proj)
		if got := cellText(t, row, "Name"); !strings.Contains(got, "Detection") {
			t.Errorf("project name = %q, want Detection", got)
		}
		if got := cellText(t, row, "Owner"); got != me.Name {
			t.Errorf("owner = %q, want %q", got, me.Name)
		}
		if !strings.Contains(p.body, ">Vision<") {
			t.Errorf("the parent project Vision is not listed:\n%s", p.body)
		}
		for _, f := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "form" }) {
			if action, _ := attr(f, "action"); action != "/logout" {
				t.Errorf("the read-only projects page has a form posting to %q", action)
			}
		}
	})

	t.Run("project tasks", func(t *testing.T) {
		p := admin.get("/settings/projects/" + proj)
		wantStatus(t, p, http.StatusOK)
		r := row(t, p, "task-"+task)
		if got := cellText(t, r, "Name"); got != "train "+hostile {
			t.Errorf("task name = %q", got)
		}
		if strings.Contains(p.body, hostile) {
			t.Error("the hostile task name is not escaped")
		}
		if got := cellText(t, r, "Status"); got != "in progress" {
			t.Errorf("status = %q, want in progress", got)
		}
		if got := cellText(t, r, "Owner"); got != me.Name {
			t.Errorf("owner = %q, want %q", got, me.Name)
		}
		if got := cellText(t, row(t, p, "task-"+waiting), "Status"); got != "queued" {
			t.Errorf("waiting task status = %q, want queued", got)
		}
		f := admin.get("/settings/projects/" + proj + "?status=queued")
		if f.byID("task-"+task) != nil || f.byID("task-"+waiting) == nil {
			t.Errorf("the queued filter shows the wrong tasks:\n%s", f.body)
		}
	})

	t.Run("task page", func(t *testing.T) {
		p := admin.get("/settings/tasks/" + task)
		wantStatus(t, p, http.StatusOK)
		if strings.Contains(p.body, hostile) || strings.Contains(p.body, "<b>bold</b>") {
			t.Error("task page does not escape names or log lines")
		}
		if got := text(p.byID("task-id")); got != task {
			t.Errorf("task id = %q", got)
		}
		lines := p.texts("log-line")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], "epoch 1 loss=0.9") ||
			!strings.HasSuffix(lines[1], "epoch 2 loss=0.5 <b>bold</b>") {
			t.Errorf("log lines = %q", lines)
		}
		for _, want := range []string{"s3://bucket/weights.pt", "train.py",
			"https://github.com/acme/vision.git", "0.01", "General", "first run",
			"detector " + hostile} {
			if !strings.Contains(text(p.doc), want) {
				t.Errorf("task page lacks %q", want)
			}
		}
	})

	t.Run("models and queues", func(t *testing.T) {
		p := admin.get("/settings/models")
		wantStatus(t, p, http.StatusOK)
		body := text(p.doc)
		for _, want := range []string{"detector " + hostile, "PyTorch", "published",
			"s3://bucket/model.pt", "train " + hostile} {
			if !strings.Contains(body, want) {
				t.Errorf("models page lacks %q", want)
			}
		}
		if strings.Contains(p.body, hostile) {
			t.Error("models page does not escape names")
		}
		q := admin.get("/settings/queues")
		wantStatus(t, q, http.StatusOK)
		r := row(t, q, "queue-"+queue)
		if got := cellText(t, r, "Pending"); got != "1" {
			t.Errorf("pending = %q, want 1", got)
		}
		if got := cellText(t, r, "Next tasks"); got != "waiting task" {
			t.Errorf("next tasks = %q", got)
		}
	})

	t.Run("unknown ids", func(t *testing.T) {
		wantStatus(t, admin.get("/settings/tasks/no-such-task"), http.StatusNotFound)
		wantStatus(t, admin.get("/settings/projects/no-such-project"), http.StatusNotFound)
	})
}

func TestWorkloadsPagingAndEmpty(t *testing.T) {
	h := start(t)
	admin := h.admin()
	if !registryUI(t, admin) {
		return
	}
	proj := admin.newObject("projects.create", map[string]any{"name": "Sweep"})
	empty := admin.get("/settings/projects/" + proj)
	if got := strings.Join(empty.texts("empty-title"), "|"); got != "No tasks yet" {
		t.Errorf("empty state = %q", got)
	}
	for i := range 55 {
		admin.newObject("tasks.create", map[string]any{"name": fmt.Sprintf("trial %02d", i),
			"project": proj})
	}
	first := admin.get("/settings/projects/" + proj)
	rows := findAll(first.doc, func(n *html.Node) bool {
		id, _ := attr(n, "id")
		return n.Data == "tr" && strings.HasPrefix(id, "task-")
	})
	if len(rows) != 50 {
		t.Fatalf("first page has %d tasks, want 50", len(rows))
	}
	next := findAll(first.doc, hasAttr("rel", "next"))
	if len(next) != 1 {
		t.Fatal("no next page link")
	}
	href, _ := attr(next[0], "href")
	second := admin.get(href)
	names := second.texts("object-name")
	if len(names) != 5 || names[4] != "trial 00" {
		t.Errorf("second page = %q, want the 5 oldest", names)
	}
	if len(findAll(second.doc, hasAttr("rel", "next"))) != 0 {
		t.Error("the last page links to a next page")
	}
	if len(findAll(second.doc, hasAttr("rel", "prev"))) != 1 {
		t.Error("the second page has no previous link")
	}
}

func TestWorkloadsMember(t *testing.T) {
	h := start(t)
	admin := h.admin()
	if !registryUI(t, admin) {
		return
	}
	member := h.member(admin, "grace@example.com", "Grace Hopper")
	proj := member.newObject("projects.create", map[string]any{"name": "Grace's project"})
	task := member.newObject("tasks.create", map[string]any{"name": "grace task",
		"project": proj})
	p := member.get("/settings/projects/" + proj)
	wantStatus(t, p, http.StatusOK)
	r := row(t, p, "task-"+task)
	if got := cellText(t, r, "Owner"); got != "Grace Hopper" {
		t.Errorf("owner = %q, want Grace Hopper", got)
	}
	if !strings.Contains(member.get("/settings/projects").body, "Grace&#39;s project") {
		t.Error("the member's project is not listed")
	}
	nav := member.get("/settings/profile")
	if !strings.Contains(nav.body, `href="/settings/queues"`) {
		t.Error("the member's navigation lacks Queues")
	}
	wantStatus(t, member.get("/settings/tasks/"+task), http.StatusOK)
	// The admin sees the member's task with its owner's name too.
	if got := cellText(t, row(t, admin.get("/settings/projects/"+proj), "task-"+task),
		"Owner"); got != "Grace Hopper" {
		t.Errorf("owner seen by the admin = %q", got)
	}
}

func TestWorkloadsHiddenProjects(t *testing.T) {
	h := start(t)
	admin := h.admin()
	if !registryUI(t, admin) {
		return
	}
	hidden := admin.newObject("projects.create", map[string]any{"name": "secret-sauce",
		"system_tags": []string{"hidden"}})
	if admin.get("/settings/projects").byID("project-"+hidden) != nil {
		t.Error("a hidden project is listed without the showHidden preference")
	}
	wantStatus(t, admin.post("/settings/configuration/preferences", url.Values{
		"csrf": {admin.csrf()}, "rootProjects.showHidden": {"on"}}), http.StatusSeeOther)
	p := admin.get("/settings/projects")
	if p.byID("project-"+hidden) == nil {
		t.Errorf("the hidden project is not listed with showHidden on:\n%s", p.body)
	}
}

// joinQueueAdmins puts the agent's user in the built-in Queue admins group: only its
// members may create queues, administrators included.
func joinQueueAdmins(t *testing.T, admin *agent) {
	t.Helper()
	me := currentUser(t, admin.h, admin.token())
	wantStatus(t, admin.send("/settings/groups/"+groupID(t, admin, "Queue admins"),
		url.Values{"op": {"save"}, "name": {"Queue admins"}, "members": {me.ID}}),
		http.StatusSeeOther)
}
