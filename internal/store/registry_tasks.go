package store

import (
	"context"
	"database/sql"
	"time"

	"atrium/internal/registry"
)

const taskColumns = `id, workspace_id, seq, project_id, user_id, name, type, status,
	status_reason, status_message, enqueue_status, comment, parent_id, queue_id, tags,
	system_tags, last_worker, last_iteration, event_count, doc, created_at, started_at,
	completed_at, published_at, status_changed_at, last_update`

func scanTask(sc interface{ Scan(...any) error }) (registry.Task, error) {
	var t registry.Task
	err := newTaskScanner().scan(sc, &t)
	return t, err
}

// taskScanner reads task rows through one set of destinations, so a listing of
// hundreds of wide rows does not allocate a dozen temporaries per row.
type taskScanner struct {
	t                                     registry.Task
	status, enqueue, tags, sys, doc       string
	created, updated                      int64
	started, completed, published, change sql.NullInt64
	dest                                  []any
}

func newTaskScanner() *taskScanner {
	ts := &taskScanner{}
	t := &ts.t
	ts.dest = []any{&t.ID, &t.WorkspaceID, &t.Seq, &t.ProjectID, &t.UserID, &t.Name, &t.Type,
		&ts.status, &t.StatusReason, &t.StatusMessage, &ts.enqueue, &t.Comment, &t.ParentID,
		&t.QueueID, &ts.tags, &ts.sys, &t.LastWorker, &t.LastIteration, &t.EventCount, &ts.doc,
		&ts.created, &ts.started, &ts.completed, &ts.published, &ts.change, &ts.updated}
	return ts
}

// scan reads one row into out.
func (ts *taskScanner) scan(sc interface{ Scan(...any) error }, out *registry.Task) error {
	if err := sc.Scan(ts.dest...); err != nil {
		return err
	}
	*out = ts.t
	out.Status, out.EnqueueStatus = registry.Status(ts.status), registry.Status(ts.enqueue)
	out.Tags, out.SystemTags = decodeTags(ts.tags), decodeTags(ts.sys)
	out.Doc = []byte(ts.doc)
	out.CreatedAt, out.LastUpdate = fromMicro(ts.created), fromMicro(ts.updated)
	out.StartedAt, out.CompletedAt = fromNullMicro(ts.started), fromNullMicro(ts.completed)
	out.PublishedAt, out.StatusChangedAt = fromNullMicro(ts.published), fromNullMicro(ts.change)
	return nil
}

// CreateTask inserts a task with the workspace's next insertion number.
func (s *Store) CreateTask(ctx context.Context, t *registry.Task) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		seq, err := s.nextCounter(ctx, t.WorkspaceID, "task")
		if err != nil {
			return err
		}
		t.Seq = seq
		_, err = s.exec(ctx, "INSERT INTO tasks ("+taskColumns+", hidden, dataset) VALUES "+
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "+
			taskDataset+")", append(taskArgs(*t), datasetArgs(*t)...)...)
		return err
	})
}

// taskDataset computes a task's dataset flag as it is written: the task carries the
// dataset system tag or its project holds datasets. datasetArgs gives its arguments.
const taskDataset = `CASE WHEN CAST(? AS INTEGER) <> 0 OR CAST(? AS TEXT) IN
	(SELECT id FROM projects WHERE workspace_id = ? AND dataset <> 0) THEN 1 ELSE 0 END`

func datasetArgs(t registry.Task) []any {
	return []any{boolInt(hasTagIn(t.SystemTags, registry.TagDataset)), t.ProjectID,
		t.WorkspaceID}
}

