package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"atrium/internal/audit"
	"atrium/internal/store/storetest"
)

func TestServerInfo(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	r := ts.call(t, "server.info", adminBasic(), "")
	wantOK(t, r)
	for _, k := range []string{"version", "build", "commit", "api_version"} {
		if _, ok := r.Data[k].(string); !ok {
			t.Errorf("server.info %s = %v, want a string", k, r.Data[k])
		}
	}
	if _, ok := r.Data["uid"]; ok {
		t.Errorf("server.info has uid; the >= 2.12 shape has none")
	}
	if v := str(r.Data, "api_version"); !versionAtLeast(v, 2, 23) {
		t.Errorf("api_version = %q, want >= 2.23", v)
	}
	wantErr(t, ts.call(t, "server.info", "", ""), 401, 20, "")
}

func TestPing(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	tests := []struct {
		name string
		rq   req
		want map[string]any
	}{
		{"no body", req{Path: "/debug.ping"}, map[string]any{}},
		{"echo", req{Method: "POST", Path: "/v2.23/debug.ping",
			Body: `{"a":1,"b":"x","c":[true]}`},
			map[string]any{"a": float64(1), "b": "x", "c": []any{true}}},
		{"bad credentials are ignored", req{Path: "/debug.ping",
			Header: map[string]string{"Authorization": "Digest nope"}}, map[string]any{}},
		{"msg cannot be overridden", req{Path: "/debug.ping", Body: `{"msg":"mine"}`},
			map[string]any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, tc.rq)
			wantOK(t, r)
			tc.want["msg"] = "ClearML server"
			if !reflect.DeepEqual(r.Data, tc.want) {
				t.Errorf("data = %v, want %v", r.Data, tc.want)
			}
		})
	}
}

