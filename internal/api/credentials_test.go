package api_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{30}$`)
	secretPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]+$`)
	isoTimePattern   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`)
)

func TestCredentials(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testCredentials(t, startServer(t, t.TempDir(), b.dsn(t)))
		})
	}
}

func testCredentials(t *testing.T, ts *testServer) {
	admin := bearer(ts.login(t, adminBasic()))

	t.Run("create", func(t *testing.T) {
		r := ts.call(t, "auth.create_credentials", admin, `{"label":"  laptop  "}`)
		wantOK(t, r)
		key, sec := str(r.Data, "credentials", "access_key"), str(r.Data, "credentials",
			"secret_key")
		if !accessKeyPattern.MatchString(key) {
			t.Errorf("access_key = %q, want 30 of A-Z0-9", key)
		}
		if len(sec) < 60 || !secretPattern.MatchString(sec) {
			t.Errorf("secret_key = %q, want >= 60 URL-safe characters not starting with - or _",
				sec)
		}
		if got := str(r.Data, "credentials", "label"); got != "laptop" {
			t.Errorf("label = %q, want laptop (trimmed)", got)
		}
		wantOK(t, ts.call(t, "users.get_current_user", basic(key, sec), ""))
	})
	t.Run("secrets are unique", func(t *testing.T) {
		a := ts.createPair(t, admin, "")
		b := ts.createPair(t, admin, "")
		if a.Key == b.Key || a.Secret == b.Secret {
			t.Errorf("two pairs share a key or a secret: %v %v", a, b)
		}
		for _, p := range []pair{a, b} {
			wantOK(t, ts.call(t, "auth.revoke_credentials", admin,
				`{"access_key":"`+p.Key+`"}`))
		}
	})
	t.Run("get never shows secrets", func(t *testing.T) {
		p := ts.createPair(t, admin, `{"label":"listed"}`)
		r := ts.call(t, "auth.get_credentials", admin, "")
		wantOK(t, r)
		if strings.Contains(string(r.Raw), p.Secret) || strings.Contains(string(r.Raw),
			"secret_key") {
			t.Errorf("get_credentials shows a secret: %s", r.Raw)
		}
		c := findCred(t, r, p.Key)
		if c["label"] != "listed" {
			t.Errorf("label = %v, want listed", c["label"])
		}
		if s, _ := c["created"].(string); !isoTimePattern.MatchString(s) {
			t.Errorf("created = %v, want ISO-8601 with +00:00", c["created"])
		}
		if _, ok := c["last_used"]; ok {
			t.Errorf("last_used = %v before any use, want absent", c["last_used"])
		}
	})
	t.Run("last used and from where", func(t *testing.T) {
		tests := []struct {
			name   string
			header map[string]string
			from   string
		}{
			{"ClearML worker header", map[string]string{"X-ClearML-Worker": "gpu-box-1"},
				"gpu-box-1"},
			{"Trains worker header", map[string]string{"X-Trains-Worker": "old-box"}, "old-box"},
			{"both headers, ClearML wins", map[string]string{"X-ClearML-Worker": "new",
				"X-Trains-Worker": "old"}, "new"},
			{"client address", nil, "127.0.0.1"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := ts.createPair(t, admin, "")
				before := time.Now().UTC().Add(-time.Second)
				h := map[string]string{"Authorization": p.basic()}
				for k, v := range tc.header {
					h[k] = v
				}
				wantOK(t, ts.do(t, req{Path: "/v2.5/users.get_current_user", Header: h}))
				c := findCred(t, ts.call(t, "auth.get_credentials", admin, ""), p.Key)
				used, err := time.Parse("2006-01-02T15:04:05.000000-07:00", fmt.Sprint(
					c["last_used"]))
				if err != nil || used.Before(before) {
					t.Errorf("last_used = %v, want a time after %v", c["last_used"], before)
				}
				if c["last_used_from"] != tc.from {
					t.Errorf("last_used_from = %v, want %q", c["last_used_from"], tc.from)
				}
				wantOK(t, ts.call(t, "auth.revoke_credentials", admin,
					`{"access_key":"`+p.Key+`"}`))
			})
		}
	})
	t.Run("edit", func(t *testing.T) {
		p := ts.createPair(t, admin, `{"label":"old"}`)
		tests := []struct {
			name    string
			body    string
			code    int
			sub     int
			updated float64
		}{
			{"new label", `{"access_key":"` + p.Key + `","label":"new"}`, 200, 0, 1},
			{"same label", `{"access_key":"` + p.Key + `","label":"new"}`, 200, 0, 0},
			{"unknown key", `{"access_key":"NOPE","label":"x"}`, 400, 75, 0},
			{"missing key", `{"label":"x"}`, 400, 11, 0},
			{"label too long", `{"access_key":"` + p.Key + `","label":"` +
				strings.Repeat("x", 256) + `"}`, 400, 12, 0},
			{"label wrong type", `{"access_key":"` + p.Key + `","label":7}`, 400, 12, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.call(t, "auth.edit_credentials", admin, tc.body)
				wantErr(t, r, tc.code, tc.sub, "")
				if tc.code == 200 && r.Data["updated"] != tc.updated {
					t.Errorf("updated = %v, want %v", r.Data["updated"], tc.updated)
				}
			})
		}
		c := findCred(t, ts.call(t, "auth.get_credentials", admin, ""), p.Key)
		if c["label"] != "new" {
			t.Errorf("label after edits = %v, want new", c["label"])
		}
		wantOK(t, ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`))
	})
	t.Run("label length", func(t *testing.T) {
		before := len(list(ts.call(t, "auth.get_credentials", admin, "").Data, "credentials"))
		r := ts.call(t, "auth.create_credentials", admin, `{"label":"`+strings.Repeat("é", 256)+
			`"}`)
		wantErr(t, r, 400, 12, "label")
		r = ts.call(t, "auth.create_credentials", admin, `{"label":"`+strings.Repeat("a", 256)+
			`"}`)
		wantErr(t, r, 400, 12, "label")
		after := len(list(ts.call(t, "auth.get_credentials", admin, "").Data, "credentials"))
		if after != before {
			t.Errorf("credentials = %d after refused creates, want %d", after, before)
		}
		p := ts.createPair(t, admin, `{"label":"`+strings.Repeat("é", 255)+`"}`)
		wantOK(t, ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`))
	})
	t.Run("revoke", func(t *testing.T) {
		p := ts.createPair(t, admin, "")
		tok := ts.login(t, p.basic())
		r := ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`)
		wantOK(t, r)
		if r.Data["revoked"] != float64(1) {
			t.Errorf("revoked = %v, want 1", r.Data["revoked"])
		}
		wantErr(t, ts.call(t, "auth.login", p.basic(), ""), 401, 22,
			"failed to locate provided credentials")
		wantErr(t, ts.call(t, "users.get_current_user", p.basic(), ""), 401, 22, "")
		wantErr(t, ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`),
			400, 300, "Invalid user (invalid user or invalid access key)")
		// A token obtained with the pair ends with it, and so does any refresh of it.
		wantErr(t, ts.call(t, "users.get_current_user", bearer(tok), ""), 401, 30,
			"were revoked")
		wantErr(t, ts.call(t, "auth.login", bearer(tok), ""), 401, 30, "")
	})
	t.Run("revoke unknown", func(t *testing.T) {
		r := ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"NOSUCHKEY"}`)
		wantErr(t, r, 400, 300, "Invalid user (invalid user or invalid access key)")
	})
	t.Run("revoke with the pair itself", func(t *testing.T) {
		p := ts.createPair(t, admin, "")
		wantOK(t, ts.call(t, "auth.revoke_credentials", p.basic(), `{"access_key":"`+p.Key+`"}`))
		wantErr(t, ts.call(t, "users.get_current_user", p.basic(), ""), 401, 22, "")
	})
}

