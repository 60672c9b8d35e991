package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"atrium/internal/config"
	"atrium/internal/identity"
	"atrium/internal/server"
	"atrium/internal/store/storetest"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
	userPassword  = "another-Long-passw0rd"
)

// testServer is a whole Atrium started in-process on a loopback port.
type testServer struct {
	Srv     *server.Server
	URL     string
	WS      string // workspace (ClearML company) id
	AdminID string
	Data    string
	DSN     string

	stopOnce sync.Once
	stop     func()
}

// backend is a database the end-to-end tests run on.
type backend struct {
	name string
	dsn  func(t *testing.T) string // "" selects SQLite
}

var backends = []backend{
	{"sqlite", func(*testing.T) string { return "" }},
	{"postgres", func(t *testing.T) string { return storetest.PostgresDSN(t) }},
}

// newServer starts a server on SQLite in a fresh folder.
func newServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, t.TempDir(), "")
}

// startServer starts a server on the data folder and database given; it is stopped when the
// test ends, or earlier by Stop.
func startServer(t *testing.T, data, dsn string) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = data
	cfg.DB = dsn
	cfg.AdminEmail = adminEmail
	cfg.AdminPassword = adminPassword
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Open(ctx, cfg, logger, server.Build{Version: "test"})
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	ts := &testServer{Srv: srv, URL: srv.URL(), Data: data, DSN: dsn}
	ts.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop within 30s")
		}
	}
	t.Cleanup(ts.Stop)

	ws, err := srv.Identity.DefaultWorkspace(ctx)
	if err != nil {
		t.Fatalf("default workspace: %v", err)
	}
	admin, err := srv.Identity.UserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatalf("admin user: %v", err)
	}
	ts.WS, ts.AdminID = ws.ID, admin.ID
	return ts
}

// Stop stops the server and waits until it has flushed and closed its database.
func (ts *testServer) Stop() { ts.stopOnce.Do(ts.stop) }

// httpClient never decompresses on its own, so tests see exactly what the server sent.
var httpClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// req is one HTTP request to the server.
type req struct {
	Method string // GET when empty
	Path   string
	Body   string
	Header map[string]string
}

// response is a decoded API answer.
type response struct {
	Status  int
	Header  http.Header
	Raw     []byte // the body, gunzipped when the server compressed it
	Gzipped bool
	Meta    meta
	Data    map[string]any
}

type meta struct {
	ID       string `json:"id"`
	Trx      string `json:"trx"`
	Endpoint struct {
		Name             string `json:"name"`
		RequestedVersion string `json:"requested_version"`
		ActualVersion    string `json:"actual_version"`
	} `json:"endpoint"`
	ResultCode    int    `json:"result_code"`
	ResultSubcode int    `json:"result_subcode"`
	ResultMsg     string `json:"result_msg"`
}

func (r *response) String() string {
	return fmt.Sprintf("HTTP %d %d/%d %q", r.Status, r.Meta.ResultCode, r.Meta.ResultSubcode,
		r.Meta.ResultMsg)
}