func hasTagIn(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func taskArgs(t registry.Task) []any {
	return []any{t.ID, t.WorkspaceID, t.Seq, t.ProjectID, t.UserID, t.Name, t.Type,
		string(t.Status), t.StatusReason, t.StatusMessage, string(t.EnqueueStatus), t.Comment,
		t.ParentID, t.QueueID, encodeTags(t.Tags), encodeTags(t.SystemTags), t.LastWorker,
		t.LastIteration, t.EventCount, docText(t.Doc), micro(t.CreatedAt),
		nullMicro(t.StartedAt), nullMicro(t.CompletedAt), nullMicro(t.PublishedAt),
		nullMicro(t.StatusChangedAt), micro(t.LastUpdate), boolInt(t.Hidden())}
}

// Task returns one task.
func (s *Store) Task(ctx context.Context, workspaceID, id string) (registry.Task, error) {
	t, err := scanTask(s.queryRow(ctx, "SELECT "+taskColumns+
		" FROM tasks WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return t, rowErr(err, "task")
}

var taskOrders = map[string]string{
	"name": "name", "created": "created_at", "last_update": "last_update",
	"status": "status", "type": "type", "started": "started_at", "completed": "completed_at",
	"status_changed": "status_changed_at", "last_iteration": "last_iteration", "id": "id",
	"user": "user_id", "project": "project_id", "comment": "comment", "parent": "parent_id",
	"last_change": "last_update",
}

// Tasks lists tasks. With a name pattern, matching names are found first over (id, name)
// only, so the page is exact while the wide rows read stay few.
func (s *Store) Tasks(ctx context.Context, workspaceID string, f registry.TaskFilter) (
	[]registry.Task, error) {
	vis, err := s.expandVisibility(ctx, workspaceID, f.Visible)
	if err != nil {
		return nil, err
	}
	f.Visible = vis
	w := taskWhere(workspaceID, f)
	order := orderBy(f.OrderBy, taskOrders, "seq")
	if f.NameMatch != nil {
		return s.tasksByName(ctx, workspaceID, w, order, f)
	}
	q := "SELECT " + taskColumns + " FROM tasks" + w.sql.String() + order
	args := w.args
	if f.Page.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Page.Limit, f.Page.Offset)
	}
	return s.scanTasks(ctx, f.Page.Limit, q, args...)
}

func taskWhere(workspaceID string, f registry.TaskFilter) *where {
	w := newWhere(workspaceID)
	w.addf(inList("id", f.IDs))
	w.addf(inList("project_id", f.ProjectIDs))
	w.addf(inList("status", f.Statuses))
	w.addf(inList("type", f.Types))
	w.addf(inList("user_id", f.UserIDs))
	w.addf(inList("parent_id", f.ParentIDs))
	if !f.IncludeHidden {
		w.add(" AND hidden = 0")
	}
	w.addf(visibleWhere(workspaceID, f.Visible, "id", "project_id"))
	w.addf(tagWhere("tags", f.Tags))
	w.addf(tagWhere("system_tags", f.SystemTags))
	return w
}

func (s *Store) tasksByName(ctx context.Context, workspaceID string, w *where, order string,
	f registry.TaskFilter) ([]registry.Task, error) {
	rows, err := s.query(ctx, "SELECT id, name FROM tasks"+w.sql.String()+order, w.args...)
	if err != nil {
		return nil, err
	}
	var ids []string
	skip := f.Page.Offset
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		if !f.NameMatch(name) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		ids = append(ids, id)
		if f.Page.Limit > 0 && len(ids) == f.Page.Limit {
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return nil, err
	}
	cond, args := inList("id", ids)
	return s.scanTasks(ctx, len(ids), "SELECT "+taskColumns+
		" FROM tasks WHERE workspace_id = ?"+cond+order, append([]any{workspaceID}, args...)...)
}

func (s *Store) scanTasks(ctx context.Context, limit int, q string, args ...any) (
	[]registry.Task, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]registry.Task, 0, min(max(limit, 16), 1000))
	ts := newTaskScanner()
	for rows.Next() {
		out = append(out, registry.Task{})
		if err := ts.scan(rows, &out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// UpdateTask locks, modifies and writes one task. The insertion number, owner, creation
// time and event count are not written back.
func (s *Store) UpdateTask(ctx context.Context, workspaceID, id string,
	fn func(*registry.Task) error) (registry.Task, error) {
	var out registry.Task
	err := s.InTx(ctx, func(ctx context.Context) error {
		t, err := scanTask(s.queryRow(ctx, "SELECT "+taskColumns+
			" FROM tasks WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "task")
		}
		if err := fn(&t); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE tasks SET project_id = ?, name = ?, type = ?, status = ?,
			status_reason = ?, status_message = ?, enqueue_status = ?, comment = ?, parent_id = ?,
			queue_id = ?, tags = ?, system_tags = ?, hidden = ?, last_worker = ?,
			last_iteration = ?, doc = ?, started_at = ?, completed_at = ?, published_at = ?,
			status_changed_at = ?, last_update = ?, dataset = `+taskDataset+`
			WHERE workspace_id = ? AND id = ?`,
			t.ProjectID, t.Name, t.Type, string(t.Status), t.StatusReason, t.StatusMessage,
			string(t.EnqueueStatus), t.Comment, t.ParentID, t.QueueID, encodeTags(t.Tags),
			encodeTags(t.SystemTags), boolInt(t.Hidden()), t.LastWorker, t.LastIteration,
			docText(t.Doc), nullMicro(t.StartedAt), nullMicro(t.CompletedAt),
			nullMicro(t.PublishedAt), nullMicro(t.StatusChangedAt), micro(t.LastUpdate),
			boolInt(hasTagIn(t.SystemTags, registry.TagDataset)), t.ProjectID, workspaceID,
			workspaceID, id)
		out = t
		return err
	})
	return out, err
}

// TouchTask sets a task's last update time.
func (s *Store) TouchTask(ctx context.Context, workspaceID, id string, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE tasks SET last_update = ? WHERE workspace_id = ? AND id = ?",
		micro(at), workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("task")
	}
	return nil
}

// DeleteTask removes a task row.
func (s *Store) DeleteTask(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM tasks WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("task")
	}
	return nil
}

// ClearTaskParent unsets the parent of the task's children.
func (s *Store) ClearTaskParent(ctx context.Context, workspaceID, parentID string) (int,
	error) {
	res, err := s.exec(ctx, `UPDATE tasks SET parent_id = ''
		WHERE workspace_id = ? AND parent_id = ?`, workspaceID, parentID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ExistingTasks reports which ids name tasks of the workspace.
func (s *Store) ExistingTasks(ctx context.Context, workspaceID string, ids []string) (
	map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	cond, args := inList("id", ids)
	rows, err := s.query(ctx, "SELECT id FROM tasks WHERE workspace_id = ?"+cond,
		append([]any{workspaceID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
