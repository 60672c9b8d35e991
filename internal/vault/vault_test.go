package vault_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/store"
	"atrium/internal/store/storetest"
	"atrium/internal/vault"
)

type fixture struct {
	st     *store.Store
	ids    *identity.Service
	vaults *vault.Service
	admin  identity.Principal
	ws     string
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	keys, _ := secret.New(secret.Random(32))
	now := func() time.Time { return time.Now().UTC() }
	log := audit.New(st, now)
	ids := identity.New(st, log, keys, now, storetest.Discard, identity.Options{})
	vs := vault.New(st, ids, log, keys, now, storetest.Discard)
	st.Subscribe(func(c store.Change) {
		switch c.Topic {
		case identity.Topic:
			ids.Invalidate(c.ID)
		case vault.Topic, identity.GroupTopic:
			vs.OnChange(c.ID)
		}
	})
	ctx := context.Background()
	ws, _, err := ids.Bootstrap(ctx, "admin@example.com", "Correct-Horse-Battery-9")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := ids.UserByEmail(ctx, "admin@example.com")
	admin, _ := ids.Principal(ctx, ws.ID, u.ID)
	return &fixture{st: st, ids: ids, vaults: vs, admin: admin, ws: ws.ID}
}

func as(p identity.Principal) context.Context {
	ctx := identity.WithPrincipal(context.Background(), p)
	return audit.WithActor(ctx, audit.Actor{WorkspaceID: p.WorkspaceID, UserID: p.UserID,
		Name: p.Name, Address: "10.1.2.3"})
}

