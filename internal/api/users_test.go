package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestGetCurrentUser(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	r := ts.call(t, "users.get_current_user", bearer(ts.login(t, adminBasic())), "")
	wantOK(t, r)

	wantStrings := map[string]string{
		"user.id": ts.AdminID, "user.name": "Administrator", "user.company.id": ts.WS,
		"user.company.name": "Atrium", "user.role": "admin",
		"getting_started.agentName": "clearml", "getting_started.configure": "clearml-init",
		"getting_started.install": "pip install clearml", "getting_started.packageName": "clearml",
	}
	for path, want := range wantStrings {
		if got := str(r.Data, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if got := str(r.Data, "user", "created"); !isoTimePattern.MatchString(got) {
		t.Errorf("user.created = %q, want ISO-8601 with +00:00", got)
	}
	if got := dig(r.Data, "settings", "max_download_items"); got != float64(1000) {
		t.Errorf("settings.max_download_items = %v, want 1000", got)
	}
	for _, k := range []string{"given_name", "family_name"} {
		if _, ok := dig(r.Data, "user").(map[string]any)[k]; !ok {
			t.Errorf("user.%s missing", k)
		}
	}
	if strings.Contains(string(r.Raw), "argon2") || strings.Contains(string(r.Raw),
		"password") {
		t.Errorf("get_current_user leaks the password hash: %s", r.Raw)
	}
}

func TestGetUserByID(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	userID, userPw := ts.newUser(t, "byid@example.com", "By Id")
	user := bearer(ts.login(t, userPw))

	tests := []struct {
		name   string
		caller string
		body   string
		code   int
		sub    int
		msg    string
	}{
		{"admin reads user", admin, `{"user":"` + userID + `"}`, 200, 0, ""},
		{"user reads admin", user, `{"user":"` + ts.AdminID + `"}`, 200, 0, ""},
		{"unknown id", admin, `{"user":"nosuch"}`, 400, 301,
			"Invalid user id: id=nosuch, company=" + ts.WS},
		{"missing user", admin, `{}`, 400, 11, ""},
		{"wrong type", admin, `{"user":["x"]}`, 400, 12, ""},
		{"no credentials", "", `{"user":"` + userID + `"}`, 401, 20, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.call(t, "users.get_by_id", tc.caller, tc.body)
			wantErr(t, r, tc.code, tc.sub, tc.msg)
			if tc.code != 200 {
				return
			}
			var want map[string]string
			json.Unmarshal([]byte(tc.body), &want)
			if got := str(r.Data, "user", "id"); got != want["user"] {
				t.Errorf("user.id = %q, want %q", got, want["user"])
			}
			if got := str(r.Data, "user", "company"); got != ts.WS {
				t.Errorf("user.company = %q, want %q", got, ts.WS)
			}
		})
	}
}

func TestGetAllUsers(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	ids := map[string]string{"Administrator": ts.AdminID}
	for _, name := range []string{"Alice Smith", "Bob Jones", "Carol Smith", "Dave Brown"} {
		email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
		ids[name] = ts.newUserNoPassword(t, email, name)
	}

	tests := []struct {
		name      string
		body      string
		wantNames []string // in order
	}{
		{"all, by name", `{}`, []string{"Administrator", "Alice Smith", "Bob Jones",
			"Carol Smith", "Dave Brown"}},
		{"name regex", `{"name":"Smith$"}`, []string{"Alice Smith", "Carol Smith"}},
		{"name regex anchored", `{"name":"^B"}`, []string{"Bob Jones"}},
		{"id list", `{"id":["` + ids["Bob Jones"] + `","` + ids["Dave Brown"] + `"]}`,
			[]string{"Bob Jones", "Dave Brown"}},
		{"order by name descending", `{"order_by":["-name"]}`, []string{"Dave Brown",
			"Carol Smith", "Bob Jones", "Alice Smith", "Administrator"}},
		{"first page", `{"page":0,"page_size":2}`, []string{"Administrator", "Alice Smith"}},
		{"second page", `{"page":1,"page_size":2}`, []string{"Bob Jones", "Carol Smith"}},
		{"last page", `{"page":2,"page_size":2}`, []string{"Dave Brown"}},
		{"past the end", `{"page":9,"page_size":2}`, []string{}},
		{"page of a regex match", `{"name":"Smith","page":1,"page_size":1}`,
			[]string{"Carol Smith"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.call(t, "users.get_all", admin, tc.body)
			wantOK(t, r)
			got := []string{}
			for _, u := range list(r.Data, "users") {
				got = append(got, str(u, "name"))
			}
			if !reflect.DeepEqual(got, tc.wantNames) {
				t.Errorf("names = %q, want %q", got, tc.wantNames)
			}
		})
	}

	t.Run("only_fields", func(t *testing.T) {
		r := ts.call(t, "users.get_all", admin, `{"only_fields":["name"]}`)
		wantOK(t, r)
		for _, u := range list(r.Data, "users") {
			keys := []string{}
			for k := range u.(map[string]any) {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if !reflect.DeepEqual(keys, []string{"id", "name"}) {
				t.Errorf("fields = %q, want [id name]", keys)
			}
		}
	})
	t.Run("a plain user lists too", func(t *testing.T) {
		_, pw := ts.newUser(t, "lister@example.com", "Lister")
		r := ts.call(t, "users.get_all", pw, `{"only_fields":["name"]}`)
		wantOK(t, r)
		if n := len(list(r.Data, "users")); n != 6 {
			t.Errorf("users = %d, want 6", n)
		}
	})
	t.Run("from the query string", func(t *testing.T) {
		r := ts.do(t, req{Path: "/users.get_all?id=" + ids["Alice Smith"] + "&id=" +
			ids["Bob Jones"], Header: map[string]string{"Authorization": admin}})
		wantOK(t, r)
		if n := len(list(r.Data, "users")); n != 2 {
			t.Errorf("users = %d, want 2 (%s)", n, r.Raw)
		}
	})

	bad := []struct {
		name string
		body string
	}{
		{"bad regex", `{"name":"("}`},
		{"negative page", `{"page":-1,"page_size":2}`},
		{"page without size", `{"page":1}`},
		{"huge page size", `{"page":0,"page_size":100000}`},
		{"id not a list", `{"id":5}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, ts.call(t, "users.get_all", admin, tc.body), 400, 12, "")
		})
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	userID, userPw := ts.newUser(t, "upd@example.com", "Update Me")
	user := bearer(ts.login(t, userPw))
	otherID := ts.newUserNoPassword(t, "upd2@example.com", "Someone Else")

	tests := []struct {
		name     string
		caller   string
		target   string
		body     map[string]any
		code     int
		sub      int
		wantName string // the target's name afterwards
	}{
		{"user renames self", user, userID, map[string]any{"name": "Renamed Me"}, 200, 0,
			"Renamed Me"},
		{"name too short", user, userID, map[string]any{"name": "a"}, 400, 12, "Renamed Me"},
		{"blank name", user, userID, map[string]any{"name": "   "}, 400, 12, "Renamed Me"},
		{"name too long", user, userID, map[string]any{"name": strings.Repeat("n", 256)}, 400,
			12, "Renamed Me"},
		{"name wrong type", user, userID, map[string]any{"name": 5}, 400, 12, "Renamed Me"},
		{"user renames another", user, otherID, map[string]any{"name": "Hacked"}, 403, 21,
			"Someone Else"},
		{"user renames admin", user, ts.AdminID, map[string]any{"name": "Hacked"}, 403, 21,
			"Administrator"},
		{"admin renames another", admin, otherID, map[string]any{"name": "Renamed By Admin"},
			200, 0, "Renamed By Admin"},
		{"admin, unknown user", admin, "nosuch", map[string]any{"name": "Ghost"}, 400, 301, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["user"] = tc.target
			body, _ := json.Marshal(tc.body)
			r := ts.call(t, "users.update", tc.caller, string(body))
			wantErr(t, r, tc.code, tc.sub, "")
			if tc.code == 200 {
				if r.Data["updated"] != float64(1) || str(r.Data, "fields", "name") != tc.wantName {
					t.Errorf("data = %s, want updated 1 and fields.name %q", r.Raw, tc.wantName)
				}
			}
			if tc.wantName == "" {
				return
			}
			got := ts.call(t, "users.get_by_id", admin, `{"user":"`+tc.target+`"}`)
			if name := str(got.Data, "user", "name"); name != tc.wantName {
				t.Errorf("name afterwards = %q, want %q", name, tc.wantName)
			}
		})
	}

	t.Run("missing user", func(t *testing.T) {
		wantErr(t, ts.call(t, "users.update", admin, `{"name":"Xx"}`), 400, 11, "")
	})
	t.Run("unchanged", func(t *testing.T) {
		r := ts.call(t, "users.update", user, `{"user":"`+userID+`","name":"Renamed Me"}`)
		wantOK(t, r)
		if r.Data["updated"] != float64(0) {
			t.Errorf("updated = %v, want 0", r.Data["updated"])
		}
	})
	t.Run("name shows in get_current_user", func(t *testing.T) {
		r := ts.call(t, "users.get_current_user", user, "")
		if got := str(r.Data, "user", "name"); got != "Renamed Me" {
			t.Errorf("name = %q, want Renamed Me", got)
		}
	})
}

func TestPreferences(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testPreferences(t, startServer(t, t.TempDir(), b.dsn(t)))
		})
	}
}

func testPreferences(t *testing.T, ts *testServer) {
	_, pw := ts.newUser(t, "prefs@example.com", "Prefs User")
	user := bearer(ts.login(t, pw))
	get := func(t *testing.T) string {
		t.Helper()
		r := ts.call(t, "users.get_preferences", user, "")
		wantOK(t, r)
		var raw struct {
			Data struct {
				Preferences json.RawMessage `json:"preferences"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Raw, &raw); err != nil {
			t.Fatal(err)
		}
		return string(raw.Data.Preferences)
	}
	if got := get(t); got != "{}" {
		t.Fatalf("initial preferences = %s, want {}", got)
	}

	tests := []struct {
		name    string
		body    string
		code    int
		sub     int
		msg     string
		updated float64
		want    string // the whole document afterwards
	}{
		{"dotted key nests", `{"preferences":{"views.hideExamples":true}}`, 200, 0, "", 1,
			`{"views":{"hideExamples":true}}`},
		{"sibling", `{"preferences":{"views.theme":"dark"}}`, 200, 0, "", 1,
			`{"views":{"hideExamples":true,"theme":"dark"}}`},
		{"unchanged", `{"preferences":{"views.theme":"dark"}}`, 200, 0, "", 0,
			`{"views":{"hideExamples":true,"theme":"dark"}}`},
		{"object value", `{"preferences":{"table":{"cols":[1,2],"sort":{"by":"name"}}}}`, 200,
			0, "", 1, `{"table":{"cols":[1,2],"sort":{"by":"name"}},` +
				`"views":{"hideExamples":true,"theme":"dark"}}`},
		{"dollar key", `{"preferences":{"$bad":1}}`, 400, 16,
			"Key $bad is invalid. Keys cannot start with '$' or contain '.'.", 0, ""},
		{"dollar segment", `{"preferences":{"a.$where":1}}`, 400, 16, "is invalid", 0, ""},
		{"nested dotted key", `{"preferences":{"a":{"b.c":1}}}`, 400, 16,
			"Key b.c is invalid. Keys cannot start with '$' or contain '.'.", 0, ""},
		{"deeply nested dollar", `{"preferences":{"a":{"b":[{"$c":1}]}}}`, 400, 16, "", 0, ""},
		{"empty segment", `{"preferences":{"a..b":1}}`, 400, 16, "", 0, ""},
		{"scalar then path conflict 1", `{"preferences":{"scalar":1}}`, 200, 0, "", 1, ""},
		{"path through a scalar", `{"preferences":{"scalar.b":2}}`, 400, 305, "", 0, ""},
		{"not an object", `{"preferences":"x"}`, 400, 12, "", 0, ""},
		{"missing", `{}`, 400, 11, "", 0, ""},
		{"null", `{"preferences":null}`, 400, 11, "", 0, ""},
		{"empty update", `{"preferences":{}}`, 200, 0, "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := get(t)
			r := ts.call(t, "users.set_preferences", user, tc.body)
			wantErr(t, r, tc.code, tc.sub, tc.msg)
			after := get(t)
			if tc.code != 200 {
				if after != before {
					t.Errorf("preferences changed by a refused call: %s -> %s", before, after)
				}
				return
			}
			if r.Data["updated"] != tc.updated {
				t.Errorf("updated = %v, want %v", r.Data["updated"], tc.updated)
			}
			fields, _ := json.Marshal(dig(r.Data, "fields", "preferences"))
			if tc.updated == 1 && string(fields) != after {
				t.Errorf("fields.preferences = %s, want the whole document %s", fields, after)
			}
			if tc.updated == 0 && len(dig(r.Data, "fields").(map[string]any)) != 0 {
				t.Errorf("fields = %s, want {} when nothing changed", r.Raw)
			}
			if tc.want != "" && after != tc.want {
				t.Errorf("preferences = %s, want %s", after, tc.want)
			}
		})
	}

	t.Run("return_updated false", func(t *testing.T) {
		r := ts.call(t, "users.set_preferences", user,
			`{"preferences":{"quiet":1},"return_updated":false}`)
		wantOK(t, r)
		if r.Data["updated"] != float64(1) || len(dig(r.Data, "fields").(map[string]any)) != 0 {
			t.Errorf("data = %s, want updated 1 and fields {}", r.Raw)
		}
	})
	t.Run("large numbers round-trip", func(t *testing.T) {
		wantOK(t, ts.call(t, "users.set_preferences", user,
			`{"preferences":{"n.big":12345678901234567890,"n.f":0.1}}`))
		if got := get(t); !strings.Contains(got, `"big":12345678901234567890`) {
			t.Errorf("preferences = %s, want the big number kept exactly", got)
		}
	})
	t.Run("preferences are per user", func(t *testing.T) {
		r := ts.call(t, "users.get_preferences", adminBasic(), "")
		wantOK(t, r)
		if b, _ := json.Marshal(r.Data["preferences"]); string(b) != "{}" {
			t.Errorf("admin preferences = %s, want {}", b)
		}
	})
	t.Run("query string form", func(t *testing.T) {
		r := ts.do(t, req{Path: "/users.set_preferences?preferences.viaQuery=true",
			Header: map[string]string{"Authorization": user}})
		wantOK(t, r)
		if got := get(t); !strings.Contains(got, `"viaQuery":true`) {
			t.Errorf("preferences = %s, want viaQuery true", got)
		}
	})
}

// TestPreferencesOrder: one update that both sets "a" and a path under it must answer the
// same way every time.
func TestPreferencesOrder(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	_, pw := ts.newUser(t, "order@example.com", "Order User")
	user := bearer(ts.login(t, pw))
	seen := map[string]int{}
	for i := range 40 {
		key := fmt.Sprintf("k%d", i)
		body := `{"preferences":{"` + key + `":1,"` + key + `.b":2}}`
		r := ts.call(t, "users.set_preferences", user, body)
		seen[fmt.Sprintf("%d/%d", r.Meta.ResultCode, r.Meta.ResultSubcode)]++
	}
	if len(seen) > 1 {
		t.Fatalf("users.set_preferences {\"k\":1,\"k.b\":2} answers differently from call "+
			"to call (Go map order): %v", seen)
	}
}

// TestPreferencesConcurrent: concurrent updates of different keys lose none of them.
func TestPreferencesConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, t.TempDir(), b.dsn(t))
			admin := bearer(ts.login(t, adminBasic()))
			const n = 20
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					m, err := ts.post("users.set_preferences", admin,
						fmt.Sprintf(`{"preferences":{"c.k%d":%d}}`, i, i))
					if err != nil || m.ResultCode != 200 {
						t.Errorf("set k%d: %v %+v", i, err, m)
					}
				})
			}
			wg.Wait()
			r := ts.call(t, "users.get_preferences", admin, "")
			if got := len(dig(r.Data, "preferences", "c").(map[string]any)); got != n {
				t.Errorf("keys stored = %d, want %d: %s", got, n, r.Raw)
			}
		})
	}
}
