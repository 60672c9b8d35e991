package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"atrium/internal/registry"
)

// This file and the other registry*.go files implement registry.Store. Tags are stored as
// JSON arrays and matched with LIKE on the JSON text (see tagMatch); free-form sections
// are stored as JSON text and never looked into by SQL.

var _ registry.Store = (*Store)(nil)

func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// decodeTags reads what encodeTags wrote. Arrays without escapes are split directly:
// listings decode two tag lists per row.
func decodeTags(s string) []string {
	if s == "" || s == "[]" {
		return []string{}
	}
	if n := len(s); n >= 4 && s[:2] == `["` && s[n-2:] == `"]` && !strings.Contains(s, `\`) {
		return strings.Split(s[2:n-2], `","`)
	}
	out := []string{}
	json.Unmarshal([]byte(s), &out)
	return out
}

func docText(doc json.RawMessage) string {
	if len(doc) == 0 {
		return "{}"
	}
	return string(doc)
}

// tagMatch is a condition that the JSON array in col contains tag. Go encodes the array
// without spaces, so every element's opening quote follows "[" or ","; inside a string a
// quote is always escaped, so the pattern cannot match part of another tag.
func tagMatch(col, tag string) (string, []any) {
	q, _ := json.Marshal(tag)
	pat := escapeLike(string(q))
	return "(" + col + ` LIKE ? ESCAPE '\' OR ` + col + ` LIKE ? ESCAPE '\')`,
		[]any{"%[" + pat + "%", "%," + pat + "%"}
}

// tagWhere renders a registry.TagFilter over col.
func tagWhere(col string, f registry.TagFilter) (string, []any) {
	var parts []string
	var args []any
	if len(f.Any) > 0 {
		var any []string
		for _, t := range f.Any {
			c, a := tagMatch(col, t)
			any, args = append(any, c), append(args, a...)
		}
		parts = append(parts, "("+strings.Join(any, " OR ")+")")
	}
	for _, t := range f.All {
		c, a := tagMatch(col, t)
		parts, args = append(parts, c), append(args, a...)
	}
	for _, t := range f.None {
		c, a := tagMatch(col, t)
		parts, args = append(parts, "NOT "+c), append(args, a...)
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(parts, " AND "), args
}

// inList renders " AND col IN (?, ...)" for a non-empty list.
func inList[T ~string](col string, vals []T) (string, []any) {
	if len(vals) == 0 {
		return "", nil
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	return " AND " + col + " IN (" + placeholders(len(vals)) + ")", args
}

// where collects the conditions of a listing query.
type where struct {
	sql  strings.Builder
	args []any
}

func newWhere(workspaceID string) *where {
	w := &where{args: []any{workspaceID}}
	w.sql.WriteString(" WHERE workspace_id = ?")
	return w
}

func (w *where) add(cond string, args ...any) { w.addf(cond, args) }

// addf adds a condition rendered by inList or tagWhere.
func (w *where) addf(cond string, args []any) {
	if cond == "" {
		return
	}
	w.sql.WriteString(cond)
	w.args = append(w.args, args...)
}

// orderBy renders ClearML sort keys ("name", "-created") with the columns in cols, then
// tie, and ignores unknown keys, as ClearML ignores unknown fields.
func orderBy(keys []string, cols map[string]string, tie string) string {
	var parts []string
	for _, k := range keys {
		desc := strings.HasPrefix(k, "-")
		col, ok := cols[strings.TrimPrefix(k, "-")]
		if !ok {
			continue
		}
		if desc {
			col += " DESC"
		}
		parts = append(parts, col)
	}
	return " ORDER BY " + strings.Join(append(parts, tie), ", ")
}

// nextCounter returns the next value of a per-workspace counter. On PostgreSQL the
// counter row stays locked until the transaction ends, so values are handed out in
// commit order; SQLite's single writer gives the same.
func (s *Store) nextCounter(ctx context.Context, workspaceID, name string) (int64, error) {
	var v int64
	err := s.queryRow(ctx, `INSERT INTO registry_counters (workspace_id, name, value)
		VALUES (?, ?, 1) ON CONFLICT (workspace_id, name)
		DO UPDATE SET value = registry_counters.value + 1 RETURNING value`,
		workspaceID, name).Scan(&v)
	return v, mapErr(err)
}

const projectColumns = `id, workspace_id, name, basename, parent_id, description, user_id,
	tags, system_tags, default_output_destination, created_at, last_update`

func scanProject(sc interface{ Scan(...any) error }) (registry.Project, error) {
	var p registry.Project
	var tags, sys string
	var created, updated int64
	err := sc.Scan(&p.ID, &p.WorkspaceID, &p.Name, &p.Basename, &p.ParentID, &p.Description,
		&p.UserID, &tags, &sys, &p.DefaultOutputDestination, &created, &updated)
	p.Tags, p.SystemTags = decodeTags(tags), decodeTags(sys)
	p.CreatedAt, p.LastUpdate = fromMicro(created), fromMicro(updated)
	return p, err
}

// CreateProject inserts a project; a name taken in the workspace is a Conflict.
func (s *Store) CreateProject(ctx context.Context, p registry.Project) error {
	_, err := s.exec(ctx, "INSERT INTO projects ("+projectColumns+
		", hidden, dataset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, p.WorkspaceID, p.Name, p.Basename, p.ParentID, p.Description, p.UserID,
		encodeTags(p.Tags), encodeTags(p.SystemTags), p.DefaultOutputDestination,
		micro(p.CreatedAt), micro(p.LastUpdate), boolInt(p.Hidden()), boolInt(p.IsDataset()))
	return err
}

// Project returns one project.
func (s *Store) Project(ctx context.Context, workspaceID, id string) (registry.Project, error) {
	p, err := scanProject(s.queryRow(ctx, "SELECT "+projectColumns+
		" FROM projects WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return p, rowErr(err, "project")
}

// ProjectByName returns the project with the given full name.
func (s *Store) ProjectByName(ctx context.Context, workspaceID, name string) (
	registry.Project, error) {
	p, err := scanProject(s.queryRow(ctx, "SELECT "+projectColumns+
		" FROM projects WHERE workspace_id = ? AND name = ?", workspaceID, name))
	return p, rowErr(err, "project")
}

// expandVisibility returns v with each scope's granted projects widened to their
// descendants (projects whose full name starts with a granted name and a slash). Doing it
// here, from one read of the workspace's project names, keeps the listing query a plain
// IN list instead of a name-prefix join per row.
func (s *Store) expandVisibility(ctx context.Context, workspaceID string,
	v *registry.Visibility) (*registry.Visibility, error) {
	if v == nil || (len(v.Plain.Projects) == 0 && len(v.Dataset.Projects) == 0) {
		return v, nil
	}
	rows, err := s.query(ctx, "SELECT id, name FROM projects WHERE workspace_id = ?", workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := *v
	out.Plain.Projects = descendants(v.Plain.Projects, names)
	out.Dataset.Projects = descendants(v.Dataset.Projects, names)
	return &out, nil
}

// descendants returns the granted project ids and every project below one of them.
func descendants(granted []string, names map[string]string) []string {
	if len(granted) == 0 {
		return nil
	}
	grantedNames := map[string]bool{}
	for _, id := range granted {
		if n, ok := names[id]; ok {
			grantedNames[n] = true
		}
	}
	out := append([]string{}, granted...)
	for id, name := range names {
		for i := strings.LastIndex(name, "/"); i > 0; i = strings.LastIndex(name[:i], "/") {
			if grantedNames[name[:i]] {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// Projects lists projects by name.
func (s *Store) Projects(ctx context.Context, workspaceID string, f registry.ProjectFilter) (
	[]registry.Project, error) {
	vis, err := s.expandVisibility(ctx, workspaceID, f.Visible)
	if err != nil {
		return nil, err
	}
	f.Visible = vis
	w := newWhere(workspaceID)
	w.addf(inList("id", f.IDs))
	w.addf(inList("parent_id", f.ParentIDs))
	if f.TopLevel && len(f.ParentIDs) == 0 {
		w.add(" AND parent_id = ''")
	}
	if !f.IncludeHidden {
		w.add(" AND hidden = 0")
	}
	w.addf(visibleWhere(workspaceID, f.Visible, "id", "id"))
	rows, err := s.query(ctx, "SELECT "+projectColumns+" FROM projects"+w.sql.String()+
		" ORDER BY name, id", w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		if f.NameMatch == nil || f.NameMatch(p.Name) {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// UpdateProject locks, modifies and writes one project.
func (s *Store) UpdateProject(ctx context.Context, workspaceID, id string,
	fn func(*registry.Project) error) (registry.Project, error) {
	var out registry.Project
	err := s.InTx(ctx, func(ctx context.Context) error {
		p, err := scanProject(s.queryRow(ctx, "SELECT "+projectColumns+
			" FROM projects WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "project")
		}
		if err := fn(&p); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE projects SET name = ?, basename = ?, description = ?,
			tags = ?, system_tags = ?, hidden = ?, dataset = ?, default_output_destination = ?,
			last_update = ? WHERE workspace_id = ? AND id = ?`,
			p.Name, p.Basename, p.Description, encodeTags(p.Tags), encodeTags(p.SystemTags),
			boolInt(p.Hidden()), boolInt(p.IsDataset()), p.DefaultOutputDestination,
			micro(p.LastUpdate), workspaceID, id)
		out = p
		return err
	})
	return out, err
}

// RenameProjectTree renames every descendant of oldName to live under newName.
// TODO(#6): renaming a project to or from ".datasets" leaves the dataset flag of its
// descendants and their tasks as it was.
func (s *Store) RenameProjectTree(ctx context.Context, workspaceID, oldName, newName string,
	at time.Time) error {
	prefix := oldName + "/"
	n := utf8.RuneCountInString(prefix) // SUBSTR counts characters
	_, err := s.exec(ctx, `UPDATE projects
		SET name = CAST(? AS TEXT) || SUBSTR(name, CAST(? AS INTEGER)), last_update = ?
		WHERE workspace_id = ? AND SUBSTR(name, 1, CAST(? AS INTEGER)) = ?`,
		newName+"/", n+1, micro(at), workspaceID, n, prefix)
	return err
}

// DeleteProjects removes projects by id.
func (s *Store) DeleteProjects(ctx context.Context, workspaceID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	cond, args := inList("id", ids)
	_, err := s.exec(ctx, "DELETE FROM projects WHERE workspace_id = ?"+cond,
		append([]any{workspaceID}, args...)...)
	return err
}

// ProjectContents counts the tasks and models in the given projects.
func (s *Store) ProjectContents(ctx context.Context, workspaceID string, ids []string) (
	int, int, error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	cond, args := inList("project_id", ids)
	args = append([]any{workspaceID}, args...)
	var tasks, models int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM tasks WHERE workspace_id = ?"+cond, args...).
		Scan(&tasks)
	if err != nil {
		return 0, 0, mapErr(err)
	}
	err = s.queryRow(ctx, "SELECT COUNT(*) FROM models WHERE workspace_id = ?"+cond, args...).
		Scan(&models)
	return tasks, models, mapErr(err)
}

// DetachProjectContents clears the project of the tasks and models in the given projects.
func (s *Store) DetachProjectContents(ctx context.Context, workspaceID string,
	ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	cond, args := inList("project_id", ids)
	args = append([]any{workspaceID}, args...)
	res, err := s.exec(ctx, "UPDATE tasks SET project_id = '' WHERE workspace_id = ?"+cond,
		args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	_, err = s.exec(ctx, "UPDATE models SET project_id = '' WHERE workspace_id = ?"+cond,
		args...)
	return int(n), err
}

// ProjectAncestry walks up the tree from a project by parent ids, in one query.
func (s *Store) ProjectAncestry(ctx context.Context, workspaceID, id string) ([]string, bool,
	error) {
	rows, err := s.query(ctx, `WITH RECURSIVE anc(id, parent_id, dataset, depth) AS (
			SELECT id, parent_id, dataset, 0 FROM projects WHERE workspace_id = ? AND id = ?
			UNION ALL
			SELECT p.id, p.parent_id, p.dataset, anc.depth + 1 FROM projects p
			JOIN anc ON p.id = anc.parent_id
			WHERE p.workspace_id = ? AND anc.depth < 256)
		SELECT id, dataset FROM anc ORDER BY depth`, workspaceID, id, workspaceID)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var ids []string
	dataset := false
	for rows.Next() {
		var pid string
		var ds int
		if err := rows.Scan(&pid, &ds); err != nil {
			return nil, false, err
		}
		if len(ids) == 0 {
			dataset = ds != 0
		}
		ids = append(ids, pid)
	}
	return ids, dataset, rows.Err()
}

// scopeWhere renders a read scope as one condition over a table with a user_id column,
// the object id in idCol and its project in projectCol. Projects must already include the
// descendants of every granted project (expandVisibility).
func scopeWhere(workspaceID string, sc registry.ReadScope, idCol, projectCol string) (
	string, []any) {
	if sc.All {
		return "1 = 1", nil
	}
	parts, args := []string{"user_id = ?"}, []any{sc.Owner}
	if len(sc.IDs) > 0 {
		parts = append(parts, idCol+" IN ("+placeholders(len(sc.IDs))+")")
		for _, id := range sc.IDs {
			args = append(args, id)
		}
	}
	switch {
	case sc.AnyProject:
		parts = append(parts, projectCol+" <> ''")
	case len(sc.Projects) > 0:
		// sc.Projects holds the granted projects and all their descendants already
		// (expandVisibility), so the database matches a plain list.
		parts = append(parts, projectCol+" IN ("+placeholders(len(sc.Projects))+")")
		for _, id := range sc.Projects {
			args = append(args, id)
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// visibleWhere renders a Visibility over a table with a dataset flag; nil shows all.
func visibleWhere(workspaceID string, v *registry.Visibility, idCol, projectCol string) (
	string, []any) {
	if v == nil || (v.Plain.All && v.Dataset.All) {
		return "", nil
	}
	plain, args := scopeWhere(workspaceID, v.Plain, idCol, projectCol)
	ds, dsArgs := scopeWhere(workspaceID, v.Dataset, idCol, projectCol)
	return " AND ((dataset = 0 AND " + plain + ") OR (dataset <> 0 AND " + ds + "))",
		append(args, dsArgs...)
}
