package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"atrium/internal/api"
	"atrium/internal/identity"
)

// The authorization matrix: every registry endpoint crossed with every kind of caller,
// each cell with its expected outcome class. Expectations are generated from what the
// endpoint does to what (its kind) and who the caller is, with a few per-endpoint
// exceptions written out. Every cell gets fresh objects, made in a few calls, so a call
// that changes or deletes them cannot disturb another; the callers and rules are made once
// per database.
//
// TestAccessMatrixComplete fails when the endpoint table holds a registry endpoint
// (projects., tasks., models., queues., workers., events.) the matrix does not list, or the
// matrix lists one that no longer exists: it reads the real table through
// api.RegistryEndpointNames, which export_access_test.go (package api, compiled into this
// test binary only) builds with api.New and no services.

// Outcome classes.
const (
	ok        = "ok"
	empty     = "empty"     // 200 with nothing in the answer's list (a multi-task read)
	forbidden = "forbidden" // 403/21 modification not allowed
	hidden    = "hidden"    // the "invalid id" answer of a missing object
	other     = "other"     // any other error (role, validation)
)

// Callers, in matrix column order.
var matrixCallers = []string{"admin", "queue admin", "read", "read_write", "nothing",
	"owner", "service account", "service account without rule", "impersonated"}

// Endpoint kinds: what the call needs.
const (
	kOpen        = iota // workers and the default queue: every caller succeeds
	kRead               // read on the target task, project or model
	kWrite              // read_write on the target (or on the project it creates in)
	kQueueRead          // read on the queue
	kQueueWrite         // read_write on the queue
	kEnqueue            // read_write on the task and read on the queue
	kQueueAdmin         // Queue admins only
	kQueueTask          // read_write on the queue (queue entries are the queue's)
	kReadMany           // read on tasks named in a list: unreadable ones are left out
	kUnsupported        // answers "not supported" to everyone
	kCreateIn           // creates a sub-project by name under the target project
	kList               // a listing asked for the target by id: listed only when readable
	kQueueList          // a queue listing asked for the target queue by id
)

// expectations per kind, in matrixCallers order. The admin is not in Queue admins; the
// queue admin is a plain user in Queue admins; read and read_write come from group rules
// on the project holding the targets and on all queues; the owner created the project and
// the targets (not the queue); the service account has user rules for read; the
// impersonated session is the admin acting as the user with nothing.
var kindExpect = map[int][]string{
	kOpen:       {ok, ok, ok, ok, ok, ok, ok, ok, ok},
	kRead:       {ok, hidden, ok, ok, hidden, ok, ok, hidden, hidden},
	kWrite:      {ok, hidden, forbidden, ok, hidden, ok, forbidden, hidden, hidden},
	kQueueRead:  {ok, ok, ok, ok, hidden, hidden, ok, hidden, hidden},
	kQueueWrite: {forbidden, ok, forbidden, ok, hidden, hidden, forbidden, hidden, hidden},
	kEnqueue:    {ok, hidden, forbidden, ok, hidden, hidden, forbidden, hidden, hidden},
	kQueueAdmin: {forbidden, ok, forbidden, forbidden, forbidden, forbidden, forbidden,
		forbidden, forbidden},
	kQueueTask:   {forbidden, ok, forbidden, ok, hidden, hidden, forbidden, hidden, hidden},
	kReadMany:    {ok, empty, ok, ok, empty, ok, ok, empty, empty},
	kList:        {ok, empty, ok, ok, empty, ok, ok, empty, empty},
	kQueueList:   {ok, ok, ok, ok, empty, empty, ok, empty, empty},
	kUnsupported: {other, other, other, other, other, other, other, other, other},
	// The parent is named, not given by id: a caller that may not read it is refused as
	// one that may read it is (the answer names only what the caller sent).
	kCreateIn: {ok, forbidden, forbidden, ok, forbidden, ok, forbidden, forbidden,
		forbidden},
}

// target holds fresh objects for one cell, so a call that changes or deletes them cannot
// disturb another cell.
type target struct {
	project, task, model, queue string
	pname                       string
}

