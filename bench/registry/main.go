// Command registry measures the workload registry's three hot paths against a bare
// baseline in the same run and prints the ratios. See bench/registry/README.md.
//
//   - tasks.get_all by project and status, a page of 500 from 100,000 tasks, against the
//     same SQL query run directly on the database;
//   - events.add_batch with 1,000 events per request, against the same rows inserted
//     directly;
//   - queues.get_next_task from 8 concurrent agents, against single-row pops run directly.
package main

import (
	"bytes"
	"context"
	"database/sql"
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"atrium/internal/config"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/server"
	"atrium/internal/store"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
)

// options are the command-line flags.
type options struct {
	duration time.Duration
	tasks    int
	db       string
	conns    int
	only     string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "load time per scenario and side")
	flag.IntVar(&o.tasks, "tasks", 100_000, "tasks in the workspace for tasks.get_all")
	flag.StringVar(&o.db, "db", "", "postgres:// URL (an empty database); SQLite when empty")
	flag.IntVar(&o.conns, "conns", 4, "concurrent clients for get_all and add_batch")
	flag.StringVar(&o.only, "only", "get_all,add_batch,pops", "scenarios to run")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "registry bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "registry bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// bench is one running server plus a direct handle on its database.
type bench struct {
	o      options
	srv    *server.Server
	direct *sql.DB
	pg     bool
	token  string
	ws     string
	client *http.Client
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "atrium-registry-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, done, err := start(ctx, o, dir)
	if err != nil {
		return err
	}
	defer func() { cancel(); <-done; b.direct.Close() }()

	dialect := "sqlite"
	if b.pg {
		dialect = "postgres"
	}
	fmt.Printf("registry bench: %s, %s per side, GOMAXPROCS=%s\n\n", dialect, o.duration,
		os.Getenv("GOMAXPROCS"))
	fmt.Printf("%-28s %14s %14s %8s  %s\n", "scenario", "atrium", "baseline", "ratio",
		"target")
	scenarios := map[string]func() error{"get_all": b.getAll, "add_batch": b.addBatch,
		"pops": b.pops}
	for _, name := range strings.Split(o.only, ",") {
		sc, ok := scenarios[name]
		if !ok {
			return fmt.Errorf("unknown scenario %q", name)
		}
		if err := sc(); err != nil {
			return err
		}
	}
	return nil
}

func start(ctx context.Context, o options, dir string) (*bench, chan struct{}, error) {
	cfg := config.Default()
	cfg.Addr, cfg.Data, cfg.DB = "127.0.0.1:0", filepath.Join(dir, "data"), o.db
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: "bench"})
	if err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	b := &bench{o: o, srv: srv, pg: o.db != "", client: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}}
	if err := b.open(cfg.Data); err != nil {
		return nil, nil, err
	}
	if err := b.login(ctx); err != nil {
		return nil, nil, err
	}
	return b, done, nil
}

// open connects the baseline's own handle to the server's database.
func (b *bench) open(dataDir string) error {
	var err error
	if b.pg {
		b.direct, err = sql.Open("pgx", b.o.db)
	} else {
		b.direct, err = sql.Open("sqlite", "file:"+filepath.Join(dataDir, "atrium.db")+
			"?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"+
			"&_pragma=busy_timeout(10000)")
	}
	if err == nil {
		b.direct.SetMaxOpenConns(8)
	}
	return err
}

func (b *bench) login(ctx context.Context) error {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(adminEmail+":"+adminPassword))
	body, err := b.call("/auth.login", auth, "application/json", "")
	if err != nil {
		return err
	}
	var r struct {
		Data struct{ Token string } `json:"data"`
	}
	json.Unmarshal(body, &r)
	b.token = "Bearer " + r.Data.Token
	ws, err := b.srv.Identity.DefaultWorkspace(ctx)
	b.ws = ws.ID
	return err
}

