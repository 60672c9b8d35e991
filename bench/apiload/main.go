// Command apiload measures Atrium's API throughput against a bare net/http handler serving
// the same bytes, in one run, and prints the ratios. See bench/README.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"atrium/internal/config"
	"atrium/internal/server"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "load time per scenario and target")
	conns := flag.Int("conns", 32, "concurrent keep-alive connections")
	rss := flag.Bool("rss", true, "also measure the idle resident memory of a real atrium process")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	only := flag.String("only", "", "comma-separated scenarios to run (default: all)")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apiload:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *conns, *rss, *only); err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
)

type scenario struct {
	name, method, path, auth, target string
	want                             float64
}

func run(duration time.Duration, conns int, rss bool, only string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "atrium-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	srv, done, err := startAtrium(ctx, dir)
	if err != nil {
		return err
	}
	defer func() { cancel(); <-done }()
	host := strings.TrimPrefix(srv.URL(), "http://")
	key, secret, token, err := credentials(srv.URL())
	if err != nil {
		return err
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	member, err := vaultWorkspace(srv.URL(), "Bearer "+token)
	if err != nil {
		return err
	}
	scenarios := []scenario{
		{"bearer", "GET", "/v2.23/users.get_current_user", "Bearer " + token, "0.7", 0.7},
		{"basic", "GET", "/v2.23/users.get_current_user", basic, "0.5", 0.5},
		{"login", "GET", "/auth.login", basic, "0.4", 0.4},
		{"vaults", "GET", "/users.get_vaults?enabled=true&types=config&types=config",
			"Bearer " + member, "0.5", 0.5},
	}
	fmt.Printf("apiload: %d connections, %s per run, %d CPUs\n\n", conns, duration,
		runtime.NumCPU())
	fmt.Printf("%-8s %12s %12s %10s %10s %8s %8s\n", "scenario", "atrium rps", "bare rps",
		"atrium p99", "bare p99", "ratio", "target")
	for _, sc := range scenarios {
		if only != "" && !strings.Contains(","+only+",", ","+sc.name+",") {
			continue
		}
		if err := runScenario(sc, host, duration, conns); err != nil {
			return err
		}
	}
	if rss {
		fmt.Println()
		return measureRSS(dir)
	}
	return nil
}

func startAtrium(ctx context.Context, dir string) (*server.Server, chan struct{}, error) {
	cfg := config.Default()
	cfg.Addr, cfg.Data = "127.0.0.1:0", filepath.Join(dir, "data")
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: "bench"})
	if err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	return srv, done, nil
}

// credentials signs in as the admin, creates a pair and logs in with it.
func credentials(base string) (key, secret, token string, err error) {
	tok, err := call(base, "/auth.login", "Basic "+base64.StdEncoding.EncodeToString(
		[]byte(adminEmail+":"+adminPassword)))
	if err != nil {
		return "", "", "", err
	}
	var login struct {
		Data struct{ Token string } `json:"data"`
	}
	json.Unmarshal(tok, &login)
	body, err := call(base, "/auth.create_credentials", "Bearer "+login.Data.Token)
	if err != nil {
		return "", "", "", err
	}
	var created struct {
		Data struct {
			Credentials struct {
				AccessKey string `json:"access_key"`
				SecretKey string `json:"secret_key"`
			}
		} `json:"data"`
	}
	json.Unmarshal(body, &created)
	return created.Data.Credentials.AccessKey, created.Data.Credentials.SecretKey,
		login.Data.Token, nil
}

// vaultWorkspace makes a member of 50 of 60 groups in a workspace with 100 vaults (90
// group vaults, 9 workspace vaults and the member's own) and returns the member's token.
func vaultWorkspace(base, admin string) (string, error) {
	body, err := callJSON(base, "/auth.create_user", admin, map[string]any{
		"name": "Vault Member", "email": "member@example.com", "password": "member-Passw0rd-42"})
	if err != nil {
		return "", err
	}
	var created struct {
		Data struct{ ID string } `json:"data"`
	}
	json.Unmarshal(body, &created)
	var groups []string
	for i := range 60 {
		users := []string{}
		if i < 50 {
			users = []string{created.Data.ID}
		}
		body, err := callJSON(base, "/permissions.add_or_update_user_group", admin,
			map[string]any{"name": fmt.Sprintf("group %02d", i), "users": users})
		if err != nil {
			return "", err
		}
		var g struct {
			Data struct{ ID string } `json:"data"`
		}
		json.Unmarshal(body, &g)
		groups = append(groups, g.Data.ID)
	}
	data := "sdk.aws.s3 { region = \"eu-west-1\", key = \"AKIAEXAMPLE\", secret = \"s3cr3t\" }\n" +
		"agent.package_manager.extra_index_url = [\"https://pypi.example/simple\"]\n"
	for i := range 99 {
		v := map[string]any{"scope": "organization", "data": data,
			"description": fmt.Sprintf("vault %02d", i)}
		req := map[string]any{"vault": v}
		if i < 90 {
			v["scope"] = "group"
			req["group"] = groups[i%60]
		}
		if _, err := callJSON(base, "/users.add_or_update_vault", admin, req); err != nil {
			return "", err
		}
	}
	tok, err := call(base, "/auth.login", "Basic "+base64.StdEncoding.EncodeToString(
		[]byte("member@example.com:member-Passw0rd-42")))
	if err != nil {
		return "", err
	}
	var login struct {
		Data struct{ Token string } `json:"data"`
	}
	json.Unmarshal(tok, &login)
	_, err = callJSON(base, "/users.add_or_update_vault", "Bearer "+login.Data.Token,
		map[string]any{"vault": map[string]any{"data": data, "description": "mine"}})
	return login.Data.Token, err
}

