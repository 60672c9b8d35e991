// Command access measures what access rules cost tasks.get_all: 100,000 tasks in 1,000
// projects, 1,000 project rules for 50 groups, a caller in 10 of them, against the same
// call by an admin, to whom rules do not apply (rules switched off), in one run. It prints
// the ratio; the target is at least 0.5. The data is written to the store directly
// in large transactions, so seeding takes seconds. See bench/registry for the method
// (alternating short slices of load so a busy machine's noise lands on both sides).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"atrium/internal/access"
	"atrium/internal/audit"
	"atrium/internal/config"
	"atrium/internal/identity"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/server"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
)

type options struct {
	duration time.Duration
	tasks    int
	projects int
	rules    int
	groups   int
	db       string
	conns    int
	profile  string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "load time per scenario and side")
	flag.IntVar(&o.tasks, "tasks", 100_000, "tasks")
	flag.IntVar(&o.projects, "projects", 1_000, "projects holding the tasks")
	flag.IntVar(&o.rules, "rules", 1_000, "project rules (one per project, cycling)")
	flag.IntVar(&o.groups, "groups", 10, "groups the caller is in (of 50)")
	flag.StringVar(&o.db, "db", "", "postgres:// URL (an empty database); SQLite when empty")
	flag.IntVar(&o.conns, "conns", 4, "concurrent clients")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the timed part here")
	flag.Parse()
	o.profile = *profile
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "access bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	o      options
	srv    *server.Server
	ws     string
	admin  string // the first admin's user id
	client *http.Client
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "atrium-access-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Addr, cfg.Data, cfg.DB = "127.0.0.1:0", filepath.Join(dir, "data"), o.db
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	srv, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		server.Build{Version: "bench"})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	b := &bench{o: o, srv: srv, client: &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, DisableCompression: true}}}
	ws, err := srv.Identity.DefaultWorkspace(ctx)
	if err != nil {
		return err
	}
	u, err := srv.Identity.UserByEmail(ctx, adminEmail)
	if err != nil {
		return err
	}
	b.ws, b.admin = ws.ID, u.ID

	start := time.Now()
	caller, other, err := b.seed(ctx)
	if err != nil {
		return err
	}
	dialect := "sqlite"
	if o.db != "" {
		dialect = "postgres"
	}
	fmt.Printf("access bench: %s, %d tasks in %d projects, %d rules, caller in %d groups; "+
		"seeded in %s; %s per side\n\n", dialect, o.tasks, o.projects, o.rules, o.groups,
		time.Since(start).Round(time.Millisecond), o.duration)
	restricted, err := b.impersonate(caller)
	if err != nil {
		return err
	}
	open, err := b.impersonate(other)
	if err != nil {
		return err
	}
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%-36s %12s %12s %7s  %s\n", "scenario", "rules", "rules off", "ratio",
		"target")
	for _, sc := range []struct{ name, body string }{
		{"get_all page of 500", `{"page":0,"page_size":500,"only_fields":["id","name","status"]}`},
		{"get_all page of 500, full tasks", `{"page":0,"page_size":500}`},
		{"get_all page 20 of 500, by name", `{"page":20,"page_size":500,"order_by":["name"],` +
			`"only_fields":["id","name"]}`},
		{"get_all one readable project", `{"project":["P"],"page":0,"page_size":100}`},
	} {
		body := strings.ReplaceAll(sc.body, `"P"`, `"`+projectID(1)+`"`)
		if err := b.check(restricted, open, body); err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		withRules, off, err := compare(o.duration, o.conns, func() error {
			return b.hit(restricted, body)
		}, func() error {
			return b.hit(open, body)
		})
		if err != nil {
			return err
		}
		ratio := withRules / off
		verdict := "ok"
		if ratio < 0.5 {
			verdict = "BELOW"
		}
		fmt.Printf("%-36s %7.0f rq/s %7.0f rq/s %7.2f  >= 0.5 %s\n", sc.name, withRules, off,
			ratio, verdict)
	}
	return nil
}

func projectID(i int) string { return fmt.Sprintf("bench-project-%04d", i) }