// hit sends one request and discards the body, failing on anything but 200.
func (b *bench) hit(path, contentType, body string) error {
	req, _ := http.NewRequest("GET", b.srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", b.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// call sends one request and returns its body, failing on anything but 200.
func (b *bench) call(path, auth, contentType, body string) ([]byte, error) {
	req, _ := http.NewRequest("GET", b.srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", contentType)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%s: HTTP %d %.300s", path, resp.StatusCode, out)
	}
	return out, err
}

// rebind numbers "?" placeholders for PostgreSQL.
func (b *bench) rebind(q string) string {
	if !b.pg {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// loop runs fn from conns goroutines for d and returns how many units they did (fn
// returns the units of one call; 0 stops its goroutine).
func loop(d time.Duration, conns int, fn func() (int, error)) (int64, time.Duration, error) {
	var units atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n, err := fn()
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if n == 0 {
					return
				}
				units.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, 0, err
	}
	return units.Load(), time.Since(start), nil
}

// slice is how long one side runs before the other takes over. Alternating in short
// slices keeps a busy machine's noise from landing on one side only.
const slice = 250 * time.Millisecond

// compare runs atrium and base alternately for d each and returns their rates.
func compare(d time.Duration, conns int, atrium, base func() (int, error)) (
	float64, float64, error) {
	var units [2]int64
	var spent [2]time.Duration
	for spent[0] < d {
		for i, fn := range []func() (int, error){atrium, base} {
			n, took, err := loop(slice, conns, fn)
			if err != nil {
				return 0, 0, err
			}
			units[i] += n
			spent[i] += took
		}
	}
	return float64(units[0]) / spent[0].Seconds(), float64(units[1]) / spent[1].Seconds(), nil
}

func report(name, unit string, atrium, base, target float64, absolute bool) {
	ratio := atrium / base
	verdict := "ok"
	if (absolute && atrium < target) || (!absolute && ratio < target) {
		verdict = "BELOW"
	}
	want := fmt.Sprintf("ratio >= %.1f", target)
	if absolute {
		want = fmt.Sprintf(">= %.0f %s", target, unit)
	}
	fmt.Printf("%-28s %9.0f %-4s %9.0f %-4s %8.2f  %s %s\n", name, atrium, unit, base, unit,
		ratio, want, verdict)
}

// sampleDoc is what a task written by the SDK typically holds (about 1 KB).
var sampleDoc = json.RawMessage(`{"script":{"binary":"python3","repository":` +
	`"https://github.com/example/project.git","branch":"main","version_num":` +
	`"4f2a9c1e5b7d3a8f6e0c2b4d6f8a0c2e4b6d8f0a","entry_point":"train.py","working_dir":".",` +
	`"requirements":{"pip":"numpy==2.0.0\ntorch==2.3.1\nclearml==2.1.7\n"}},` +
	`"hyperparams":{"General":{"lr":{"section":"General","name":"lr","value":"0.001",` +
	`"type":"float","description":""},"epochs":{"section":"General","name":"epochs",` +
	`"value":"20","type":"int","description":""}}},"runtime":{"progress":"100",` +
	`"gpu_type":"NVIDIA A100"},"execution":{"artifacts":[{"key":"model","type":"custom",` +
	`"mode":"output","uri":"s3://bucket/project/train/model.pt","hash":"abc",` +
	`"content_size":123456}]}}`)

var statuses = []registry.Status{registry.StatusCreated, registry.StatusQueued,
	registry.StatusInProgress, registry.StatusCompleted, registry.StatusFailed}

// seedTasks inserts n tasks over 20 projects and 5 statuses, in large transactions.
func (b *bench) seedTasks(n int) error {
	st, ctx := b.srv.Store, context.Background()
	now := time.Now().UTC()
	for done := 0; done < n; {
		batch := min(5000, n-done)
		err := st.InTx(ctx, func(ctx context.Context) error {
			for i := done; i < done+batch; i++ {
				t := registry.Task{ID: secret.ID(), WorkspaceID: b.ws,
					ProjectID: fmt.Sprintf("project-%02d", i%20), UserID: "bench",
					Name: fmt.Sprintf("task %d", i), Type: "training",
					Status: statuses[(i/20)%5], Tags: []string{"bench"},
					SystemTags: []string{}, Doc: sampleDoc, CreatedAt: now, LastUpdate: now,
					StatusChangedAt: now}
				if err := st.CreateTask(ctx, &t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += batch
	}
	return nil
}

// getAll compares tasks.get_all by project and status, page of 500, with the query the
// store runs for it, executed and scanned directly.
func (b *bench) getAll() error {
	if err := b.seedTasks(b.o.tasks); err != nil {
		return err
	}
	body := `{"project":["project-07"],"status":["completed"],"page":0,"page_size":500}`
	first, err := b.call("/v2.23/tasks.get_all", b.token, "application/json", body)
	if err != nil {
		return err
	}
	if n := bytes.Count(first, []byte(`"status":"completed"`)); n != 500 {
		return fmt.Errorf("get_all returned %d tasks, want 500", n)
	}
	q := b.rebind(`SELECT id, workspace_id, seq, project_id, user_id, name, type, status,
		status_reason, status_message, enqueue_status, comment, parent_id, queue_id, tags,
		system_tags, last_worker, last_iteration, event_count, doc, created_at, started_at,
		completed_at, published_at, status_changed_at, last_update FROM tasks
		WHERE workspace_id = ? AND project_id IN (?) AND status IN (?) AND hidden = 0
		ORDER BY seq LIMIT ? OFFSET ?`)
	atrium, direct, err := compare(b.o.duration, b.o.conns, func() (int, error) {
		return 1, b.hit("/v2.23/tasks.get_all", "application/json", body)
	}, func() (int, error) {
		return 1, b.scanRows(q, b.ws, "project-07", "completed", 500, 0)
	})
	if err != nil {
		return err
	}
	report(fmt.Sprintf("get_all 500 of %dk", b.o.tasks/1000), "rq/s", atrium, direct, 0.3,
		false)
	return nil
}

func (b *bench) scanRows(q string, args ...any) error {
	rows, err := b.direct.Query(q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		n++
	}
	if n != 500 {
		return fmt.Errorf("direct query returned %d rows", n)
	}
	return rows.Err()
}

// addBatch compares events.add_batch of 1,000 events with inserting the same rows
// directly, 200 per statement, one transaction per batch.
func (b *bench) addBatch() error {
	tasks, err := b.eventTasks(200)
	if err != nil {
		return err
	}
	var next atomic.Int64
	atrium, direct, err := compare(b.o.duration, b.o.conns, func() (int, error) {
		task := tasks[next.Add(1)%int64(len(tasks))]
		return 1000, b.hit("/v2.23/events.add_batch", "application/json-lines",
			eventLines(task, 1000))
	}, func() (int, error) {
		return 1000, b.insertEvents(tasks[next.Add(1)%int64(len(tasks))], 1000)
	})
	if err != nil {
		return err
	}
	report("add_batch 1000 events", "ev/s", atrium, direct, 50_000, true)
	return nil
}

func (b *bench) eventTasks(n int) ([]string, error) {
	var ids []string
	for i := range n {
		body, err := b.call("/v2.23/tasks.create", b.token, "application/json",
			fmt.Sprintf(`{"name":"events %d","type":"training"}`, i))
		if err != nil {
			return nil, err
		}
		var r struct {
			Data struct{ ID string } `json:"data"`
		}
		json.Unmarshal(body, &r)
		ids = append(ids, r.Data.ID)
	}
	return ids, nil
}

// eventLines is a batch as the SDK sends it: log lines and scalars, with its stray
// "method" key.
func eventLines(task string, n int) string {
	var sb strings.Builder
	ts := time.Now().UnixMilli()
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&sb, `{"timestamp":%d,"type":"log","task":"%s","level":"info",`+
				`"worker":"bench-host","msg":"epoch %d step %d loss 0.1234","method":"get"}`+"\n",
				ts+int64(i), task, i/100, i)
			continue
		}
		fmt.Fprintf(&sb, `{"timestamp":%d,"type":"training_stats_scalar","task":"%s",`+
			`"iter":%d,"metric":"loss","variant":"train","value":0.%d,"method":"get"}`+"\n",
			ts+int64(i), task, i, i)
	}
	return sb.String()
}

func (b *bench) insertEvents(task string, n int) error {
	tx, err := b.direct.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	doc := `{"type":"log","task":"` + task + `","msg":"epoch 0 step 0 loss 0.1234"}`
	now := time.Now().UnixMicro()
	for done := 0; done < n; done += 200 {
		var sb strings.Builder
		sb.WriteString(`INSERT INTO task_events (workspace_id, task_id, type, at, iter,
			metric, variant, value, url, doc) VALUES `)
		var args []any
		for i := range 200 {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, b.ws, task, "log", now+int64(i), int64(i), "", "", nil, "", doc)
		}
		if _, err := tx.Exec(b.rebind(sb.String()), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// pops compares queues.get_next_task from 8 agents with 8 goroutines popping one entry
// per transaction directly.
func (b *bench) pops() error {
	const agents, perQueue = 8, 40_000
	api, err := b.seedQueue("bench-api", perQueue)
	if err != nil {
		return err
	}
	direct, err := b.seedQueue("bench-direct", perQueue)
	if err != nil {
		return err
	}
	body := `{"queue":"` + api + `"}`
	q := b.rebind(`DELETE FROM queue_entries WHERE queue_id = ? AND task_id = (
		SELECT task_id FROM queue_entries WHERE workspace_id = ? AND queue_id = ?
		ORDER BY position, added_at, task_id LIMIT 1` + b.skipLocked() + `)
		RETURNING task_id, added_at`)
	atrium, base, err := compare(b.o.duration, agents, func() (int, error) {
		out, err := b.call("/v2.14/queues.get_next_task", b.token, "application/json", body)
		if err == nil && !bytes.Contains(out, []byte(`"entry"`)) {
			return 0, fmt.Errorf("queue ran dry; raise perQueue")
		}
		return 1, err
	}, func() (int, error) {
		var id string
		var added int64
		return 1, b.direct.QueryRow(q, direct, b.ws, direct).Scan(&id, &added)
	})
	if err != nil {
		return err
	}
	report("get_next_task, 8 agents", "op/s", atrium, base, 2000, true)
	return nil
}

func (b *bench) skipLocked() string {
	if b.pg {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// seedQueue creates a queue holding n queued tasks, written through the store in large
// transactions.
func (b *bench) seedQueue(name string, n int) (string, error) {
	st, ctx := b.srv.Store, context.Background()
	now := time.Now().UTC()
	q := registry.Queue{ID: secret.ID(), WorkspaceID: b.ws, Name: name, UserID: "bench",
		Tags: []string{}, SystemTags: []string{}, CreatedAt: now, LastUpdate: now}
	if err := st.CreateQueue(ctx, q); err != nil {
		return "", err
	}
	for done := 0; done < n; done += 5000 {
		err := st.InTx(ctx, func(ctx context.Context) error {
			return seedEntries(ctx, st, q, done, min(5000, n-done), now)
		})
		if err != nil {
			return "", err
		}
	}
	return q.ID, nil
}

func seedEntries(ctx context.Context, st *store.Store, q registry.Queue, from, n int,
	now time.Time) error {
	for i := from; i < from+n; i++ {
		t := registry.Task{ID: secret.ID(), WorkspaceID: q.WorkspaceID, UserID: "bench",
			Name: fmt.Sprint("job ", i), Type: "training", Status: registry.StatusQueued,
			QueueID: q.ID, Tags: []string{}, SystemTags: []string{}, Doc: json.RawMessage("{}"),
			CreatedAt: now, LastUpdate: now, StatusChangedAt: now}
		if err := st.CreateTask(ctx, &t); err != nil {
			return err
		}
		e := registry.QueueEntry{TaskID: t.ID, AddedAt: now}
		if err := st.AddQueueEntry(ctx, q.WorkspaceID, q.ID, e, false); err != nil {
			return err
		}
	}
	return nil
}
