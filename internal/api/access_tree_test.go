package api_test

import (
	"fmt"
	"slices"
	"testing"
)

// Inheritance through a three-level project tree and paging over a set that is mostly
// hidden, on both databases.

func TestAccessTreeAndPaging(t *testing.T) {
	regForEach(t, func(t *testing.T, s *regServer) {
		w := &matrixWorld{accessWorld: &accessWorld{regServer: s}}
		w.deleteAllRules(t)
		t.Run("three-level tree", w.tree)
		t.Run("paging when most tasks are hidden", w.hiddenPaging)
	})
}

func (w *matrixWorld) tree(t *testing.T) {
	top := w.createUser(t, "Top", "top@example.com", "user")
	leaf := w.createUser(t, "Leaf", "leaf@example.com", "user")
	gTop, gLeaf := w.group(t, "tree-top", top), w.group(t, "tree-leaf", leaf)
	topT, leafT := w.impersonate(t, top), w.impersonate(t, leaf)

	a := w.mustID(t, "projects.create", map[string]any{"name": "a"})
	b := w.mustID(t, "projects.create", map[string]any{"name": "a/b"})
	c := w.mustID(t, "projects.create", map[string]any{"name": "a/b/c"})
	ta, tb, tc := w.newTask(t, w.Token, "ta", a), w.newTask(t, w.Token, "tb", b),
		w.newTask(t, w.Token, "tc", c)
	ma := w.mustID(t, "models.create", map[string]any{"name": "ma", "uri": "s3://b/a",
		"project": a})
	mc := w.mustID(t, "models.create", map[string]any{"name": "mc", "uri": "s3://b/c",
		"project": c})
	w.rule(t, "project", a, "read", nil, []string{gTop})
	w.rule(t, "project", c, "read_write", nil, []string{gLeaf})

	// A rule on a covers everything two levels down, for reading only.
	wantIDs(t, "top's tasks", w.ids(t, topT, "tasks.get_all", "tasks", nil), ta, tb, tc)
	wantIDs(t, "top's models", w.ids(t, topT, "models.get_all", "models", nil), ma, mc)
	wantIDs(t, "top's projects", w.ids(t, topT, "projects.get_all", "projects", nil), a, b, c)
	w.as(t, topT, "tasks.get_by_id", map[string]any{"task": tc}).ok(t)
	w.as(t, topT, "tasks.edit", map[string]any{"task": tc, "comment": "x"}).
		fails(t, 403, 21, "modification not allowed")
	w.as(t, topT, "projects.update", map[string]any{"project": c, "description": "x"}).
		fails(t, 403, 21, "modification not allowed")

	// A rule on c does not reach up to a or b.
	wantIDs(t, "leaf's tasks", w.ids(t, leafT, "tasks.get_all", "tasks", nil), tc)
	wantIDs(t, "leaf's models", w.ids(t, leafT, "models.get_all", "models", nil), mc)
	if got := w.ids(t, leafT, "projects.get_all", "projects", nil); !slices.Contains(got, c) ||
		slices.Contains(got, a) || slices.Contains(got, b) {
		t.Errorf("leaf's projects = %v, want c (%s) and neither a nor b", got, c)
	}
	w.as(t, leafT, "tasks.get_by_id", map[string]any{"task": ta}).
		fails(t, 400, 101, "Invalid task id")
	w.as(t, leafT, "tasks.get_by_id", map[string]any{"task": tb}).
		fails(t, 400, 101, "Invalid task id")
	w.as(t, leafT, "models.get_by_id", map[string]any{"model": ma}).
		fails(t, 400, 201, "Invalid model id")
	w.as(t, leafT, "tasks.edit", map[string]any{"task": tc, "comment": "x"}).ok(t)
	w.as(t, leafT, "tasks.edit", map[string]any{"task": ta, "comment": "x"}).
		fails(t, 400, 101, "Invalid task id")
	// A task made by the leaf user in c is covered by the rule on c, and top reads it.
	mine := w.newTask(t, leafT, "mine", c)
	w.as(t, topT, "tasks.get_by_id", map[string]any{"task": mine}).ok(t)
}

func (w *matrixWorld) hiddenPaging(t *testing.T) {
	pager := w.createUser(t, "Pager", "pager@example.com", "user")
	pagerT := w.impersonate(t, pager)
	big := w.mustID(t, "projects.create", map[string]any{"name": "big"})
	few := w.mustID(t, "projects.create", map[string]any{"name": "big/few"})
	var readable []string
	for i := range 200 {
		// Seven readable tasks spread over the order: four by task rules, three in a
		// sub-project the pager may read.
		name := fmt.Sprintf("t%03d", i)
		switch {
		case i%53 == 7:
			id := w.newTask(t, w.Token, name, big)
			w.rule(t, "task", id, "read", []string{pager}, nil)
			readable = append(readable, id)
		case i%67 == 11:
			readable = append(readable, w.newTask(t, w.Token, name, few))
		default:
			w.newTask(t, w.Token, name, big)
		}
	}
	w.rule(t, "project", few, "read", []string{pager}, nil)
	if len(readable) != 7 {
		t.Fatalf("%d readable tasks, want 7", len(readable))
	}
	for _, endpoint := range []string{"tasks.get_all", "tasks.get_all_ex"} {
		var got []string
		var sizes []int
		for page := 0; page < 5; page++ {
			r := w.as(t, pagerT, endpoint, map[string]any{"page": page, "page_size": 3,
				"order_by": []string{"name"}, "only_fields": []string{"id", "name"}})
			r.ok(t)
			list := r.list("tasks")
			sizes = append(sizes, len(list))
			for _, x := range list {
				got = append(got, x.(map[string]any)["id"].(string))
			}
		}
		if !slices.Equal(sizes, []int{3, 3, 1, 0, 0}) {
			t.Errorf("%s page sizes = %v, want [3 3 1 0 0]", endpoint, sizes)
		}
		if !slices.Equal(got, readable) {
			t.Errorf("%s paged ids = %v, want %v (in name order, no gaps or repeats)",
				endpoint, got, readable)
		}
	}
	// The admin pages through all 200 (plus nothing else in these projects).
	r := w.must(t, "tasks.get_all", map[string]any{"project": []string{big, few},
		"page": 66, "page_size": 3, "order_by": []string{"name"}, "only_fields": []string{"id"}})
	if n := len(r.list("tasks")); n != 2 {
		t.Errorf("the admin's last page holds %d tasks, want 2", n)
	}
}