func (f *fixture) person(t *testing.T, email string) identity.Principal {
	t.Helper()
	u, err := f.ids.AddUser(as(f.admin), email, "Person "+email, identity.RoleUser, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.ids.Principal(context.Background(), f.ws, u.ID)
	return p
}

func (f *fixture) group(t *testing.T, name string, members ...string) string {
	t.Helper()
	g, err := f.ids.SaveGroup(as(f.admin), identity.GroupInput{Name: &name, Members: &members})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func (f *fixture) save(t *testing.T, by identity.Principal, in vault.Input) vault.Vault {
	t.Helper()
	v, err := f.vaults.Save(as(by), in)
	if err != nil {
		t.Fatalf("save %v: %v", in.Description, err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func (f *fixture) delivered(t *testing.T, p identity.Principal) []vault.Delivered {
	t.Helper()
	list, err := f.vaults.ForCaller(as(p), vault.Query{Enabled: ptr(true),
		Types: vault.ParseTypes([]string{"config", "config"})})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func names(list []vault.Delivered) string {
	var out []string
	for _, d := range list {
		out = append(out, d.Description)
	}
	return strings.Join(out, ",")
}

func TestDeliveryOrderAndContent(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var st *store.Store
			if db == "sqlite" {
				st, _ = storetest.OpenSQLite(t)
			} else {
				st, _ = storetest.OpenPostgres(t)
			}
			testDeliveryOrder(t, newFixture(t, st))
		})
	}
}

func testDeliveryOrder(t *testing.T, f *fixture) {
	vic := f.person(t, "vic@example.com")
	other := f.person(t, "other@example.com")
	g1 := f.group(t, "g1", vic.UserID)
	g2 := f.group(t, "g2", vic.UserID)
	g3 := f.group(t, "g3", vic.UserID)
	gx := f.group(t, "gx", other.UserID)
	if err := f.ids.SetGroupOrder(as(f.admin), []string{g3, g1, g2}); err != nil {
		t.Fatal(err)
	}
	f.save(t, vic, vault.Input{Description: ptr("mine"), Format: vault.FormatYAML,
		Data: ptr("sdk:\n  development:\n    from_vault: user\n")})
	for _, g := range []struct{ id, name string }{{g1, "g1"}, {g2, "g2"}, {g3, "g3"}, {gx, "gx"}} {
		f.save(t, f.admin, vault.Input{Scope: vault.ScopeGroup, GroupID: g.id,
			Description: ptr("vault " + g.name),
			Data:        ptr("sdk.development.from_vault = " + g.name)})
	}
	f.save(t, f.admin, vault.Input{Scope: "workspace", Description: ptr("everyone"),
		Format: vault.FormatJSON, Data: ptr(`{"sdk": {"aws": {"s3": {"region": "eu-west-1"}}}}`)})
	f.save(t, f.admin, vault.Input{Scope: vault.ScopeGroup, GroupID: g1,
		Description: ptr("disabled"), Enabled: ptr(false), Data: ptr("a = 1")})
	f.save(t, other, vault.Input{Description: ptr("someone else's"), Data: ptr("b = 2")})

	vic, _ = f.ids.Principal(context.Background(), f.ws, vic.UserID) // now in three groups
	list := f.delivered(t, vic)
	if got := names(list); got != "everyone,vault g3,vault g1,vault g2,mine" {
		t.Fatalf("delivered %s; want workspace, groups in the set order, own vault last", got)
	}
	var yaml map[string]any
	if err := json.Unmarshal([]byte(list[len(list)-1].Deliver), &yaml); err != nil {
		t.Fatalf("the YAML vault is not delivered as JSON: %q", list[len(list)-1].Deliver)
	}
	if list[1].Deliver != "sdk.development.from_vault = g3" {
		t.Fatalf("HOCON not delivered as written: %q", list[1].Deliver)
	}
	eff, err := f.vaults.Effective(as(f.admin), vic.UserID)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, l := range eff.Leaves {
		sources[l.Path] = l.VaultName + "=" + l.Value
	}
	if sources["sdk.development.from_vault"] != `mine="user"` ||
		sources["sdk.aws.s3.region"] != `everyone="eu-west-1"` {
		t.Fatalf("effective leaves = %v", sources)
	}
	if _, err := f.vaults.Effective(as(other), vic.UserID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a user previewed another user's configuration: %v", err)
	}

	// Impersonation delivers the impersonated user's vaults.
	imp, err := f.ids.Impersonate(context.Background(), f.admin, vic.UserID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(f.delivered(t, imp)); got != "everyone,vault g3,vault g1,vault g2,mine" {
		t.Fatalf("impersonated session received %s", got)
	}
}

func TestWriteRules(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	bob := f.person(t, "bob@example.com")
	g := f.group(t, "team", bob.UserID)
	cases := []struct {
		name string
		by   identity.Principal
		in   vault.Input
		kind apperr.Kind
	}{
		{"non-admin group vault", bob, vault.Input{Scope: vault.ScopeGroup, GroupID: g,
			Data: ptr("a = 1")}, apperr.Forbidden},
		{"non-admin workspace vault", bob, vault.Input{Scope: "workspace", Data: ptr("a = 1")},
			apperr.Forbidden},
		{"non-admin vault of another user", bob, vault.Input{UserID: f.admin.UserID,
			Data: ptr("a = 1")}, apperr.Forbidden},
		{"group of another workspace", f.admin, vault.Input{Scope: vault.ScopeGroup,
			GroupID: secret.ID(), Data: ptr("a = 1")}, apperr.Invalid},
		{"bad HOCON", bob, vault.Input{Data: ptr("sdk { a = ")}, apperr.Invalid},
		{"include", bob, vault.Input{Data: ptr(`include "other.conf"`)}, apperr.Invalid},
		{"bad JSON", bob, vault.Input{Format: vault.FormatJSON, Data: ptr("{\"a\": }")},
			apperr.Invalid},
		{"bad YAML", bob, vault.Input{Format: vault.FormatYAML, Data: ptr("a: [1, 2\n")},
			apperr.Invalid},
		{"YAML bomb", bob, vault.Input{Format: vault.FormatYAML, Data: ptr(yamlBomb)},
			apperr.Invalid},
		{"over 1 MiB", bob, vault.Input{Data: ptr("a = \"" + strings.Repeat("x", 1<<20) + "\"")},
			apperr.Invalid},
		{"unknown format", bob, vault.Input{Format: "toml", Data: ptr("a = 1")}, apperr.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.vaults.Save(as(tc.by), tc.in)
			if !apperr.Is(err, tc.kind) {
				t.Fatalf("got %v, want kind %v", err, tc.kind)
			}
		})
	}
	all, _ := st.Vaults(context.Background(), f.ws)
	if len(all) != 0 {
		t.Fatalf("refused saves stored %d vaults", len(all))
	}
	_, err := f.vaults.Save(as(bob), vault.Input{Data: ptr("sdk {\n  a = 1\n  b = [1, 2\n}")})
	if e := apperr.As(err); e == nil || !strings.Contains(e.Msg, "line") {
		t.Fatalf("syntax error without a position: %v", err)
	}
}

const yamlBomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestVersionsDiffRestoreAndConflicts(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	v := f.save(t, f.admin, vault.Input{Description: ptr("cfg"), Data: ptr("a = 1\nb = 2\n")})
	v2 := f.save(t, f.admin, vault.Input{ID: v.ID, Data: ptr("a = 1\nb = 3\n"), Version: 1})
	if v2.Version != 2 {
		t.Fatalf("version after edit = %d", v2.Version)
	}
	_, err := f.vaults.Save(as(f.admin), vault.Input{ID: v.ID, Data: ptr("a = 9\n"), Version: 1})
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("a stale save was not refused as a conflict: %v", err)
	}
	diff, err := f.vaults.Diff(as(f.admin), v.ID, 1, 2)
	if err != nil || !strings.Contains(diff, "-b = 2") || !strings.Contains(diff, "+b = 3") {
		t.Fatalf("diff = %q, %v", diff, err)
	}
	restored, err := f.vaults.Restore(as(f.admin), v.ID, 1)
	if err != nil || restored.Version != 3 || restored.Data != "a = 1\nb = 2\n" {
		t.Fatalf("restore = %+v, %v", restored, err)
	}
	f.save(t, f.admin, vault.Input{ID: v.ID, Enabled: ptr(false)})
	f.save(t, f.admin, vault.Input{ID: v.ID, Enabled: ptr(true)})
	versions, _ := f.vaults.Versions(as(f.admin), v.ID)
	var actions []string
	for _, ver := range versions {
		actions = append(actions, ver.Action)
	}
	if strings.Join(actions, ",") != "enable,disable,restore,edit,create" {
		t.Fatalf("version actions = %v", actions)
	}
}

func TestOperationsLog(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	bob := f.person(t, "bob@example.com")
	a := f.save(t, f.admin, vault.Input{Description: ptr("a"), Scope: "workspace",
		Data: ptr("x = 1")})
	for i := 2; i < 5; i++ {
		f.save(t, f.admin, vault.Input{ID: a.ID, Data: ptr("x = " + string(rune('0'+i)))})
	}
	f.save(t, bob, vault.Input{Description: ptr("bob's"), Data: ptr("y = 1")})
	if _, err := f.vaults.Delete(as(f.admin), []string{a.ID}); err != nil {
		t.Fatal(err)
	}
	ops, err := f.vaults.Operations(as(f.admin), vault.OpFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.Operation+"x"+string(rune('0'+op.Count)))
	}
	if strings.Join(got, ",") != "deletex1,createx1,editx3,createx1" {
		t.Fatalf("grouped log = %v", got)
	}
	if ops[0].Address != "10.1.2.3" || ops[0].VaultName != "a" {
		t.Fatalf("entry = %+v", ops[0])
	}
	byUser, _ := f.vaults.Operations(as(f.admin), vault.OpFilter{Users: []string{bob.UserID}})
	byOp, _ := f.vaults.Operations(as(f.admin), vault.OpFilter{Operations: []string{"edit"},
		NoGrouping: true})
	byVault, _ := f.vaults.Operations(as(f.admin), vault.OpFilter{Vaults: []string{a.ID}})
	future, _ := f.vaults.Operations(as(f.admin), vault.OpFilter{From: time.Now().Add(time.Hour)})
	if len(byUser) != 1 || len(byOp) != 3 || len(byVault) != 3 || len(future) != 0 {
		t.Fatalf("filters: user %d, op %d, vault %d, future %d", len(byUser), len(byOp),
			len(byVault), len(future))
	}
	if _, err := f.vaults.Operations(as(bob), vault.OpFilter{}); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a non-admin read the log: %v", err)
	}
}