// do sends rq. When the answer is JSON it checks the envelope of wire.md 1.4 on the way.
func (ts *testServer) do(t *testing.T, rq req) *response {
	t.Helper()
	method := rq.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	hr, err := http.NewRequest(method, ts.URL+rq.Path, body)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	for k, v := range rq.Header {
		hr.Header.Set(k, v)
	}
	resp, err := httpClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rq.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", rq.Path, err)
	}
	r := &response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		r.Gzipped = true
		r.Raw = gunzip(t, raw)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		checkEnvelope(t, rq, r)
	}
	return r
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkEnvelope asserts the envelope every JSON answer carries (wire.md 1.4) and fills
// r.Meta and r.Data.
func checkEnvelope(t *testing.T, rq req, r *response) {
	t.Helper()
	var env struct {
		Meta map[string]json.RawMessage `json:"meta"`
		Data json.RawMessage            `json:"data"`
	}
	if err := json.Unmarshal(r.Raw, &env); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", rq.Path, err, r.Raw)
	}
	for _, k := range []string{"id", "trx", "endpoint", "result_code", "result_subcode",
		"result_msg", "error_stack", "error_data"} {
		if _, ok := env.Meta[k]; !ok {
			t.Errorf("%s: meta.%s missing in %s", rq.Path, k, r.Raw)
		}
	}
	metaJSON, _ := json.Marshal(env.Meta)
	if err := json.Unmarshal(metaJSON, &r.Meta); err != nil {
		t.Fatalf("%s: meta has wrong types: %v\n%s", rq.Path, err, r.Raw)
	}
	var ep map[string]any
	json.Unmarshal(env.Meta["endpoint"], &ep)
	for _, k := range []string{"name", "requested_version", "actual_version"} {
		if _, ok := ep[k].(string); !ok {
			t.Errorf("%s: meta.endpoint.%s = %v, want a string", rq.Path, k, ep[k])
		}
	}
	if got := string(env.Meta["error_stack"]); got != "null" {
		t.Errorf("%s: meta.error_stack = %s, want null", rq.Path, got)
	}
	if got := string(env.Meta["error_data"]); got != "{}" {
		t.Errorf("%s: meta.error_data = %s, want {}", rq.Path, got)
	}
	if !hex32.MatchString(r.Meta.ID) {
		t.Errorf("%s: meta.id = %q, want 32 lowercase hex", rq.Path, r.Meta.ID)
	}
	wantTrx := r.Meta.ID
	if v := rq.Header["X-Trains-Trx"]; v != "" {
		wantTrx = v
	}
	if v := rq.Header["X-ClearML-Trx"]; v != "" {
		wantTrx = v
	}
	if r.Meta.Trx != wantTrx {
		t.Errorf("%s: meta.trx = %q, want %q", rq.Path, r.Meta.Trx, wantTrx)
	}
	if r.Status != r.Meta.ResultCode {
		t.Errorf("%s: HTTP status %d, meta.result_code %d: want equal", rq.Path, r.Status,
			r.Meta.ResultCode)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("%s: Content-Type = %q, want application/json", rq.Path, got)
	}
	if err := json.Unmarshal(env.Data, &r.Data); err != nil || r.Data == nil {
		t.Fatalf("%s: data = %s, want an object", rq.Path, env.Data)
	}
	if r.Status != 200 && len(r.Data) != 0 {
		t.Errorf("%s: data on error = %s, want {}", rq.Path, env.Data)
	}
}

// call is the common case: POST /v2.23/<endpoint> with a JSON body and an Authorization.
func (ts *testServer) call(t *testing.T, endpoint, authz, body string) *response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	if authz != "" {
		h["Authorization"] = authz
	}
	return ts.do(t, req{Method: http.MethodPost, Path: "/v2.23/" + endpoint, Body: body, Header: h})
}

// wantOK fails the test unless the call succeeded.
func wantOK(t *testing.T, r *response) {
	t.Helper()
	if r.Status != http.StatusOK || r.Meta.ResultCode != 200 || r.Meta.ResultSubcode != 0 {
		t.Fatalf("got %s, want 200/0 OK", r)
	}
	if r.Meta.ResultMsg != "OK" {
		t.Errorf("result_msg = %q, want OK", r.Meta.ResultMsg)
	}
}

// wantErr asserts the status, the subcode and, when msg is not empty, that result_msg
// contains msg.
func wantErr(t *testing.T, r *response, code, sub int, msg string) {
	t.Helper()
	if r.Status != code || r.Meta.ResultCode != code || r.Meta.ResultSubcode != sub {
		t.Errorf("got %s, want %d/%d", r, code, sub)
	}
	if msg != "" && !strings.Contains(r.Meta.ResultMsg, msg) {
		t.Errorf("result_msg = %q, want it to contain %q", r.Meta.ResultMsg, msg)
	}
}

// basic is an HTTP Basic Authorization value.
func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func bearer(token string) string { return "Bearer " + token }

// adminBasic is the first admin's e-mail and password as Basic credentials.
func adminBasic() string { return basic(adminEmail, adminPassword) }