// findCred returns the listed credential with the access key.
func findCred(t *testing.T, r *response, key string) map[string]any {
	t.Helper()
	wantOK(t, r)
	for _, c := range list(r.Data, "credentials") {
		if m, _ := c.(map[string]any); m["access_key"] == key {
			return m
		}
	}
	t.Fatalf("access key %s not listed in %s", key, r.Raw)
	return nil
}

func TestCredentialLimit(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	var pairs []pair
	for i := range 10 {
		pairs = append(pairs, ts.createPair(t, admin, fmt.Sprintf(`{"label":"k%d"}`, i)))
	}

	r := ts.call(t, "auth.create_credentials", admin, `{"label":"eleventh"}`)
	wantErr(t, r, 400, 12, "limit")
	got := ts.call(t, "auth.get_credentials", admin, "")
	if n := len(list(got.Data, "credentials")); n != 10 {
		t.Errorf("credentials = %d, want 10", n)
	}
	if got.Data["max_credentials"] != float64(10) {
		t.Logf("max_credentials = %v", got.Data["max_credentials"])
	}

	t.Run("other users have their own limit", func(t *testing.T) {
		_, pw := ts.newUser(t, "limit@example.com", "Limit User")
		ts.createPair(t, bearer(ts.login(t, pw)), "")
	})
	t.Run("revoking frees a slot", func(t *testing.T) {
		wantOK(t, ts.call(t, "auth.revoke_credentials", admin,
			`{"access_key":"`+pairs[0].Key+`"}`))
		pairs[0] = ts.createPair(t, admin, "")
	})
	t.Run("rotation works at the limit", func(t *testing.T) {
		r := ts.call(t, "auth.rotate_credentials", admin,
			`{"access_key":"`+pairs[1].Key+`","grace_period_sec":0}`)
		wantOK(t, r)
	})
	t.Run("a second rotation works at the limit", func(t *testing.T) {
		// The first rotation's old pair expired at once (grace 0); it should not block
		// another rotation.
		r := ts.call(t, "auth.rotate_credentials", admin,
			`{"access_key":"`+pairs[2].Key+`","grace_period_sec":0}`)
		if r.Status != 200 {
			t.Fatalf("second auth.rotate_credentials at the limit (10 live pairs + 1 "+
				"expired by an earlier grace-0 rotation) answers %s, want 200", r)
		}
	})
}