func TestGroupInUseCannotBeDeleted(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	f.ids.RegisterGroupUse(f.vaults.VaultsUsingGroup)
	g := f.group(t, "team")
	f.save(t, f.admin, vault.Input{Scope: vault.ScopeGroup, GroupID: g,
		Description: ptr("team defaults"), Data: ptr("a = 1")})
	_, err := f.ids.DeleteGroups(as(f.admin), []string{g})
	if e := apperr.As(err); e == nil || !strings.Contains(e.Msg, "vault team defaults") {
		t.Fatalf("delete of a group a vault uses = %v", err)
	}
}

func TestStorageCredentialsVault(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	bob := f.person(t, "bob@example.com")
	g := f.group(t, "team", bob.UserID)
	_, err := f.vaults.Save(as(f.admin), vault.Input{Scope: vault.ScopeGroup, GroupID: g,
		Type: vault.TypeStorageCredentials, Data: ptr(`credentials: [{key: "k"}]`)})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("an entry without a bucket was accepted: %v", err)
	}
	f.save(t, f.admin, vault.Input{Scope: vault.ScopeGroup, GroupID: g,
		Type: vault.TypeStorageCredentials, Description: ptr("team buckets"),
		Data: ptr(`credentials: [{bucket: "team-artifacts", key: "AKIAX", ` +
			`secret: "very-secret-value", region: "eu-west-1"}]`)})
	bob, _ = f.ids.Principal(context.Background(), f.ws, bob.UserID)
	rows, err := f.vaults.StorageCredentials(as(bob))
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	if r := rows[0]; r.Bucket != "team-artifacts" || r.AccessKey != "AKIAX" ||
		strings.Contains(r.SecretHint, "very-secret") || r.VaultName != "team buckets" {
		t.Fatalf("row = %+v", r)
	}
	if rows, _ := f.vaults.StorageCredentials(as(f.admin)); len(rows) != 0 {
		t.Fatalf("a non-member received the group's storage credentials: %+v", rows)
	}
	if got := names(f.delivered(t, bob)); got != "" {
		t.Fatalf("storage credentials were delivered as client configuration: %s", got)
	}
}