func callJSON(base, path, auth string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d %s", path, resp.StatusCode, out)
	}
	return out, nil
}

func call(base, path, auth string) ([]byte, error) {
	req, _ := http.NewRequest("POST", base+path, nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d %s", path, resp.StatusCode, b)
	}
	return b, nil
}

// runScenario captures Atrium's answer, serves the same bytes from a bare handler, and
// loads both the same way.
func runScenario(sc scenario, host string, d time.Duration, conns int) error {
	req := buildRequest(sc, host)
	sample, err := oneShot(host, req)
	if err != nil {
		return fmt.Errorf("%s: %w", sc.name, err)
	}
	bareHost, stop, err := startBare(sample)
	if err != nil {
		return err
	}
	defer stop()
	// Warm both up, then measure.
	load(host, req, time.Second/2, conns)
	load(bareHost, buildRequest(sc, bareHost), time.Second/2, conns)
	a := load(host, req, d, conns)
	b := load(bareHost, buildRequest(sc, bareHost), d, conns)
	if a.errors > 0 || b.errors > 0 {
		return fmt.Errorf("%s: %d atrium and %d bare errors", sc.name, a.errors, b.errors)
	}
	ratio := a.rps / b.rps
	verdict := "ok"
	if ratio < sc.want {
		verdict = "BELOW"
	}
	fmt.Printf("%-8s %12.0f %12.0f %10s %10s %8.2f %5s %s\n", sc.name, a.rps, b.rps,
		a.p99.Round(10*time.Microsecond), b.p99.Round(10*time.Microsecond), ratio, sc.target,
		verdict)
	return nil
}

func buildRequest(sc scenario, host string) []byte {
	return []byte(sc.method + " " + sc.path + " HTTP/1.1\r\nHost: " + host +
		"\r\nAuthorization: " + sc.auth + "\r\nUser-Agent: apiload\r\n\r\n")
}

func oneShot(host string, req []byte) ([]byte, error) {
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.Write(req)
	status, body, err := readResponse(bufio.NewReader(c))
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("HTTP %d: %s", status, body)
	}
	return body, nil
}

// startBare serves body for every request, as the baseline.
func startBare(body []byte) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	s := &http.Server{Handler: h}
	go s.Serve(ln)
	return ln.Addr().String(), func() { s.Close() }, nil
}

type result struct {
	rps    float64
	p99    time.Duration
	errors int64
}

// load keeps conns connections busy with req for d and reports throughput and p99 latency.
func load(host string, req []byte, d time.Duration, conns int) result {
	var count, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			c, err := net.Dial("tcp", host)
			if err != nil {
				errs.Add(1)
				return
			}
			defer c.Close()
			r := bufio.NewReaderSize(c, 64<<10)
			for time.Now().Before(deadline) {
				start := time.Now()
				if _, err := c.Write(req); err != nil {
					errs.Add(1)
					return
				}
				status, _, err := readResponse(r)
				if err != nil || status != 200 {
					errs.Add(1)
					return
				}
				local = append(local, time.Since(start))
				count.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res := result{rps: float64(count.Load()) / d.Seconds(), errors: errs.Load()}
	if len(lat) > 0 {
		res.p99 = lat[len(lat)*99/100]
	}
	return res
}

// readResponse reads one HTTP/1.1 response with a Content-Length body.
func readResponse(r *bufio.Reader) (int, []byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	parts := bytes.SplitN(line, []byte(" "), 3)
	if len(parts) < 2 {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, _ := strconv.Atoi(string(parts[1]))
	length := -1
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(bytes.TrimSpace(h)) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		return 0, nil, fmt.Errorf("response without Content-Length")
	}
	body := make([]byte, length)
	_, err = io.ReadFull(r, body)
	return status, body, err
}

// measureRSS builds and starts a real atrium process, lets it settle, and reads VmRSS.
func measureRSS(dir string) error {
	bin := filepath.Join(dir, "atrium")
	build := exec.Command("go", "build", "-o", bin, "./cmd/atrium")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build atrium: %w", err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "rss"))
	cmd.Env = append(os.Environ(), "ATRIUM_ADMIN_PASSWORD="+adminPassword)
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	time.Sleep(5 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.Atoi(f[1])
			verdict := "ok"
			if kb > 60*1024 {
				verdict = "ABOVE"
			}
			fmt.Printf("idle resident memory: %.1f MB (target <= 60 MB) %s\n", float64(kb)/1024, verdict)
		}
	}
	return nil
}
