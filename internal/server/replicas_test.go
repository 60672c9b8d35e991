package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"atrium/internal/config"
	"atrium/internal/server"
	"atrium/internal/store/storetest"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
)

// start runs a whole server in-process on dsn ("" for SQLite in dataDir).
func start(t *testing.T, dsn, dataDir, masterKey string) *server.Server {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.Data, cfg.DB, cfg.MasterKey = "127.0.0.1:0", dataDir, dsn, masterKey
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: "test"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

type envelope struct {
	Meta struct {
		ResultCode    int    `json:"result_code"`
		ResultSubcode int    `json:"result_subcode"`
		ResultMsg     string `json:"result_msg"`
	} `json:"meta"`
	Data map[string]any `json:"data"`
}

func call(t *testing.T, base, path, auth string, body any) envelope {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("%s: decode: %v", path, err)
	}
	return env
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// eventually polls cond for up to 5 s; change notifications normally arrive in milliseconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not seen on the other replica", what)
}

// TestRemovalAndRoleChangeReachOtherReplicas runs two servers on one PostgreSQL database:
// a role change and a removal made through one are enforced by the other at once, although
// the other has the user's credentials and token cached.
func TestRemovalAndRoleChangeReachOtherReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	key := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	a := start(t, dsn, t.TempDir(), key)
	b := start(t, dsn, t.TempDir(), key)

	admin := "Bearer " + call(t, a.URL(), "/auth.login", basic(adminEmail, adminPassword), nil).
		Data["token"].(string)
	dana := call(t, a.URL(), "/auth.create_user", admin, map[string]any{
		"name": "Dana Doe", "email": "dana@example.com", "password": "a-Fine-passphrase-42"}).
		Data["id"].(string)
	danaToken := "Bearer " + call(t, a.URL(), "/auth.login",
		basic("dana@example.com", "a-Fine-passphrase-42"), nil).Data["token"].(string)
	creds := call(t, b.URL(), "/auth.create_credentials", danaToken, nil).
		Data["credentials"].(map[string]any)
	pair := basic(creds["access_key"].(string), creds["secret_key"].(string))

	// Warm replica b's caches.
	if env := call(t, b.URL(), "/users.get_current_user", pair, nil); env.Meta.ResultCode != 200 {
		t.Fatalf("pair on b: %d", env.Meta.ResultCode)
	}
	if env := call(t, b.URL(), "/users.get_current_user", danaToken, nil); env.Meta.ResultCode != 200 {
		t.Fatalf("token on b: %d", env.Meta.ResultCode)
	}

	call(t, a.URL(), "/users.set_role", admin, map[string]any{"user": dana, "role": "admin"})
	eventually(t, "role change", func() bool {
		env := call(t, b.URL(), "/users.get_current_user", danaToken, nil)
		user, _ := env.Data["user"].(map[string]any)
		return user != nil && user["role"] == "admin"
	})

	call(t, a.URL(), "/users.set_role", admin, map[string]any{"user": dana, "role": "user"})
	if env := call(t, a.URL(), "/auth.delete_user", admin, map[string]any{"user": dana}); env.Meta.ResultCode != 200 {
		t.Fatalf("delete_user: %d", env.Meta.ResultCode)
	}
	eventually(t, "removal of the pair", func() bool {
		return call(t, b.URL(), "/users.get_current_user", pair, nil).Meta.ResultCode == 401
	})
	eventually(t, "removal of the token", func() bool {
		return call(t, b.URL(), "/users.get_current_user", danaToken, nil).Meta.ResultCode == 401
	})
	if env := call(t, b.URL(), "/auth.login", basic("dana@example.com", "a-Fine-passphrase-42"),
		nil); env.Meta.ResultCode != 401 {
		t.Fatalf("removed user's password on b: %d", env.Meta.ResultCode)
	}
}