func TestOperatorEndpoints(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	ts.login(t, adminBasic())
	ts.call(t, "nosuch.endpoint", "", "")

	get := func(t *testing.T, path string) (int, string) {
		t.Helper()
		resp, err := httpClient.Get(ts.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			if code, body := get(t, path); code != http.StatusOK {
				t.Errorf("status = %d (%s), want 200", code, body)
			}
		})
	}
	t.Run("/metrics", func(t *testing.T) {
		code, body := get(t, "/metrics")
		if code != http.StatusOK {
			t.Fatalf("status = %d, want 200", code)
		}
		for _, want := range []string{
			`atrium_api_requests_total{code="200",endpoint="auth.login"} 1`,
			`atrium_api_requests_total{code="404",endpoint="unknown"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		latency := false
		for _, line := range strings.Split(body, "\n") {
			latency = latency || strings.HasPrefix(line,
				"atrium_api_request_duration_seconds_count{") &&
				strings.Contains(line, `endpoint="auth.login"`)
		}
		if !latency {
			t.Errorf("metrics lack the auth.login latency histogram")
		}
		if strings.Contains(body, "nosuch.endpoint") {
			t.Errorf("metrics name an unknown endpoint; want it counted as unknown")
		}
	})
}

// TestBasicOnEveryEndpoint: wire.md 2.2, Basic access_key:secret_key works on every
// endpoint, not only auth.login.
func TestBasicOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	p := ts.createPair(t, adminBasic(), "")
	other := ts.createPair(t, adminBasic(), "")
	tok := ts.login(t, adminBasic())

	calls := []struct {
		endpoint string
		body     string
	}{
		{"auth.login", ""},
		{"auth.logout", ""},
		{"auth.create_credentials", `{"label":"from basic"}`},
		{"auth.get_credentials", ""},
		{"auth.edit_credentials", `{"access_key":"` + other.Key + `","label":"edited"}`},
		{"auth.rotate_credentials", `{"access_key":"` + other.Key + `","grace_period_sec":60}`},
		{"auth.revoke_credentials", `{"access_key":"` + other.Key + `"}`},
		{"auth.validate_token", `{"token":"` + tok + `"}`},
		{"users.get_current_user", ""},
		{"users.get_by_id", `{"user":"` + ts.AdminID + `"}`},
		{"users.get_all", ""},
		{"users.update", `{"user":"` + ts.AdminID + `","given_name":"Ada"}`},
		{"users.get_preferences", ""},
		{"users.set_preferences", `{"preferences":{"a.b":1}}`},
		{"login.supported_modes", ""},
		{"login.logout", ""},
		{"server.info", ""},
		{"debug.ping", ""},
	}
	for _, c := range calls {
		t.Run(c.endpoint, func(t *testing.T) {
			r := ts.call(t, c.endpoint, p.basic(), c.body)
			wantOK(t, r)
		})
	}
	t.Run("the pair still works", func(t *testing.T) {
		wantOK(t, ts.call(t, "users.get_current_user", p.basic(), ""))
	})
}

// TestClientReplay replays what the real SDK and agent send (wire.md 2.1, 7.1, 7.2).
func TestClientReplay(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	p := ts.createPair(t, adminBasic(), `{"label":"sdk"}`)

	t.Run("SDK", func(t *testing.T) {
		login := ts.do(t, req{Method: "GET", Path: "/auth.login", Header: map[string]string{
			"Authorization": p.basic(), "Accept-Encoding": "gzip, deflate",
			"User-Agent": "python-requests/2.32.3"}})
		wantOK(t, login)
		tok := str(login.Data, "token")
		_, claims := jwtParts(t, tok)
		if !versionAtLeast(str(claims, "api_version"), 2, 23) {
			t.Fatalf("api_version = %v: the SDK would not use /v2.23", claims["api_version"])
		}
		h := map[string]string{"Authorization": bearer(tok), "Content-Type": "application/json",
			"X-ClearML-Worker": "sdk-host", "X-Trains-Worker": "sdk-host",
			"X-ClearML-Client": "clearml-2.1.7", "X-Trains-Client": "clearml-2.1.7",
			"Accept-Encoding": "gzip, deflate", "User-Agent": "python-requests/2.32.3"}
		r := ts.do(t, req{Method: "GET", Path: "/v2.23/users.get_current_user",
			Body: `{"method": "get"}`, Header: h})
		wantOK(t, r)
		if str(r.Data, "user", "id") != ts.AdminID {
			t.Errorf("user.id = %q, want %q", str(r.Data, "user", "id"), ts.AdminID)
		}
		c := findCred(t, ts.call(t, "auth.get_credentials", adminBasic(), ""), p.Key)
		if c["last_used"] == nil {
			t.Errorf("the SDK login did not record last_used")
		}
	})
	t.Run("SDK vault probe", func(t *testing.T) {
		tok := ts.login(t, p.basic())
		r := ts.do(t, req{Path: "/users.get_vaults?enabled=true&types=config&types=config",
			Header: map[string]string{"Authorization": bearer(tok)}})
		wantOK(t, r)
		if _, ok := r.Data["vaults"].([]any); !ok {
			t.Errorf("users.get_vaults data = %v, want a vaults list", r.Data)
		}
	})
	t.Run("agent", func(t *testing.T) {
		login := ts.do(t, req{Method: "GET", Path: "/auth.login",
			Body: `{"expiration_sec": null}`, Header: map[string]string{
				"Authorization": p.basic(), "Content-Type": "application/json",
				"X-ClearML-Agent": "api-1.9.2", "X-ClearML-Worker": "agent-host"}})
		wantOK(t, login)
		_, claims := jwtParts(t, str(login.Data, "token"))
		if d := claimInt(t, claims, "exp") - claimInt(t, claims, "iat"); d != defaultTokenLifetime {
			t.Errorf("agent token lifetime = %d, want %d", d, defaultTokenLifetime)
		}
		r := ts.do(t, req{Method: "GET", Path: "/v2.5/users.get_current_user", Body: `{}`,
			Header: map[string]string{"Authorization": bearer(str(login.Data, "token")),
				"Content-Type": "application/json", "X-ClearML-Agent": "api-1.9.2"}})
		wantOK(t, r)
		if r.Meta.Endpoint.RequestedVersion != "2.5" {
			t.Errorf("requested_version = %q, want 2.5", r.Meta.Endpoint.RequestedVersion)
		}
	})
	t.Run("GET, POST and PUT answer alike", func(t *testing.T) {
		tok := ts.login(t, p.basic())
		var bodies []string
		for _, m := range []string{"GET", "POST", "PUT"} {
			r := ts.do(t, req{Method: m, Path: "/v2.23/auth.get_credentials",
				Body: `{"method":"get"}`, Header: map[string]string{
					"Authorization": bearer(tok), "Content-Type": "application/json"}})
			wantOK(t, r)
			bodies = append(bodies, withoutIDs(t, r.Raw))
		}
		if bodies[0] != bodies[1] || bodies[0] != bodies[2] {
			t.Errorf("envelopes differ:\nGET  %s\nPOST %s\nPUT  %s", bodies[0], bodies[1],
				bodies[2])
		}
	})
}

// withoutIDs re-renders an envelope without meta.id and meta.trx, for comparison.
func withoutIDs(t *testing.T, raw []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	meta := m["meta"].(map[string]any)
	delete(meta, "id")
	delete(meta, "trx")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestAudit(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	admin := bearer(ts.login(t, adminBasic()))
	p := ts.createPair(t, admin, `{"label":"audited"}`)
	wantOK(t, ts.call(t, "auth.edit_credentials", admin,
		`{"access_key":"`+p.Key+`","label":"renamed"}`))
	r := ts.call(t, "auth.rotate_credentials", admin, `{"access_key":"`+p.Key+`"}`)
	wantOK(t, r)
	successorSecret := str(r.Data, "credentials", "secret_key")
	wantOK(t, ts.call(t, "auth.revoke_credentials", admin, `{"access_key":"`+p.Key+`"}`))
	wantOK(t, ts.call(t, "users.set_preferences", admin, `{"preferences":{"x.y":1}}`))
	wantOK(t, ts.call(t, "auth.logout", admin, ""))

	entries, err := ts.Srv.Audit.Entries(context.Background(), ts.WS, audit.Filter{})
	if err != nil {
		t.Fatalf("audit entries: %v", err)
	}
	actions := map[string]audit.Entry{}
	for _, e := range entries {
		actions[e.Action] = e
	}
	for _, action := range []string{"credential.create", "credential.edit", "credential.rotate",
		"credential.revoke", "preferences.set", "session.revoke"} {
		t.Run(action, func(t *testing.T) {
			e, ok := actions[action]
			if !ok {
				got := make([]string, 0, len(actions))
				for a := range actions {
					got = append(got, a)
				}
				sort.Strings(got)
				t.Fatalf("no %s entry; have %v", action, got)
			}
			if e.ActorID != ts.AdminID {
				t.Errorf("actor = %q, want %q", e.ActorID, ts.AdminID)
			}
			if e.Address != "127.0.0.1" {
				t.Errorf("address = %q, want 127.0.0.1", e.Address)
			}
			if e.RequestID == "" || e.At.IsZero() {
				t.Errorf("entry lacks a request id or a time: %+v", e)
			}
		})
	}
	t.Run("no secret anywhere", func(t *testing.T) {
		b, err := json.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]string{"secret": p.Secret,
			"successor secret": successorSecret, "password": adminPassword} {
			if strings.Contains(string(b), s) {
				t.Errorf("the audit log contains the %s", name)
			}
		}
	})
}

// TestRestart: credentials, preferences and revocations survive a restart.
func TestRestart(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			data, dsn := t.TempDir(), b.dsn(t)
			ts := startServer(t, data, dsn)
			admin := bearer(ts.login(t, adminBasic()))
			p := ts.createPair(t, admin, `{"label":"survivor"}`)
			gone := ts.createPair(t, admin, "")
			wantOK(t, ts.call(t, "auth.revoke_credentials", admin,
				`{"access_key":"`+gone.Key+`"}`))
			wantOK(t, ts.call(t, "users.set_preferences", admin,
				`{"preferences":{"views.hideExamples":true}}`))
			out := ts.login(t, p.basic())
			wantOK(t, ts.call(t, "auth.logout", bearer(out), ""))
			live := ts.login(t, p.basic())
			wantOK(t, ts.do(t, req{Path: "/users.get_current_user", Header: map[string]string{
				"Authorization": p.basic(), "X-ClearML-Worker": "before-restart"}}))
			ts.Stop()

			ts2 := startServer(t, data, dsn)
			c := findCred(t, ts2.call(t, "auth.get_credentials", bearer(live), ""), p.Key)
			if c["label"] != "survivor" || c["last_used_from"] != "before-restart" {
				t.Errorf("credential after restart = %v, want label survivor and "+
					"last_used_from before-restart (flushed at shutdown)", c)
			}
			wantOK(t, ts2.call(t, "users.get_current_user", p.basic(), ""))
			wantOK(t, ts2.call(t, "users.get_current_user", bearer(live), ""))
			wantErr(t, ts2.call(t, "users.get_current_user", bearer(out), ""), 401, 30,
				"revoked token")
			wantErr(t, ts2.call(t, "users.get_current_user", gone.basic(), ""), 401, 22, "")
			r := ts2.call(t, "users.get_preferences", bearer(live), "")
			if got := dig(r.Data, "preferences", "views", "hideExamples"); got != true {
				t.Errorf("preferences after restart = %s, want views.hideExamples true", r.Raw)
			}
		})
	}
}

// TestReplicas: two servers on one PostgreSQL database; a logout or a revoked pair on one
// is refused by the other (the issue: "revocation ... holds on every replica").
func TestReplicas(t *testing.T) {
	t.Parallel()
	data, dsn := t.TempDir(), storetest.PostgresDSN(t)
	one := startServer(t, data, dsn)
	two := startServer(t, data, dsn)

	tok := one.login(t, adminBasic())
	p := one.createPair(t, bearer(tok), "")
	wantOK(t, two.call(t, "users.get_current_user", bearer(tok), ""))
	wantOK(t, two.call(t, "users.get_current_user", p.basic(), ""))

	wantOK(t, one.call(t, "auth.logout", bearer(tok), ""))
	wantOK(t, one.call(t, "auth.revoke_credentials", adminBasic(),
		`{"access_key":"`+p.Key+`"}`))

	tests := []struct {
		name  string
		authz string
		sub   int
	}{
		{"logged-out token", bearer(tok), 30},
		{"revoked pair", p.basic(), 22},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			deadline := time.Now().Add(3 * time.Second)
			for {
				r := two.call(t, "users.get_current_user", tc.authz, "")
				if r.Status == 401 {
					wantErr(t, r, 401, tc.sub, "")
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the other replica still accepts it after 3s: %s", r)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
