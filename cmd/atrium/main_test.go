package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"atrium/internal/cli"
	"atrium/internal/store/storetest"
)

// The test binary doubles as the atrium command when ATRIUM_TEST_AS_CLI is set, so these
// tests run the real program in its own process (to kill it) without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("ATRIUM_TEST_AS_CLI") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
			Env: os.LookupEnv})
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
)

type process struct {
	cmd *exec.Cmd
	url string
}

var listening = regexp.MustCompile(`listening url=(\S+)`)

// start runs "atrium serve" in a child process and waits for its URL.
func start(t *testing.T, dataDir, dsn, configFile string) *process {
	t.Helper()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	if configFile != "" {
		args = append(args, "--config", configFile)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ATRIUM_TEST_AS_CLI=1", "ATRIUM_ADMIN_EMAIL="+adminEmail,
		"ATRIUM_ADMIN_PASSWORD="+adminPassword)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not log its URL within 30 s")
	}
	return p
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// call sends one API call and decodes the envelope.
func call(client *http.Client, url, path, auth, body string) (int, map[string]any, error) {
	req, err := http.NewRequest("POST", url+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decode %s: %w", raw, err)
	}
	return resp.StatusCode, env.Data, nil
}

func adminToken(t *testing.T, url string) string {
	t.Helper()
	code, data, err := call(http.DefaultClient, url, "/auth.login",
		basicAuth(adminEmail, adminPassword), "")
	if err != nil || code != 200 {
		t.Fatalf("admin login: %d %v", code, err)
	}
	return data["token"].(string)
}

type pair struct{ key, secret string }

// TestKillDuringCredentialBurst kills the server with SIGKILL while clients create
// credentials, restarts it, and checks that every pair the API acknowledged still works.
func TestKillDuringCredentialBurst(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := ""
			if db == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			data := t.TempDir()
			cfgFile := filepath.Join(t.TempDir(), "atrium.yaml")
			os.WriteFile(cfgFile, []byte("credentials:\n  max_per_user: 100000\n"), 0o600)
			p := start(t, data, dsn, cfgFile)
			token := "Bearer " + adminToken(t, p.url)

			acked := burstUntilKilled(t, p, token)
			if len(acked) < 10 {
				t.Fatalf("only %d pairs acknowledged before the kill; the test proves nothing", len(acked))
			}
			p2 := start(t, data, dsn, cfgFile)
			for _, pr := range acked {
				code, _, err := call(http.DefaultClient, p2.url, "/auth.login",
					basicAuth(pr.key, pr.secret), "")
				if err != nil || code != 200 {
					t.Fatalf("acknowledged pair %s lost after kill -9: HTTP %d %v", pr.key, code, err)
				}
			}
			t.Logf("%s: %d acknowledged pairs all survived kill -9", db, len(acked))
		})
	}
}

func burstUntilKilled(t *testing.T, p *process, token string) []pair {
	t.Helper()
	var mu sync.Mutex
	var acked []pair
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, data, err := call(client, p.url, "/auth.create_credentials", token,
					`{"label":"burst"}`)
				if err != nil || code != 200 {
					continue // the server may be gone mid-request: not acknowledged
				}
				c := data["credentials"].(map[string]any)
				mu.Lock()
				acked = append(acked, pair{c["access_key"].(string), c["secret_key"].(string)})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	return acked
}

// TestGracefulStop checks that SIGTERM lets the server finish and exit with status 0.
func TestGracefulStop(t *testing.T) {
	p := start(t, t.TempDir(), "", "")
	adminToken(t, p.url)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop within 20 s of SIGTERM")
	}
}
