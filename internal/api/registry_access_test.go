package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/registry"
)

// These tests walk the enforcement of access rules through the API, on both databases:
// deny by default, project inheritance, read against read_write, hidden objects answering
// like missing ids, listings and paging, owners, admins, queues, service accounts,
// impersonation and rule changes taking effect on the next request.

// accessWorld is a server with people, a service account and objects to grant on.
type accessWorld struct {
	*regServer
	alice, bob, admin2, robot string // user ids
	aliceT, bobT, admin2T     string // Bearer values (admin sessions impersonating them)
	robotT                    string
	team                      string // a group holding alice
	proj, sub, other          string // projects: "proj", "proj/sub", "other"
	taskP, taskS, taskQ1      string // tasks in proj, proj/sub, other
	taskQ2                    string
	mine                      string // alice's own task in proj/sub
	model                     string // a model in proj
}

func TestRegistryAccessRules(t *testing.T) {
	regForEach(t, func(t *testing.T, s *regServer) {
		w := newAccessWorld(t, s)
		t.Run("defaults let users see everything", w.defaults)
		w.deleteAllRules(t)
		t.Run("deny by default", w.denyByDefault)
		t.Run("project rule covers sub-projects and contents", w.projectRule)
		t.Run("task rule does not reach siblings", w.taskRule)
		t.Run("hidden objects answer like missing ids", w.hiddenLikeMissing)
		t.Run("paging over a filtered set", w.paging)
		t.Run("owner", w.owner)
		t.Run("admin", w.adminAccess)
		t.Run("queues", w.queues)
		t.Run("service account", w.serviceAccount)
		t.Run("impersonation", w.impersonation)
		t.Run("events", w.events)
		t.Run("datasets are their own type", w.datasets)
		t.Run("rule change on the next request", w.ruleChange)
	})
}

func newAccessWorld(t *testing.T, s *regServer) *accessWorld {
	t.Helper()
	w := &accessWorld{regServer: s}
	w.alice = w.createUser(t, "Alice", "alice@example.com", "user")
	w.bob = w.createUser(t, "Bob", "bob@example.com", "user")
	w.admin2 = w.createUser(t, "Second Admin", "admin2@example.com", "admin")
	sa, err := s.Srv.Identity.CreateServiceAccount(s.asAdmin(t), identity.ServiceAccountInput{
		Name: ptr("robot")})
	if err != nil {
		t.Fatalf("service account: %v", err)
	}
	w.robot = sa.ID
	w.aliceT, w.bobT = w.impersonate(t, w.alice), w.impersonate(t, w.bob)
	w.admin2T, w.robotT = w.impersonate(t, w.admin2), w.impersonate(t, w.robot)
	w.must(t, "permissions.add_or_update_user_group", map[string]any{"name": "team",
		"users": []string{w.alice}})
	groups := w.must(t, "permissions.get_user_groups", map[string]any{})
	for _, g := range groups.list("groups") {
		if m := g.(map[string]any); m["name"] == "team" {
			w.team = m["id"].(string)
		}
	}
	w.proj = w.mustID(t, "projects.create", map[string]any{"name": "proj"})
	w.sub = w.mustID(t, "projects.create", map[string]any{"name": "proj/sub"})
	w.other = w.mustID(t, "projects.create", map[string]any{"name": "other"})
	w.taskP = w.newTask(t, s.Token, "tp", w.proj)
	w.taskS = w.newTask(t, s.Token, "ts", w.sub)
	w.taskQ1 = w.newTask(t, s.Token, "tq1", w.other)
	w.taskQ2 = w.newTask(t, s.Token, "tq2", w.other)
	w.model = w.mustID(t, "models.create", map[string]any{"name": "mp", "uri": "s3://b/m",
		"project": w.proj})
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *accessWorld) createUser(t *testing.T, name, email, role string) string {
	t.Helper()
	return w.must(t, "auth.create_user", map[string]any{"name": name, "email": email,
		"role": role, "company": w.WS}).str("id")
}