// matrixEntry is one endpoint's row.
type matrixEntry struct {
	kind int
	body func(x target) any
	// queue: the cell needs a fresh queue; entry: with the task queued in it.
	queue, entry bool
	// batch: events.add_batch is sent as JSON lines.
	batch bool
	// counts: the endpoint answers 200 and counts events on hidden tasks as errors.
	counts bool
	// list: the key of the answer's list, for kReadMany.
	list string
	// worker: the caller registers the cell's worker first.
	worker bool
}

func tb(extra ...any) func(x target) any {
	return func(x target) any {
		m := map[string]any{"task": x.task}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
}

func pb(x target) any  { return map[string]any{"project": x.project} }
func mb(x target) any  { return map[string]any{"model": x.model} }
func qb(x target) any  { return map[string]any{"queue": x.queue} }
func qtb(x target) any { return map[string]any{"queue": x.queue, "task": x.task} }
func nb(target) any    { return map[string]any{} }

var matrix = map[string]matrixEntry{
	"projects.create": {kind: kCreateIn, body: func(x target) any {
		return map[string]any{"name": x.pname + "/child"}
	}},
	"projects.get_all": {kind: kList, list: "projects", body: func(x target) any {
		return map[string]any{"id": []string{x.project}, "only_fields": []string{"id"}}
	}},
	"projects.get_all_ex": {kind: kList, list: "projects", body: func(x target) any {
		return map[string]any{"id": []string{x.project}, "only_fields": []string{"id"}}
	}},
	"projects.get_by_id": {kind: kRead, body: pb},
	"projects.update": {kind: kWrite, body: func(x target) any {
		return map[string]any{"project": x.project, "description": "d"}
	}},
	"projects.delete": {kind: kWrite, body: func(x target) any {
		return map[string]any{"project": x.project, "force": true, "delete_contents": true}
	}},

	"tasks.create": {kind: kWrite, body: func(x target) any {
		return map[string]any{"name": "new", "type": "training", "project": x.project}
	}},
	"tasks.get_by_id": {kind: kRead, body: tb()},
	"tasks.get_all": {kind: kList, list: "tasks", body: func(x target) any {
		return map[string]any{"id": []string{x.task}, "only_fields": []string{"id"}}
	}},
	"tasks.get_all_ex": {kind: kList, list: "tasks", body: func(x target) any {
		return map[string]any{"id": []string{x.task}, "only_fields": []string{"id"}}
	}},
	"tasks.edit":      {kind: kWrite, body: tb("comment", "c", "force", true)},
	"tasks.update":    {kind: kWrite, body: tb("comment", "c")},
	"tasks.started":   {kind: kWrite, body: tb("force", true)},
	"tasks.stopped":   {kind: kWrite, body: tb("force", true)},
	"tasks.failed":    {kind: kWrite, body: tb("force", true)},
	"tasks.close":     {kind: kWrite, body: tb("force", true)},
	"tasks.publish":   {kind: kWrite, body: tb("force", true)},
	"tasks.stop":      {kind: kWrite, body: tb("force", true)},
	"tasks.completed": {kind: kWrite, body: tb("force", true)},
	"tasks.ping":      {kind: kWrite, body: tb()},
	"tasks.enqueue":   {kind: kEnqueue, queue: true, body: qtb},
	"tasks.dequeue":   {kind: kWrite, queue: true, entry: true, body: tb()},
	"tasks.reset":     {kind: kWrite, body: tb("force", true)},
	"tasks.delete":    {kind: kWrite, body: tb("force", true)},
	"tasks.clone": {kind: kWrite, body: func(x target) any {
		return map[string]any{"task": x.task, "new_task_project": x.project}
	}},
	"tasks.set_requirements": {kind: kWrite, body: tb("requirements",
		map[string]any{"pip": "numpy"})},
	"tasks.edit_hyper_params": {kind: kWrite, body: tb("hyperparams", []any{
		map[string]any{"section": "Args", "name": "lr", "value": "0.1"}})},
	"tasks.get_hyper_params": {kind: kReadMany, list: "params", body: func(x target) any {
		return map[string]any{"tasks": []string{x.task}}
	}},
	"tasks.edit_configuration": {kind: kWrite, body: tb("configuration", []any{
		map[string]any{"name": "c", "value": "v"}})},
	"tasks.get_configurations": {kind: kReadMany, list: "configurations", body: func(x target) any {
		return map[string]any{"tasks": []string{x.task}}
	}},
	"tasks.get_configuration_names": {kind: kReadMany, list: "configurations", body: func(x target) any {
		return map[string]any{"tasks": []string{x.task}}
	}},
	"tasks.add_or_update_artifacts": {kind: kWrite, body: tb("artifacts", []any{
		map[string]any{"key": "a", "type": "custom", "uri": "s3://b/a", "mode": "output"}})},
	"tasks.delete_artifacts": {kind: kWrite, body: tb("artifacts", []any{
		map[string]any{"key": "a", "mode": "output"}})},
	"tasks.add_or_update_model": {kind: kWrite, body: func(x target) any {
		return map[string]any{"task": x.task, "name": "m", "model": x.model, "type": "output"}
	}},
	"tasks.delete_models": {kind: kWrite, body: tb("models", []any{
		map[string]any{"name": "m", "type": "output"}})},

	"models.create": {kind: kWrite, body: func(x target) any {
		return map[string]any{"name": "nm", "uri": "s3://b/n", "project": x.project}
	}},
	"models.get_all": {kind: kList, list: "models", body: func(x target) any {
		return map[string]any{"id": []string{x.model}, "only_fields": []string{"id"}}
	}},
	"models.get_all_ex": {kind: kList, list: "models", body: func(x target) any {
		return map[string]any{"id": []string{x.model}, "only_fields": []string{"id"}}
	}},
	"models.get_by_id": {kind: kRead, body: mb},
	"models.update": {kind: kWrite, body: func(x target) any {
		return map[string]any{"model": x.model, "comment": "c"}
	}},
	"models.edit": {kind: kWrite, body: func(x target) any {
		return map[string]any{"model": x.model, "comment": "c"}
	}},
	"models.set_ready": {kind: kWrite, body: mb},
	"models.update_for_task": {kind: kWrite, body: func(x target) any {
		return map[string]any{"task": x.task, "uri": "s3://b/u"}
	}},
	"models.delete": {kind: kWrite, body: func(x target) any {
		return map[string]any{"model": x.model, "force": true}
	}},

	"queues.create": {kind: kQueueAdmin, body: func(x target) any {
		return map[string]any{"name": "q-" + x.pname}
	}},
	"queues.get_all": {kind: kQueueList, queue: true, list: "queues", body: func(x target) any {
		return map[string]any{"id": []string{x.queue}, "only_fields": []string{"id"}}
	}},
	"queues.get_all_ex": {kind: kQueueList, queue: true, list: "queues", body: func(x target) any {
		return map[string]any{"id": []string{x.queue}, "only_fields": []string{"id"}}
	}},
	"queues.get_by_id":   {kind: kQueueRead, queue: true, entry: true, body: qb},
	"queues.get_default": {kind: kOpen, body: nb},
	"queues.update": {kind: kQueueWrite, queue: true, body: func(x target) any {
		return map[string]any{"queue": x.queue, "name": x.pname + "-renamed"}
	}},
	"queues.delete": {kind: kQueueWrite, queue: true, body: func(x target) any {
		return map[string]any{"queue": x.queue, "force": true}
	}},
	"queues.add_task":           {kind: kEnqueue, queue: true, body: qtb},
	"queues.remove_task":        {kind: kQueueTask, queue: true, entry: true, body: qtb},
	"queues.move_task_to_front": {kind: kQueueTask, queue: true, entry: true, body: qtb},
	"queues.move_task_to_back":  {kind: kQueueTask, queue: true, entry: true, body: qtb},
	"queues.get_next_task":      {kind: kQueueRead, queue: true, entry: true, body: qb},

	"workers.register":               {kind: kOpen, body: func(x target) any { return map[string]any{"worker": "w-" + x.pname} }},
	"workers.unregister":             {kind: kOpen, worker: true, body: func(x target) any { return map[string]any{"worker": "w-" + x.pname} }},
	"workers.status_report":          {kind: kOpen, body: func(x target) any { return map[string]any{"worker": "w-" + x.pname, "timestamp": 1} }},
	"workers.get_all":                {kind: kOpen, body: nb},
	"workers.get_runtime_properties": {kind: kUnsupported, body: func(x target) any { return map[string]any{"worker": "w-" + x.pname} }},

	"events.add_batch":                       {kind: kWrite, batch: true, counts: true},
	"events.add":                             {kind: kWrite, counts: true, body: tb("type", "log", "msg", "m")},
	"events.get_task_log":                    {kind: kRead, body: tb()},
	"events.get_task_events":                 {kind: kRead, body: tb()},
	"events.get_scalar_metrics_and_variants": {kind: kRead, body: tb()},
	"events.scalar_metrics_iter_histogram":   {kind: kRead, body: tb()},
	"events.get_task_latest_scalar_values":   {kind: kRead, body: tb()},
	"events.delete_for_task":                 {kind: kWrite, body: tb()},
}

// expected returns a cell's outcome class, with the exceptions to the kind's row.
func expected(endpoint string, e matrixEntry, caller int) string {
	want := kindExpect[e.kind][caller]
	if e.counts && want == hidden {
		return other // events on hidden tasks are counted as errors in a 200 answer
	}
	if endpoint == "queues.create" && matrixCallers[caller] == "read_write" {
		return ok // a rule giving read_write on all queues lets a user make queues
	}
	return want
}

func TestAccessMatrixComplete(t *testing.T) {
	names := api.RegistryEndpointNames()
	if len(names) < 60 {
		t.Fatalf("only %d registry endpoints found: %v", len(names), names)
	}
	for _, n := range names {
		if _, ok := matrix[n]; !ok {
			t.Errorf("registry endpoint %s has no entry in the authorization matrix", n)
		}
	}
	for n := range matrix {
		if !slices.Contains(names, n) {
			t.Errorf("matrix entry %s names no endpoint", n)
		}
	}
}

// matrixWorld holds the callers' tokens and the shared fixtures.
type matrixWorld struct {
	*accessWorld
	tokens   []string // by caller, in matrixCallers order
	ownerT   string
	qadminT  string
	proj     string // the owner's project holding every cell's targets
	projName string
	n        int
}

func newMatrixWorld(t *testing.T, s *regServer) *matrixWorld {
	w := &matrixWorld{accessWorld: &accessWorld{regServer: s}}
	admin := w.createUser(t, "M Admin", "madmin@example.com", "admin")
	qadmin := w.createUser(t, "M Queue Admin", "mqadmin@example.com", "user")
	reader := w.createUser(t, "M Reader", "mreader@example.com", "user")
	writer := w.createUser(t, "M Writer", "mwriter@example.com", "user")
	nobody := w.createUser(t, "M Nobody", "mnobody@example.com", "user")
	owner := w.createUser(t, "M Owner", "mowner@example.com", "user")
	robot := w.serviceAccount(t, "m-robot")
	robot0 := w.serviceAccount(t, "m-robot0")
	// The first admin stays in Queue admins (it creates the queues); the queue admin joins.
	w.joinQueueAdmins(t, w.Admin, qadmin)
	w.deleteAllRules(t)
	readers := w.group(t, "m-readers", reader)
	writers := w.group(t, "m-writers", writer)

	w.ownerT, w.qadminT = w.impersonate(t, owner), w.impersonate(t, qadmin)
	w.projName = "mproj"
	w.proj = w.as(t, w.ownerT, "projects.create", map[string]any{"name": w.projName}).
		str("id")
	if w.proj == "" {
		t.Fatal("the owner could not create a project")
	}
	w.rule(t, "project", w.proj, "read", nil, []string{readers})
	w.rule(t, "project", w.proj, "read_write", nil, []string{writers})
	w.rule(t, "project", w.proj, "read", []string{robot}, nil)
	w.rule(t, "queue", "*", "read", nil, []string{readers})
	w.rule(t, "queue", "*", "read_write", nil, []string{writers})
	w.rule(t, "queue", "*", "read", []string{robot}, nil)

	w.tokens = []string{w.impersonate(t, admin), w.qadminT, w.impersonate(t, reader),
		w.impersonate(t, writer), w.impersonate(t, nobody), w.ownerT, w.impersonate(t, robot),
		w.impersonate(t, robot0), w.impersonate(t, nobody)}
	return w
}

func (w *matrixWorld) serviceAccount(t *testing.T, name string) string {
	t.Helper()
	sa, err := w.Srv.Identity.CreateServiceAccount(w.asAdmin(t), identity.ServiceAccountInput{
		Name: ptr(name)})
	if err != nil {
		t.Fatalf("service account: %v", err)
	}
	return sa.ID
}

func (w *matrixWorld) group(t *testing.T, name string, members ...string) string {
	t.Helper()
	w.must(t, "permissions.add_or_update_user_group", map[string]any{"name": name,
		"users": members})
	for _, g := range w.must(t, "permissions.get_user_groups", map[string]any{}).list("groups") {
		if m := g.(map[string]any); m["name"] == name {
			return m["id"].(string)
		}
	}
	t.Fatalf("group %s not found", name)
	return ""
}

// fresh makes one cell's targets: a sub-project, a task and a model of the owner's, and a
// queue (holding the task) when the endpoint needs one.
func (w *matrixWorld) fresh(t *testing.T, e matrixEntry) target {
	t.Helper()
	w.n++
	x := target{pname: fmt.Sprintf("%s/c%d", w.projName, w.n)}
	r := w.as(t, w.ownerT, "projects.create", map[string]any{"name": x.pname})
	r.ok(t)
	x.project = r.str("id")
	x.task = w.newTask(t, w.ownerT, "t", x.project)
	r = w.as(t, w.ownerT, "models.create", map[string]any{"name": "m", "uri": "s3://b/m",
		"project": x.project, "task": x.task})
	r.ok(t)
	x.model = r.str("id")
	if e.queue {
		x.queue = w.mustID(t, "queues.create", map[string]any{"name": "q" + x.pname})
	}
	if e.entry {
		w.must(t, "tasks.enqueue", map[string]any{"task": x.task, "queue": x.queue})
	}
	return x
}

func classify(r *regResp, e matrixEntry) string {
	switch {
	case r.Code == 200 && e.counts && r.num("errors") > 0:
		return other
	case r.Code == 200 && e.list != "" && len(r.list(e.list)) == 0:
		return empty
	case r.Code == 200:
		return ok
	case r.Code == 403 && r.Sub == 21:
		return forbidden
	case r.Code == 400 && strings.HasPrefix(r.Msg, "Invalid ") && strings.Contains(r.Msg, " id"):
		return hidden
	}
	return other
}

func TestAccessMatrix(t *testing.T) {
	regForEach(t, func(t *testing.T, s *regServer) {
		w := newMatrixWorld(t, s)
		names := make([]string, 0, len(matrix))
		for n := range matrix {
			names = append(names, n)
		}
		slices.Sort(names)
		failed := 0
		nothing := slices.Index(matrixCallers, "nothing")
		for _, name := range names {
			e := matrix[name]
			var cells []string
			for ci, caller := range matrixCallers {
				x := w.fresh(t, e)
				var r *regResp
				if e.worker {
					w.as(t, w.tokens[ci], "workers.register", e.body(x)).ok(t)
				}
				if e.batch {
					r = w.do(t, "POST", "/v2.23/events.add_batch", w.tokens[ci],
						"application/json-lines", regLines(t, map[string]any{"task": x.task,
							"type": "log", "msg": "x"}))
				} else {
					r = w.as(t, w.tokens[ci], name, e.body(x))
				}
				got, want := classify(r, e), expected(name, e, ci)
				cells = append(cells, got)
				if caller == "impersonated" && got != cells[nothing] {
					t.Errorf("%s: the admin impersonating the user with nothing got %s, the "+
						"user %s", name, got, cells[nothing])
				}
				if got != want {
					failed++
					t.Errorf("%s as %s: got %s (%d/%d %s), want %s", name, caller, got, r.Code, r.Sub,
						r.Msg, want)
				}
			}
		}
		if failed > 0 {
			t.Logf("%d cells of %d differ", failed, len(names)*len(matrixCallers))
		}
	})
}