// seed writes projects, tasks, groups and rules, deletes the default rules, and returns
// the restricted caller and an admin (rules switched off).
func (b *bench) seed(ctx context.Context) (string, string, error) {
	st, o := b.srv.Store, b.o
	now := time.Now().UTC()
	err := st.InTx(ctx, func(ctx context.Context) error {
		for i := range o.projects {
			name := fmt.Sprintf("p%04d", i)
			if err := st.CreateProject(ctx, registry.Project{ID: projectID(i),
				WorkspaceID: b.ws, Name: name, Basename: name, UserID: b.admin,
				Tags: []string{}, SystemTags: []string{}, CreatedAt: now,
				LastUpdate: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	statuses := []registry.Status{registry.StatusCreated, registry.StatusQueued,
		registry.StatusCompleted, registry.StatusFailed}
	for done := 0; done < o.tasks; {
		batch := min(5000, o.tasks-done)
		err := st.InTx(ctx, func(ctx context.Context) error {
			for i := done; i < done+batch; i++ {
				t := registry.Task{ID: secret.ID(), WorkspaceID: b.ws,
					ProjectID: projectID(i % o.projects), UserID: b.admin,
					Name: fmt.Sprintf("task %06d", i), Type: "training",
					Status: statuses[i%len(statuses)], Tags: []string{}, SystemTags: []string{},
					Doc:       json.RawMessage(`{"script":{"entry_point":"train.py"}}`),
					CreatedAt: now, LastUpdate: now, StatusChangedAt: now}
				if err := st.CreateTask(ctx, &t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", "", err
		}
		done += batch
	}

	p, err := b.srv.Identity.Principal(ctx, b.ws, b.admin)
	if err != nil {
		return "", "", err
	}
	actx := audit.WithActor(identity.WithPrincipal(ctx, p),
		audit.Actor{WorkspaceID: b.ws, UserID: b.admin})
	caller, err := b.srv.Identity.CreateUser(ctx, b.ws, "caller@example.com", "Caller",
		identity.RoleUser, "")
	if err != nil {
		return "", "", err
	}
	other, err := b.srv.Identity.CreateUser(ctx, b.ws, "open@example.com", "Admin Two",
		identity.RoleAdmin, "")
	if err != nil {
		return "", "", err
	}
	// 50 groups; the caller is in groups 1, 6, 11, ... (o.groups of them).
	var groups []string
	for i := range 50 {
		members := []string{}
		if i%5 == 1 && i/5 < o.groups {
			members = []string{caller.ID}
		}
		g, err := b.srv.Identity.SaveGroup(actx, identity.GroupInput{
			Name: ptr(fmt.Sprintf("group %02d", i)), Members: &members})
		if err != nil {
			return "", "", err
		}
		groups = append(groups, g.ID)
	}
	err = st.InTx(ctx, func(ctx context.Context) error {
		old, err := st.AccessRules(ctx, b.ws)
		if err != nil {
			return err
		}
		for _, r := range old {
			if err := st.DeleteAccessRule(ctx, b.ws, r.ID); err != nil {
				return err
			}
		}
		for i := range o.rules {
			perm := access.Read
			if i%2 == 0 {
				perm = access.ReadWrite
			}
			r := access.Rule{ID: secret.ID(), WorkspaceID: b.ws,
				Name: fmt.Sprintf("rule %d", i), EntityType: access.Project,
				EntityID: projectID(i % o.projects), Permission: perm, Users: []string{},
				Groups: []string{groups[i%50]}, CreatedAt: now, UpdatedAt: now}
			if err := st.SaveAccessRule(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	b.srv.Access.OnChange(b.ws)
	return caller.ID, other.ID, nil
}

func ptr[T any](v T) *T { return &v }

// impersonate signs in as the first admin acting as a user: the session has the user's
// rights, as an agent's would.
func (b *bench) impersonate(userID string) (string, error) {
	req, _ := http.NewRequest("GET", b.srv.URL()+"/auth.login", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
		[]byte(adminEmail+":"+adminPassword)))
	req.Header.Set("X-ClearML-Impersonate-As", userID)
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var env struct {
		Data struct{ Token string } `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &env); err != nil || env.Data.Token == "" {
		return "", fmt.Errorf("impersonated login: %s", raw)
	}
	return "Bearer " + env.Data.Token, nil
}

func (b *bench) call(token, body string) ([]byte, error) {
	req, _ := http.NewRequest("GET", b.srv.URL()+"/v2.23/tasks.get_all",
		strings.NewReader(body))
	req.Header.Set("Authorization", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("HTTP %d %.300s", resp.StatusCode, out)
	}
	return out, err
}

func (b *bench) hit(token, body string) error {
	_, err := b.call(token, body)
	return err
}

// check makes sure both sides return the same, non-empty page size, so the comparison is
// of like with like.
func (b *bench) check(restricted, open, body string) error {
	var seen [2]int
	for i, tok := range []string{restricted, open} {
		raw, err := b.call(tok, body)
		if err != nil {
			return err
		}
		var env struct {
			Data struct {
				Tasks []json.RawMessage `json:"tasks"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return err
		}
		seen[i] = len(env.Data.Tasks)
	}
	if seen[0] == 0 || seen[0] != seen[1] {
		return fmt.Errorf("pages of %d (rules) and %d (rules off) tasks", seen[0], seen[1])
	}
	return nil
}

// loop runs fn from conns goroutines for d and returns the calls made.
func loop(d time.Duration, conns int, fn func() error) (int64, time.Duration, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := fn(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, 0, err
	}
	return n.Load(), time.Since(start), nil
}

const slice = 250 * time.Millisecond

// compare runs both sides alternately in short slices for d each and returns their rates.
func compare(d time.Duration, conns int, a, base func() error) (float64, float64, error) {
	var calls [2]int64
	var spent [2]time.Duration
	for spent[0] < d {
		for i, fn := range []func() error{a, base} {
			n, took, err := loop(slice, conns, fn)
			if err != nil {
				return 0, 0, err
			}
			calls[i] += n
			spent[i] += took
		}
	}
	return float64(calls[0]) / spent[0].Seconds(), float64(calls[1]) / spent[1].Seconds(), nil
}