// impersonate signs in as the admin acting as a user: the session has the user's rights.
func (w *accessWorld) impersonate(t *testing.T, userID string) string {
	t.Helper()
	req, err := http.NewRequest("GET", w.URL+"/auth.login", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", regBasic(regAdminEmail, regAdminPassword))
	req.Header.Set("X-ClearML-Impersonate-As", userID)
	resp, err := regClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Data struct{ Token string } `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Data.Token == "" {
		t.Fatalf("impersonated login as %s: %s", userID, raw)
	}
	return "Bearer " + env.Data.Token
}

// as calls an endpoint with a token.
func (w *accessWorld) as(t *testing.T, token, endpoint string, body any) *regResp {
	t.Helper()
	return w.do(t, "POST", "/v2.23/"+endpoint, token, "application/json", regJSON(t, body))
}

func (w *accessWorld) mustID(t *testing.T, endpoint string, body any) string {
	t.Helper()
	return w.must(t, endpoint, body).str("id")
}

func (w *accessWorld) newTask(t *testing.T, token, name, project string) string {
	t.Helper()
	body := map[string]any{"name": name, "type": "training"}
	if project != "" {
		body["project"] = project
	}
	r := w.as(t, token, "tasks.create", body)
	r.ok(t)
	return r.str("id")
}

// rule adds a rule and returns its id.
func (w *accessWorld) rule(t *testing.T, typ, id, perm string, users, groups []string) string {
	t.Helper()
	if users == nil {
		users = []string{}
	}
	if groups == nil {
		groups = []string{}
	}
	return w.must(t, "permissions.add_or_update_access_rule", map[string]any{
		"name": typ + " " + id + " " + perm, "description": "test", "entity_type": typ,
		"entity_id": id, "access_permission": perm, "users": users, "groups": groups,
	}).str("id")
}

func (w *accessWorld) dropRules(t *testing.T, ids ...string) {
	t.Helper()
	w.must(t, "permissions.delete_access_rules", map[string]any{"rules": ids})
}

func (w *accessWorld) deleteAllRules(t *testing.T) {
	t.Helper()
	var ids []string
	for _, r := range w.must(t, "permissions.get_access_rules", map[string]any{}).list("rules") {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	if len(ids) == 0 {
		t.Fatal("no default rules")
	}
	w.dropRules(t, ids...)
}

// ids lists the ids a listing returned under key.
func (w *accessWorld) ids(t *testing.T, token, endpoint, key string, body map[string]any) []string {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["only_fields"] = []string{"id"}
	r := w.as(t, token, endpoint, body)
	r.ok(t)
	out := []string{}
	for _, x := range r.list(key) {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	sort.Strings(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, sorted(want...)) {
		t.Errorf("%s = %v, want %v", what, got, sorted(want...))
	}
}

func (w *accessWorld) defaults(t *testing.T) {
	got := w.ids(t, w.aliceT, "tasks.get_all", "tasks", nil)
	wantIDs(t, "alice's tasks", got, w.taskP, w.taskS, w.taskQ1, w.taskQ2)
}

func (w *accessWorld) denyByDefault(t *testing.T) {
	for _, c := range []struct{ endpoint, key string }{{"tasks.get_all", "tasks"},
		{"projects.get_all", "projects"}, {"models.get_all", "models"}} {
		if got := w.ids(t, w.aliceT, c.endpoint, c.key, nil); len(got) != 0 {
			t.Errorf("%s shows %v with no rules", c.endpoint, got)
		}
	}
	w.as(t, w.aliceT, "tasks.get_by_id", map[string]any{"task": w.taskP}).
		fails(t, 400, 101, "Invalid task id")
	w.as(t, w.aliceT, "models.get_by_id", map[string]any{"model": w.model}).
		fails(t, 400, 201, "Invalid model id")
	w.as(t, w.aliceT, "projects.get_by_id", map[string]any{"project": w.proj}).
		fails(t, 400, 401, "Invalid project id")
}

func (w *accessWorld) projectRule(t *testing.T) {
	id := w.rule(t, "project", w.proj, "read", nil, []string{w.team})
	defer w.dropRules(t, id)
	wantIDs(t, "tasks", w.ids(t, w.aliceT, "tasks.get_all", "tasks", nil), w.taskP, w.taskS)
	wantIDs(t, "projects", w.ids(t, w.aliceT, "projects.get_all", "projects", nil),
		w.proj, w.sub)
	wantIDs(t, "models", w.ids(t, w.aliceT, "models.get_all", "models", nil), w.model)
	w.as(t, w.aliceT, "tasks.get_by_id", map[string]any{"task": w.taskS}).ok(t)

	// Read only: every change is ClearML's 403/21.
	w.as(t, w.aliceT, "tasks.edit", map[string]any{"task": w.taskS, "comment": "x",
		"force": true}).fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "tasks.create", map[string]any{"name": "x", "project": w.sub}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "projects.create", map[string]any{"name": "proj/sub/deeper"}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "models.update", map[string]any{"model": w.model, "comment": "x"}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "projects.delete", map[string]any{"project": w.sub, "force": true}).
		fails(t, 403, 21, "modification not allowed")
	// Bob is not in the group.
	if got := w.ids(t, w.bobT, "tasks.get_all", "tasks", nil); len(got) != 0 {
		t.Errorf("bob sees %v", got)
	}

	// read_write on the sub-project only: changes there, reads above stay read-only.
	rw := w.rule(t, "project", w.sub, "read_write", []string{w.alice}, nil)
	defer w.dropRules(t, rw)
	w.as(t, w.aliceT, "tasks.edit", map[string]any{"task": w.taskS, "comment": "x",
		"force": true}).ok(t)
	w.mine = w.newTask(t, w.aliceT, "mine", w.sub)
	w.as(t, w.aliceT, "tasks.edit", map[string]any{"task": w.taskP, "comment": "x",
		"force": true}).fails(t, 403, 21, "modification not allowed")
}

func (w *accessWorld) taskRule(t *testing.T) {
	id := w.rule(t, "task", w.taskQ1, "read_write", []string{w.alice}, nil)
	defer w.dropRules(t, id)
	wantIDs(t, "tasks", w.ids(t, w.aliceT, "tasks.get_all", "tasks",
		map[string]any{"project": []string{w.other}}), w.taskQ1)
	w.as(t, w.aliceT, "tasks.edit", map[string]any{"task": w.taskQ1, "comment": "ok",
		"force": true}).ok(t)
	w.as(t, w.aliceT, "tasks.edit", map[string]any{"task": w.taskQ2, "comment": "no",
		"force": true}).fails(t, 400, 101, "Invalid task id")
	w.as(t, w.aliceT, "projects.get_by_id", map[string]any{"project": w.other}).
		fails(t, 400, 401, "Invalid project id")
}

func (w *accessWorld) hiddenLikeMissing(t *testing.T) {
	missing := "0123456789abcdef0123456789abcdef"
	foreign := w.foreignTask(t)
	for _, c := range []struct{ endpoint, field, hidden string }{
		{"tasks.get_by_id", "task", w.taskQ2}, {"tasks.get_by_id", "task", foreign},
		{"tasks.reset", "task", w.taskQ2}, {"tasks.delete", "task", w.taskQ2},
		{"events.get_task_log", "task", w.taskQ2}, {"models.get_by_id", "model", w.model},
		{"projects.update", "project", w.other},
	} {
		a := w.as(t, w.aliceT, c.endpoint, map[string]any{c.field: c.hidden})
		b := w.as(t, w.aliceT, c.endpoint, map[string]any{c.field: missing})
		if a.Code != b.Code || a.Sub != b.Sub ||
			strings.ReplaceAll(a.Msg, c.hidden, "ID") != strings.ReplaceAll(b.Msg, missing, "ID") {
			t.Errorf("%s on a hidden id: %s; on a missing id: %s", c.endpoint, a, b)
		}
	}
	// An admin naming another workspace's id in a rule learns nothing either.
	r := w.get(t, "/v2.23/permissions.add_or_update_access_rule", map[string]any{
		"name": "x", "description": "", "entity_type": "task", "entity_id": foreign,
		"access_permission": "read", "users": []string{w.alice}, "groups": []string{}})
	r2 := w.get(t, "/v2.23/permissions.add_or_update_access_rule", map[string]any{
		"name": "x", "description": "", "entity_type": "task", "entity_id": missing,
		"access_permission": "read", "users": []string{w.alice}, "groups": []string{}})
	if r.Code != 400 || r.Code != r2.Code || r.Sub != r2.Sub {
		t.Errorf("rule on a foreign id: %s; on a missing id: %s", r, r2)
	}
}

// foreignTask creates a task in a second workspace, straight through the registry.
func (w *accessWorld) foreignTask(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ws := identity.Workspace{ID: "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0", Name: "elsewhere",
		CreatedAt: time.Now()}
	if err := w.Srv.Store.CreateWorkspace(ctx, ws); err != nil {
		t.Fatalf("workspace: %v", err)
	}
	p := identity.Principal{UserID: "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0", WorkspaceID: ws.ID,
		Role: identity.RoleAdmin}
	ctx = audit.WithActor(identity.WithPrincipal(ctx, p),
		audit.Actor{WorkspaceID: ws.ID, UserID: p.UserID})
	task, err := w.Srv.Registry.CreateTask(ctx, registry.TaskInput{Name: "foreign"})
	if err != nil {
		t.Fatalf("foreign task: %v", err)
	}
	return task.ID
}

func (w *accessWorld) paging(t *testing.T) {
	// Interleave tasks bob may read (in "paged") with ones he may not.
	paged := w.mustID(t, "projects.create", map[string]any{"name": "paged"})
	var want []string
	for range 7 {
		want = append(want, w.newTask(t, w.Token, "p", paged))
		w.newTask(t, w.Token, "n", w.other)
	}
	id := w.rule(t, "project", paged, "read", []string{w.bob}, nil)
	defer w.dropRules(t, id)
	var got []string
	sizes := []int{}
	for page := 0; page < 5; page++ {
		r := w.as(t, w.bobT, "tasks.get_all", map[string]any{"page": page, "page_size": 2,
			"only_fields": []string{"id"}, "order_by": []string{"created"}})
		r.ok(t)
		sizes = append(sizes, len(r.list("tasks")))
		for _, x := range r.list("tasks") {
			got = append(got, x.(map[string]any)["id"].(string))
		}
	}
	if !slices.Equal(sizes, []int{2, 2, 2, 1, 0}) {
		t.Errorf("page sizes = %v, want [2 2 2 1 0]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids = %v, want %v", got, want)
	}
}

func (w *accessWorld) owner(t *testing.T) {
	// Anyone may create a top-level project and project-less tasks; they own them.
	pid := w.as(t, w.bobT, "projects.create", map[string]any{"name": "bobs"})
	pid.ok(t)
	task := w.newTask(t, w.bobT, "bobs task", pid.str("id"))
	loose := w.newTask(t, w.bobT, "loose", "")
	wantIDs(t, "bob's tasks", w.ids(t, w.bobT, "tasks.get_all", "tasks", nil), task, loose)
	w.as(t, w.bobT, "tasks.edit", map[string]any{"task": task, "comment": "mine"}).ok(t)
	w.as(t, w.aliceT, "tasks.get_by_id", map[string]any{"task": task}).
		fails(t, 400, 101, "Invalid task id")
	w.as(t, w.aliceT, "projects.create", map[string]any{"name": "bobs/alices"}).
		fails(t, 403, 21, "modification not allowed")

	// Owning a project does not make what others put into it one's own.
	w.newTask(t, w.Token, "admin's", pid.str("id"))
	w.as(t, w.bobT, "projects.delete", map[string]any{"project": pid.str("id"),
		"delete_contents": true}).fails(t, 403, 21, "modification not allowed")
	if got := w.ids(t, w.bobT, "tasks.get_all", "tasks", nil); len(got) != 2 {
		t.Errorf("a refused delete removed bob's tasks: %v", got)
	}
}

func (w *accessWorld) adminAccess(t *testing.T) {
	got := w.ids(t, w.Token, "tasks.get_all", "tasks", map[string]any{"project": []string{
		w.proj, w.sub}})
	wantIDs(t, "admin's tasks", got, w.taskP, w.taskS, w.mine)
	w.must(t, "tasks.edit", map[string]any{"task": w.taskP, "comment": "admin",
		"force": true})
	w.as(t, w.admin2T, "tasks.get_by_id", map[string]any{"task": w.taskQ2}).ok(t)
}

func (w *accessWorld) queues(t *testing.T) {
	q := w.mustID(t, "queues.create", map[string]any{"name": "gpu"})
	// An admin outside Queue admins reads queues but may not change them.
	w.as(t, w.admin2T, "queues.create", map[string]any{"name": "nope"}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.admin2T, "queues.delete", map[string]any{"queue": q}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.admin2T, "queues.get_by_id", map[string]any{"queue": q}).ok(t)
	w.joinQueueAdmins(t, w.Admin, w.admin2)
	tmp := w.as(t, w.admin2T, "queues.create", map[string]any{"name": "admin2s"})
	tmp.ok(t)
	w.as(t, w.admin2T, "queues.delete", map[string]any{"queue": tmp.str("id")}).ok(t)

	// Alice may change a task but not read the queue: enqueueing and popping fail as for a
	// missing queue, and the queue is not listed.
	tr := w.rule(t, "task", w.taskQ1, "read_write", []string{w.alice}, nil)
	defer w.dropRules(t, tr)
	w.as(t, w.aliceT, "tasks.enqueue", map[string]any{"task": w.taskQ1, "queue": q}).
		fails(t, 400, 701, "Invalid queue id")
	w.as(t, w.aliceT, "queues.get_next_task", map[string]any{"queue": q}).
		fails(t, 400, 701, "Invalid queue id")
	if got := w.ids(t, w.aliceT, "queues.get_all", "queues", nil); slices.Contains(got, q) {
		t.Errorf("alice lists the gpu queue: %v", got)
	}
	w.as(t, w.aliceT, "queues.get_default", map[string]any{}).ok(t)

	// read on the queue: enqueue and pop work, changing the queue does not.
	qr := w.rule(t, "queue", q, "read", []string{w.alice}, nil)
	defer w.dropRules(t, qr)
	w.as(t, w.aliceT, "tasks.enqueue", map[string]any{"task": w.taskQ1, "queue": q}).ok(t)
	next := w.as(t, w.aliceT, "queues.get_next_task", map[string]any{"queue": q})
	next.ok(t)
	if got := next.str("entry", "task"); got != w.taskQ1 {
		t.Errorf("popped %q, want %q", got, w.taskQ1)
	}
	w.as(t, w.aliceT, "queues.update", map[string]any{"queue": q, "name": "x"}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "queues.delete", map[string]any{"queue": q}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "queues.create", map[string]any{"name": "alices"}).
		fails(t, 403, 21, "modification not allowed")
}

func (w *accessWorld) joinQueueAdmins(t *testing.T, ids ...string) {
	t.Helper()
	ctx := w.asAdmin(t)
	qa, err := w.Srv.Identity.BuiltinGroup(ctx, w.WS, identity.GroupQueueAdmins)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Srv.Identity.SaveGroup(ctx, identity.GroupInput{ID: qa,
		Members: &ids}); err != nil {
		t.Fatal(err)
	}
}

func (w *accessWorld) serviceAccount(t *testing.T) {
	if got := w.ids(t, w.robotT, "tasks.get_all", "tasks", nil); len(got) != 0 {
		t.Errorf("robot sees %v with no rules", got)
	}
	id := w.rule(t, "task", w.taskP, "read", []string{w.robot}, nil)
	defer w.dropRules(t, id)
	wantIDs(t, "robot's tasks", w.ids(t, w.robotT, "tasks.get_all", "tasks", nil), w.taskP)
	w.as(t, w.robotT, "tasks.edit", map[string]any{"task": w.taskP, "comment": "x",
		"force": true}).fails(t, 403, 21, "modification not allowed")
}

func (w *accessWorld) impersonation(t *testing.T) {
	// The admin sees taskQ2; the admin acting as Bob has Bob's rights only.
	w.must(t, "tasks.get_by_id", map[string]any{"task": w.taskQ2})
	w.as(t, w.bobT, "tasks.get_by_id", map[string]any{"task": w.taskQ2}).
		fails(t, 400, 101, "Invalid task id")
	w.as(t, w.bobT, "queues.create", map[string]any{"name": "bobs"}).
		fails(t, 403, 21, "modification not allowed")
}

func (w *accessWorld) events(t *testing.T) {
	id := w.rule(t, "project", w.proj, "read", []string{w.alice}, nil)
	defer w.dropRules(t, id)
	event := map[string]any{"task": w.taskP, "type": "log", "msg": "hi"}
	w.must(t, "events.add", event)
	w.as(t, w.aliceT, "events.add", event).fails(t, 403, 21, "modification not allowed")
	w.as(t, w.aliceT, "events.get_task_log", map[string]any{"task": w.taskP}).ok(t)
	r := w.do(t, "POST", "/v2.23/events.add_batch", w.aliceT, "application/json-lines",
		regLines(t, map[string]any{"task": w.taskQ2, "type": "log", "msg": "x"}))
	r.ok(t)
	if r.num("added") != 0 || r.num("errors") != 1 {
		t.Errorf("batch on a hidden task: %s", r)
	}
	w.as(t, w.aliceT, "events.delete_for_task", map[string]any{"task": w.taskP}).
		fails(t, 403, 21, "modification not allowed")
}

func (w *accessWorld) ruleChange(t *testing.T) {
	id := w.rule(t, "task", "*", "read", nil, []string{w.team})
	if got := w.ids(t, w.aliceT, "tasks.get_all", "tasks", nil); len(got) < 4 {
		t.Errorf("after the rule alice sees %d tasks", len(got))
	}
	w.dropRules(t, id)
	wantIDs(t, "after deleting the rule alice's tasks",
		w.ids(t, w.aliceT, "tasks.get_all", "tasks", nil), w.mine)
	w.must(t, "permissions.restore_default_access_rules", map[string]any{})
	if got := w.ids(t, w.aliceT, "tasks.get_all", "tasks", nil); len(got) < 4 {
		t.Errorf("after restoring the defaults alice sees %d tasks", len(got))
	}
}

func (w *accessWorld) datasets(t *testing.T) {
	// The SDK keeps a dataset as a task with the dataset system tag in a hidden
	// "<project>/.datasets/<name>" project.
	dp := w.mustID(t, "projects.create", map[string]any{"name": "data/.datasets/mnist",
		"system_tags": []string{"hidden", "dataset"}})
	ds := w.must(t, "tasks.create", map[string]any{"name": "mnist", "type": "data_processing",
		"project": dp, "system_tags": []string{"dataset"}}).str("id")
	plain := w.newTask(t, w.Token, "plain", w.proj)
	hidden := map[string]any{"search_hidden": true, "id": []string{ds, plain}}

	tr := w.rule(t, "task", "*", "read", []string{w.bob}, nil)
	wantIDs(t, "with a task rule", w.ids(t, w.bobT, "tasks.get_all", "tasks", hidden), plain)
	w.dropRules(t, tr)

	dr := w.rule(t, "dataset", "*", "read", []string{w.bob}, nil)
	wantIDs(t, "with a dataset rule", w.ids(t, w.bobT, "tasks.get_all", "tasks", hidden), ds)
	wantIDs(t, "dataset projects", w.ids(t, w.bobT, "projects.get_all", "projects",
		map[string]any{"search_hidden": true, "id": []string{dp, w.proj}}), dp)
	w.dropRules(t, dr)

	one := w.rule(t, "dataset", ds, "read_write", []string{w.bob}, nil)
	defer w.dropRules(t, one)
	w.as(t, w.bobT, "tasks.edit", map[string]any{"task": ds, "comment": "x"}).ok(t)
	w.get(t, "/v2.23/permissions.add_or_update_access_rule", map[string]any{
		"name": "x", "description": "", "entity_type": "task", "entity_id": ds,
		"access_permission": "read", "users": []string{w.bob}, "groups": []string{},
	}).fails(t, 400, 12, "no task")
}