func TestRotateCredentials(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))

	t.Run("grace period", func(t *testing.T) {
		old := ts.createPair(t, admin, `{"label":"ci"}`)
		r := ts.call(t, "auth.rotate_credentials", admin,
			`{"access_key":"`+old.Key+`","grace_period_sec":3600}`)
		wantOK(t, r)
		next := pair{str(r.Data, "credentials", "access_key"),
			str(r.Data, "credentials", "secret_key")}
		if !accessKeyPattern.MatchString(next.Key) || next.Key == old.Key {
			t.Fatalf("successor key = %q, want a new key", next.Key)
		}
		if got := str(r.Data, "credentials", "label"); got != "ci" {
			t.Errorf("successor label = %q, want ci", got)
		}
		wantOK(t, ts.call(t, "users.get_current_user", next.basic(), ""))
		wantOK(t, ts.call(t, "users.get_current_user", old.basic(), ""))
		c := findCred(t, ts.call(t, "auth.get_credentials", admin, ""), old.Key)
		exp, err := time.Parse("2006-01-02T15:04:05.000000-07:00", fmt.Sprint(c["expires"]))
		if err != nil || time.Until(exp) < 59*time.Minute || time.Until(exp) > 61*time.Minute {
			t.Errorf("old pair expires = %v, want in about an hour", c["expires"])
		}
	})
	t.Run("no grace", func(t *testing.T) {
		old := ts.createPair(t, admin, "")
		r := ts.call(t, "auth.rotate_credentials", admin,
			`{"access_key":"`+old.Key+`","grace_period_sec":0}`)
		wantOK(t, r)
		next := pair{str(r.Data, "credentials", "access_key"),
			str(r.Data, "credentials", "secret_key")}
		wantOK(t, ts.call(t, "users.get_current_user", next.basic(), ""))
		wantErr(t, ts.call(t, "users.get_current_user", old.basic(), ""), 401, 22, "")
		wantErr(t, ts.call(t, "auth.login", old.basic(), ""), 401, 22, "")
	})

	tests := []struct {
		name string
		body string
		code int
		sub  int
	}{
		{"unknown key", `{"access_key":"NOPE","grace_period_sec":0}`, 400, 75},
		{"missing key", `{"grace_period_sec":0}`, 400, 11},
		{"negative grace", `{"access_key":"KEY","grace_period_sec":-1}`, 400, 12},
		{"grace too long", `{"access_key":"KEY","grace_period_sec":7776001}`, 400, 12},
		{"grace wrong type", `{"access_key":"KEY","grace_period_sec":"1h"}`, 400, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ts.createPair(t, admin, "")
			body := strings.ReplaceAll(tc.body, `"KEY"`, `"`+p.Key+`"`)
			wantErr(t, ts.call(t, "auth.rotate_credentials", admin, body), tc.code, tc.sub, "")
			wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
			wantOK(t, ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`))
		})
	}
}

func TestCredentialsAreOwn(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	userID, userPw := ts.newUser(t, "u@example.com", "User Two")
	user := bearer(ts.login(t, userPw))
	adminPair := ts.createPair(t, admin, `{"label":"admin's"}`)
	userPair := ts.createPair(t, user, `{"label":"user's"}`)

	tests := []struct {
		name     string
		caller   string
		endpoint string
		body     string
		sub      int
	}{
		{"user edits admin's", user, "auth.edit_credentials",
			`{"access_key":"` + adminPair.Key + `","label":"mine"}`, 75},
		{"user revokes admin's", user, "auth.revoke_credentials",
			`{"access_key":"` + adminPair.Key + `"}`, 300},
		{"user rotates admin's", user, "auth.rotate_credentials",
			`{"access_key":"` + adminPair.Key + `","grace_period_sec":0}`, 75},
		{"admin revokes user's", admin, "auth.revoke_credentials",
			`{"access_key":"` + userPair.Key + `"}`, 300},
		{"admin edits user's", admin, "auth.edit_credentials",
			`{"access_key":"` + userPair.Key + `","label":"x"}`, 75},
		{"user creates a pair for admin", user, "auth.create_credentials",
			`{"user":"` + ts.AdminID + `"}`, 301},
		{"admin creates a pair for a person", admin, "auth.create_credentials",
			`{"user":"` + userID + `"}`, 301},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, ts.call(t, tc.endpoint, tc.caller, tc.body), 400, tc.sub, "")
		})
	}

	t.Run("user revokes admin's naming the admin", func(t *testing.T) {
		r := ts.call(t, "auth.revoke_credentials", user,
			`{"access_key":"`+adminPair.Key+`","user":"`+ts.AdminID+`"}`)
		if r.Status == 200 {
			t.Fatalf("a plain user revoked the admin's pair")
		}
	})
	t.Run("user lists admin's", func(t *testing.T) {
		r := ts.call(t, "auth.get_credentials", user, `{"user":"`+ts.AdminID+`"}`)
		if r.Status == 200 {
			t.Fatalf("a plain user listed the admin's pairs: %s", r.Raw)
		}
	})
	t.Run("both pairs unchanged", func(t *testing.T) {
		for _, c := range []struct {
			caller, label string
			p             pair
		}{{admin, "admin's", adminPair}, {user, "user's", userPair}} {
			wantOK(t, ts.call(t, "users.get_current_user", c.p.basic(), ""))
			got := findCred(t, ts.call(t, "auth.get_credentials", c.caller, ""), c.p.Key)
			if got["label"] != c.label {
				t.Errorf("label = %v, want %q", got["label"], c.label)
			}
		}
	})
	t.Run("lists are separate", func(t *testing.T) {
		r := ts.call(t, "auth.get_credentials", user, "")
		for _, c := range list(r.Data, "credentials") {
			if dig(c, "access_key") == adminPair.Key {
				t.Errorf("the user's list shows the admin's key")
			}
		}
	})
	t.Run("a pair acts as its owner", func(t *testing.T) {
		r := ts.call(t, "users.get_current_user", userPair.basic(), "")
		wantOK(t, r)
		if got := str(r.Data, "user", "role"); got != "user" {
			t.Errorf("role = %q, want user", got)
		}
		body, _ := json.Marshal(map[string]string{"user": ts.AdminID, "name": "Hijacked"})
		wantErr(t, ts.call(t, "users.update", userPair.basic(), string(body)), 403, 21, "")
	})
	t.Run("admin revokes a person's leaked pair naming them", func(t *testing.T) {
		wantOK(t, ts.call(t, "auth.revoke_credentials", admin,
			`{"access_key":"`+userPair.Key+`","user":"`+userID+`"}`))
		wantErr(t, ts.call(t, "users.get_current_user", userPair.basic(), ""), 401, 22, "")
	})
}

// TestCredentialLimitConcurrent: a burst of creates never passes the limit and never fails
// with anything but the limit error.
func TestCredentialLimitConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, t.TempDir(), b.dsn(t))
			admin := bearer(ts.login(t, adminBasic()))
			const n = 16
			var mu sync.Mutex
			codes := map[string]int{}
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					m, err := ts.post("auth.create_credentials", admin, `{"label":"burst"}`)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					codes[fmt.Sprintf("%d/%d", m.ResultCode, m.ResultSubcode)]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if codes["200/0"] != 10 || codes["400/12"] != n-10 {
				t.Errorf("results = %v, want 10 × 200/0 and %d × 400/12", codes, n-10)
			}
			listed := list(ts.call(t, "auth.get_credentials", admin, "").Data, "credentials")
			if len(listed) != 10 {
				t.Errorf("credentials = %d, want 10", len(listed))
			}
		})
	}
}