// login calls auth.login and returns the token.
func (ts *testServer) login(t *testing.T, authz string) string {
	t.Helper()
	r := ts.call(t, "auth.login", authz, "")
	wantOK(t, r)
	tok, _ := r.Data["token"].(string)
	if tok == "" {
		t.Fatalf("auth.login: no token in %s", r.Raw)
	}
	return tok
}

// pair is an API key pair.
type pair struct{ Key, Secret string }

func (p pair) basic() string { return basic(p.Key, p.Secret) }

// createPair calls auth.create_credentials with body and returns the new pair.
func (ts *testServer) createPair(t *testing.T, authz, body string) pair {
	t.Helper()
	r := ts.call(t, "auth.create_credentials", authz, body)
	wantOK(t, r)
	return pair{Key: str(r.Data, "credentials", "access_key"),
		Secret: str(r.Data, "credentials", "secret_key")}
}

// newUser adds a plain user with a password and returns the id and a Basic e-mail:password.
func (ts *testServer) newUser(t *testing.T, email, name string) (string, string) {
	t.Helper()
	u, err := ts.Srv.Identity.CreateUser(context.Background(), ts.WS, email, name,
		identity.RoleUser, userPassword)
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u.ID, basic(email, userPassword)
}

// deactivate marks a user deactivated directly in the store and announces the change.
func (ts *testServer) deactivate(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	_, err := ts.Srv.Store.UpdateUser(ctx, ts.WS, id, func(u *identity.User) error {
		u.Status = identity.StatusDeactivated
		return nil
	})
	if err != nil {
		t.Fatalf("deactivate %s: %v", id, err)
	}
	ts.Srv.Store.Publish(ctx, identity.Topic, id)
}

// dig walks nested objects and arrays (by decimal index) along path.
func dig(v any, path ...string) any {
	for _, p := range path {
		switch t := v.(type) {
		case map[string]any:
			v = t[p]
		case []any:
			var i int
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := dig(v, path...).(string)
	return s
}

func list(v any, path ...string) []any {
	l, _ := dig(v, path...).([]any)
	return l
}

// jwtParts decodes a token's header and payload without verifying it, as clients do.
func jwtParts(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3: %q", len(parts), token)
	}
	decode := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("token part %q: %v", s, err)
		}
		m := map[string]any{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("token part %s: %v", b, err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}

// claimInt reads an integer claim.
func claimInt(t *testing.T, claims map[string]any, name string) int64 {
	t.Helper()
	n, ok := claims[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %v, want an integer", name, claims[name])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %v, want an integer", name, n)
	}
	return v
}

// signJWT builds a compact JWT with the given header and payload, signed HS256 with key
// (or unsigned when key is nil).
func signJWT(header, payload map[string]any, key []byte) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(payload)
	if key == nil {
		return signing + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookie returns the named Set-Cookie of a response.
func cookie(r *response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookieLine returns the raw Set-Cookie header for name.
func setCookieLine(r *response, name string) string {
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	return ""
}

// newUserNoPassword adds a user without a password (no hashing cost).
func (ts *testServer) newUserNoPassword(t *testing.T, email, name string) string {
	t.Helper()
	u, err := ts.Srv.Identity.CreateUser(context.Background(), ts.WS, email, name,
		identity.RoleUser, "")
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u.ID
}

// post sends POST /v2.23/<endpoint> and decodes meta without asserting anything, so it may
// run outside the test goroutine (t.Fatal must not).
func (ts *testServer) post(endpoint, authz, body string) (meta, error) {
	hr, err := http.NewRequest(http.MethodPost, ts.URL+"/v2.23/"+endpoint,
		strings.NewReader(body))
	if err != nil {
		return meta{}, err
	}
	hr.Header.Set("Authorization", authz)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(hr)
	if err != nil {
		return meta{}, err
	}
	defer resp.Body.Close()
	var env struct {
		Meta meta `json:"meta"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return meta{}, fmt.Errorf("%s: HTTP %d, body not an envelope: %w", endpoint,
			resp.StatusCode, err)
	}
	if env.Meta.ResultCode != resp.StatusCode {
		return env.Meta, fmt.Errorf("%s: HTTP %d but result_code %d", endpoint,
			resp.StatusCode, env.Meta.ResultCode)
	}
	return env.Meta, nil
}
