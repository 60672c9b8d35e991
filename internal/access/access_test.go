package access_test

import (
	"context"
	"testing"
	"time"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/store"
	"atrium/internal/store/storetest"
)

// objects is a table of known objects standing in for the registry in these tests of rule
// evaluation; the registry's own tests exercise the real one.
type objects map[string]access.Object

func (o objects) ObjectExists(_ context.Context, _ string, t access.EntityType, id string) (bool,
	error) {
	obj, ok := o[id]
	return ok && obj.Type == t, nil
}

func (o objects) Describe(_ context.Context, _ string, t access.EntityType, id string) (
	access.Object, bool, error) {
	obj, ok := o[id]
	return obj, ok && obj.Type == t, nil
}

type fixture struct {
	st    *store.Store
	ids   *identity.Service
	rules *access.Service
	admin identity.Principal
	ws    string
}

func newFixture(t *testing.T, objs objects) *fixture {
	t.Helper()
	st, _ := storetest.OpenSQLite(t)
	keys, _ := secret.New(secret.Random(32))
	now := func() time.Time { return time.Now().UTC() }
	log := audit.New(st, now)
	ids := identity.New(st, log, keys, now, storetest.Discard, identity.Options{})
	rules := access.New(st, ids, log, now, storetest.Discard)
	rules.SetObjects(objs)
	st.Subscribe(func(c store.Change) {
		switch c.Topic {
		case identity.Topic:
			ids.Invalidate(c.ID)
		case access.Topic:
			rules.OnChange(c.ID)
		}
	})
	ctx := context.Background()
	ws, _, err := ids.Bootstrap(ctx, "admin@example.com", "Correct-Horse-Battery-9")
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.EnsureDefaults(ctx, ws.ID); err != nil {
		t.Fatal(err)
	}
	u, _ := ids.UserByEmail(ctx, "admin@example.com")
	admin, _ := ids.Principal(ctx, ws.ID, u.ID)
	return &fixture{st: st, ids: ids, rules: rules, admin: admin, ws: ws.ID}
}

func as(p identity.Principal) context.Context {
	return audit.WithActor(identity.WithPrincipal(context.Background(), p),
		audit.Actor{WorkspaceID: p.WorkspaceID, UserID: p.UserID})
}