func TestEffectiveResolvesSubstitutions(t *testing.T) {
	st, _ := storetest.OpenSQLite(t)
	f := newFixture(t, st)
	f.save(t, f.admin, vault.Input{Description: ptr("mine"), Data: ptr(
		"base { x = 1 }\nderived = ${base} { y = 2 }\nhost = \"example.org\"\n" +
			"url = \"https://\"${host}\"/api\"\nhome = ${HOME}\"/data\"\nl = [1] [2]\n")})
	eff, err := f.vaults.Effective(as(f.admin), "")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(eff.JSON, &got); err != nil {
		t.Fatal(err)
	}
	derived, _ := got["derived"].(map[string]any)
	if derived["x"] != float64(1) || derived["y"] != float64(2) {
		t.Errorf("derived = %v, want the base merged with y", got["derived"])
	}
	if got["url"] != "https://example.org/api" {
		t.Errorf("url = %v", got["url"])
	}
	if got["home"] != "${HOME}/data" {
		t.Errorf("home = %v, want the environment variable left to the client", got["home"])
	}
	leaves := map[string]string{}
	for _, l := range eff.Leaves {
		leaves[l.Path] = l.Value
	}
	if leaves["url"] != `"https://example.org/api"` {
		t.Errorf("url leaf = %s", leaves["url"])
	}
}
