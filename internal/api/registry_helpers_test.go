package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"atrium/internal/audit"
	"atrium/internal/config"
	"atrium/internal/identity"
	"atrium/internal/server"
	"atrium/internal/store/storetest"
)

// The registry tests use their own small helpers, prefixed "reg", so they do not depend
// on the other test files of the package.

const (
	regAdminEmail    = "admin@example.com"
	regAdminPassword = "Correct-Horse-Battery-9"
)

// regServer is a whole Atrium started in-process on a loopback port, with a token for
// its first admin.
type regServer struct {
	Srv   *server.Server
	URL   string
	Token string // Bearer value
	WS    string
	Admin string
}

// regBackends are the databases the end-to-end tests run on; PostgreSQL skips when no
// server is configured.
var regBackends = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(*testing.T) string { return "" }},
	{"postgres", func(t *testing.T) string { return storetest.PostgresDSN(t) }},
}

// regForEach runs fn on a fresh server per backend.
func regForEach(t *testing.T, fn func(t *testing.T, s *regServer)) {
	for _, b := range regBackends {
		t.Run(b.name, func(t *testing.T) { fn(t, regStart(t, b.dsn(t))) })
	}
}

// regStart starts a server on dsn ("" for SQLite in a temporary folder).
func regStart(t *testing.T, dsn string) *regServer {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.Data, cfg.DB = "127.0.0.1:0", t.TempDir(), dsn
	cfg.MasterKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	cfg.AdminEmail, cfg.AdminPassword = regAdminEmail, regAdminPassword
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		server.Build{Version: "test"})
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	s := &regServer{Srv: srv, URL: srv.URL()}
	r := s.do(t, "GET", "/auth.login", regBasic(regAdminEmail, regAdminPassword), "", "")
	r.ok(t)
	s.Token = "Bearer " + r.str("token")
	ws, err := srv.Identity.DefaultWorkspace(ctx)
	if err != nil {
		t.Fatalf("workspace: %v", err)
	}
	admin, err := srv.Identity.UserByEmail(ctx, regAdminEmail)
	if err != nil {
		t.Fatalf("admin: %v", err)
	}
	s.WS, s.Admin = ws.ID, admin.ID
	return s
}

func regBasic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// regClient keeps connections open across the many calls of the load tests.
var regClient = &http.Client{Timeout: 60 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

// regResp is a decoded envelope.
type regResp struct {
	Status int
	Code   int
	Sub    int
	Msg    string
	Data   map[string]any
	Raw    []byte
}

// do sends one request as the SDK does: any method, a JSON (or JSON-lines) body.
func (s *regServer) do(t testing.TB, method, path, auth, contentType, body string) *regResp {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-ClearML-Worker", "test-host")
	req.Header.Set("X-ClearML-Client", "clearml-2.1.7")
	resp, err := regClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &regResp{Status: resp.StatusCode, Raw: raw}
	var env struct {
		Meta struct {
			ResultCode    int    `json:"result_code"`
			ResultSubcode int    `json:"result_subcode"`
			ResultMsg     string `json:"result_msg"`
		} `json:"meta"`
		Data map[string]any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("%s: not an envelope: %v\n%s", path, err, raw)
	}
	r.Code, r.Sub, r.Msg, r.Data = env.Meta.ResultCode, env.Meta.ResultSubcode,
		env.Meta.ResultMsg, env.Data
	if r.Code != r.Status {
		t.Fatalf("%s: HTTP %d but result_code %d", path, r.Status, r.Code)
	}
	return r
}

// get sends GET path with a JSON body, as the SDK and the agent do by default.
func (s *regServer) get(t testing.TB, path string, body any) *regResp {
	t.Helper()
	return s.do(t, "GET", path, s.Token, "application/json", regJSON(t, body))
}

// must sends GET /v2.23/<endpoint> and fails unless it succeeded.
func (s *regServer) must(t testing.TB, endpoint string, body any) *regResp {
	t.Helper()
	r := s.get(t, "/v2.23/"+endpoint, body)
	r.ok(t)
	return r
}

func regJSON(t testing.TB, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(b)
}

func (r *regResp) String() string {
	return fmt.Sprintf("%d/%d %q %s", r.Code, r.Sub, r.Msg, r.Raw)
}

func (r *regResp) ok(t testing.TB) {
	t.Helper()
	if r.Code != 200 {
		t.Fatalf("got %s, want 200", r)
	}
}

func (r *regResp) fails(t testing.TB, code, sub int, msg string) {
	t.Helper()
	if r.Code != code || r.Sub != sub || !strings.Contains(r.Msg, msg) {
		t.Fatalf("got %s, want %d/%d containing %q", r, code, sub, msg)
	}
	if len(r.Data) != 0 {
		t.Fatalf("error answer carries data: %s", r.Raw)
	}
}

// at walks the data along a path of keys and decimal indexes.
func (r *regResp) at(path ...string) any {
	var v any = r.Data
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (r *regResp) str(path ...string) string {
	s, _ := r.at(path...).(string)
	return s
}

func (r *regResp) list(path ...string) []any {
	l, _ := r.at(path...).([]any)
	return l
}

func (r *regResp) num(path ...string) int64 {
	n, _ := r.at(path...).(json.Number)
	v, _ := n.Int64()
	return v
}

// regLines builds an application/json-lines body.
func regLines(t testing.TB, events ...any) string {
	t.Helper()
	var b strings.Builder
	for _, e := range events {
		b.WriteString(regJSON(t, e))
		b.WriteByte('\n')
	}
	return b.String()
}

// asAdmin returns a context carrying the first admin, for setting up data through the
// registry service directly (in one transaction, where thousands of calls would be slow).
func (s *regServer) asAdmin(t testing.TB) context.Context {
	t.Helper()
	ctx := context.Background()
	p, err := s.Srv.Identity.Principal(ctx, s.WS, s.Admin)
	if err != nil {
		t.Fatalf("principal: %v", err)
	}
	ctx = identity.WithPrincipal(ctx, p)
	return audit.WithActor(ctx, audit.Actor{WorkspaceID: s.WS, UserID: s.Admin})
}