func (f *fixture) user(t *testing.T, email string) identity.Principal {
	t.Helper()
	u, err := f.ids.AddUser(as(f.admin), email, "User "+email, identity.RoleUser, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.ids.Principal(context.Background(), f.ws, u.ID)
	return p
}

func (f *fixture) fresh(p identity.Principal) identity.Principal {
	q, _ := f.ids.Principal(context.Background(), f.ws, p.UserID)
	return q
}

func (f *fixture) perm(t *testing.T, p identity.Principal, o access.Object) access.Permission {
	t.Helper()
	got, err := f.rules.Permission(context.Background(), f.fresh(p), o)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *fixture) deleteAll(t *testing.T) {
	t.Helper()
	list, _ := f.rules.Rules(as(f.admin), access.Filter{})
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	if _, err := f.rules.Delete(as(f.admin), ids); err != nil {
		t.Fatal(err)
	}
}

func TestEvaluation(t *testing.T) {
	parent := access.Object{Type: access.Project, ID: "p1", Owner: "x", Projects: []string{"p1"}}
	child := access.Object{Type: access.Project, ID: "p2", Owner: "x", Projects: []string{"p2", "p1"}}
	task := access.Object{Type: access.Task, ID: "t1", Owner: "x", Projects: []string{"p2", "p1"}}
	sibling := access.Object{Type: access.Task, ID: "t2", Owner: "x", Projects: []string{"p2", "p1"}}
	other := access.Object{Type: access.Task, ID: "t3", Owner: "x", Projects: []string{"p9"}}
	queue := access.Object{Type: access.Queue, ID: "q1"}
	f := newFixture(t, objects{"p1": parent, "p2": child, "t1": task, "t2": sibling, "t3": other,
		"q1": queue})
	ulla := f.user(t, "ulla@example.com")
	if got := f.perm(t, ulla, task); got != access.ReadWrite {
		t.Fatalf("with default rules a user has %v on a task, want read_write", got)
	}
	f.deleteAll(t)
	if got := f.perm(t, ulla, task); got != access.None {
		t.Fatalf("without rules a user has %v, want none (deny by default)", got)
	}
	own := task
	own.Owner = ulla.UserID
	if got := f.perm(t, ulla, own); got != access.ReadWrite {
		t.Fatalf("owner has %v on their task", got)
	}

	name := "readers"
	g, _ := f.ids.SaveGroup(as(f.admin), identity.GroupInput{Name: &name,
		Members: &[]string{ulla.UserID}})
	save := func(in access.Input) {
		t.Helper()
		if _, err := f.rules.Save(as(f.admin), in); err != nil {
			t.Fatalf("save rule %s: %v", in.Name, err)
		}
	}
	save(access.Input{Name: "parent read", EntityType: "project", EntityID: "p1",
		Permission: "read", Groups: []string{g.ID}})
	save(access.Input{Name: "one task rw", EntityType: "task", EntityID: "t1",
		Permission: "read_write", Users: []string{ulla.UserID}})
	cases := []struct {
		name string
		obj  access.Object
		want access.Permission
	}{
		{"project rule covers the project", parent, access.Read},
		{"and its sub-projects", child, access.Read},
		{"a task rule is the strongest grant", task, access.ReadWrite},
		{"a task rule does not reach siblings", sibling, access.Read},
		{"other projects stay hidden", other, access.None},
		{"queues need their own rules", queue, access.None},
	}
	for _, tc := range cases {
		if got := f.perm(t, ulla, tc.obj); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	sc, err := f.rules.ReadScope(context.Background(), f.fresh(ulla), access.Task)
	if err != nil || sc.All || !sc.IDs["t1"] || !sc.Projects["p1"] {
		t.Fatalf("read scope = %+v, %v", sc, err)
	}
}

func TestAdminsAndQueues(t *testing.T) {
	queue := access.Object{Type: access.Queue, ID: "q1"}
	f := newFixture(t, objects{"q1": queue})
	if got := f.perm(t, f.admin, queue); got != access.ReadWrite {
		t.Fatalf("the first admin (a Queue admin from the start) has %v on a queue", got)
	}
	second := f.user(t, "second@example.com")
	if err := f.ids.SetRole(as(f.admin), second.UserID, identity.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got := f.perm(t, second, queue); got != access.Read {
		t.Fatalf("admin outside Queue admins has %v on a queue, want read", got)
	}
	groups, _ := f.ids.WorkspaceGroups(context.Background(), f.ws)
	for _, g := range groups {
		if g.Kind == identity.GroupQueueAdmins {
			f.ids.SaveGroup(as(f.admin), identity.GroupInput{ID: g.ID,
				Members: &[]string{f.admin.UserID, second.UserID}})
		}
	}
	if got := f.perm(t, second, queue); got != access.ReadWrite {
		t.Fatalf("Queue admin has %v on a queue", got)
	}
	task := access.Object{Type: access.Task, ID: "t", Owner: "someone"}
	f.deleteAll(t)
	if got := f.perm(t, f.admin, task); got != access.ReadWrite {
		t.Fatalf("admin has %v on a task without rules", got)
	}
}

func TestRuleValidation(t *testing.T) {
	f := newFixture(t, objects{"p1": {Type: access.Project, ID: "p1"}})
	ulla := f.user(t, "ulla@example.com")
	base := access.Input{Name: "r", EntityType: "project", EntityID: "*", Permission: "read",
		Users: []string{ulla.UserID}}
	mod := func(fn func(*access.Input)) access.Input {
		in := base
		fn(&in)
		return in
	}
	cases := map[string]access.Input{
		"unknown entity type":     mod(func(in *access.Input) { in.EntityType = "dataview" }),
		"unknown permission":      mod(func(in *access.Input) { in.Permission = "write" }),
		"no principals":           mod(func(in *access.Input) { in.Users = nil }),
		"object of another space": mod(func(in *access.Input) { in.EntityID = secret.ID() }),
		"deleted group":           mod(func(in *access.Input) { in.Groups = []string{secret.ID()} }),
		"unknown user":            mod(func(in *access.Input) { in.Users = []string{"nobody"} }),
		"empty name":              mod(func(in *access.Input) { in.Name = " " }),
	}
	before, _ := f.rules.Rules(as(f.admin), access.Filter{})
	for name, in := range cases {
		if _, err := f.rules.Save(as(f.admin), in); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: got %v, want an invalid-input error", name, err)
		}
	}
	after, _ := f.rules.Rules(as(f.admin), access.Filter{})
	if len(after) != len(before) {
		t.Fatalf("refused rules were stored: %d → %d", len(before), len(after))
	}
	if _, err := f.rules.Save(as(ulla), base); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a user saved a rule: %v", err)
	}
	if _, err := f.rules.Save(as(f.admin), mod(func(in *access.Input) { in.EntityID = "p1" })); err != nil {
		t.Fatalf("a valid rule on one project: %v", err)
	}
}

func TestDefaultsAndGroupGuard(t *testing.T) {
	f := newFixture(t, objects{})
	f.ids.RegisterGroupUse(f.rules.RulesUsingGroup)
	f.deleteAll(t)
	if err := f.rules.EnsureDefaults(context.Background(), f.ws); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.rules.Rules(as(f.admin), access.Filter{}); len(list) != 0 {
		t.Fatalf("deleted defaults came back at start: %d rules", len(list))
	}
	n, err := f.rules.RestoreDefaults(as(f.admin))
	if err != nil || n != len(access.EntityTypes) {
		t.Fatalf("restore = %d, %v", n, err)
	}
	name := "team"
	g, _ := f.ids.SaveGroup(as(f.admin), identity.GroupInput{Name: &name})
	f.rules.Save(as(f.admin), access.Input{Name: "team queues", EntityType: "queue",
		Permission: "read", Groups: []string{g.ID}})
	if _, err := f.ids.DeleteGroups(as(f.admin), []string{g.ID}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("a group used by a rule was deleted: %v", err)
	}
}
