package store

import (
	"context"

	"atrium/internal/registry"
)

const modelColumns = `id, workspace_id, name, project_id, task_id, parent_id, user_id, uri,
	framework, comment, tags, system_tags, ready, doc, created_at, last_update`

func scanModel(sc interface{ Scan(...any) error }) (registry.Model, error) {
	var m registry.Model
	var tags, sys, doc string
	var ready int
	var created, updated int64
	err := sc.Scan(&m.ID, &m.WorkspaceID, &m.Name, &m.ProjectID, &m.TaskID, &m.ParentID,
		&m.UserID, &m.URI, &m.Framework, &m.Comment, &tags, &sys, &ready, &doc, &created,
		&updated)
	m.Tags, m.SystemTags, m.Doc, m.Ready = decodeTags(tags), decodeTags(sys), []byte(doc),
		ready != 0
	m.CreatedAt, m.LastUpdate = fromMicro(created), fromMicro(updated)
	return m, err
}

// CreateModel inserts a model.
func (s *Store) CreateModel(ctx context.Context, m registry.Model) error {
	_, err := s.exec(ctx, "INSERT INTO models ("+modelColumns+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		m.ID, m.WorkspaceID, m.Name, m.ProjectID, m.TaskID, m.ParentID, m.UserID, m.URI,
		m.Framework, m.Comment, encodeTags(m.Tags), encodeTags(m.SystemTags), boolInt(m.Ready),
		docText(m.Doc), micro(m.CreatedAt), micro(m.LastUpdate))
	return err
}

// Model returns one model.
func (s *Store) Model(ctx context.Context, workspaceID, id string) (registry.Model, error) {
	m, err := scanModel(s.queryRow(ctx, "SELECT "+modelColumns+
		" FROM models WHERE workspace_id = ? AND id = ?", workspaceID, id))
	return m, rowErr(err, "model")
}

var modelOrders = map[string]string{
	"name": "name", "created": "created_at", "last_update": "last_update", "id": "id",
	"framework": "framework", "uri": "uri", "ready": "ready", "user": "user_id",
	"task": "task_id", "project": "project_id",
}

// Models lists models, oldest first unless ordered otherwise.
func (s *Store) Models(ctx context.Context, workspaceID string, f registry.ModelFilter) (
	[]registry.Model, error) {
	if f.Visible != nil {
		vis, err := s.expandVisibility(ctx, workspaceID, &registry.Visibility{Plain: *f.Visible})
		if err != nil {
			return nil, err
		}
		f.Visible = &vis.Plain
	}
	w := newWhere(workspaceID)
	w.addf(inList("id", f.IDs))
	w.addf(inList("project_id", f.ProjectIDs))
	w.addf(inList("task_id", f.TaskIDs))
	w.addf(inList("user_id", f.UserIDs))
	w.addf(inList("framework", f.Frameworks))
	w.addf(inList("uri", f.URIs))
	if f.Ready != nil {
		w.add(" AND ready = ?", boolInt(*f.Ready))
	}
	w.addf(tagWhere("tags", f.Tags))
	w.addf(tagWhere("system_tags", f.SystemTags))
	if f.Visible != nil && !f.Visible.All {
		cond, args := scopeWhere(workspaceID, *f.Visible, "id", "project_id")
		w.addf(" AND "+cond, args)
	}
	q := "SELECT " + modelColumns + " FROM models" + w.sql.String() +
		orderBy(f.OrderBy, modelOrders, "created_at, id")
	rows, err := s.query(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Model
	skip := f.Page.Offset
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, err
		}
		if f.NameMatch != nil && !f.NameMatch(m.Name) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, m)
		if f.Page.Limit > 0 && len(out) == f.Page.Limit {
			break
		}
	}
	return out, rows.Err()
}

// UpdateModel locks, modifies and writes one model.
func (s *Store) UpdateModel(ctx context.Context, workspaceID, id string,
	fn func(*registry.Model) error) (registry.Model, error) {
	var out registry.Model
	err := s.InTx(ctx, func(ctx context.Context) error {
		m, err := scanModel(s.queryRow(ctx, "SELECT "+modelColumns+
			" FROM models WHERE workspace_id = ? AND id = ?"+s.forUpdate(), workspaceID, id))
		if err != nil {
			return rowErr(err, "model")
		}
		if err := fn(&m); err != nil {
			return err
		}
		_, err = s.exec(ctx, `UPDATE models SET name = ?, project_id = ?, task_id = ?,
			parent_id = ?, uri = ?, framework = ?, comment = ?, tags = ?, system_tags = ?,
			ready = ?, doc = ?, last_update = ? WHERE workspace_id = ? AND id = ?`,
			m.Name, m.ProjectID, m.TaskID, m.ParentID, m.URI, m.Framework, m.Comment,
			encodeTags(m.Tags), encodeTags(m.SystemTags), boolInt(m.Ready), docText(m.Doc),
			micro(m.LastUpdate), workspaceID, id)
		out = m
		return err
	})
	return out, err
}

// DeleteModel removes a model.
func (s *Store) DeleteModel(ctx context.Context, workspaceID, id string) error {
	res, err := s.exec(ctx, "DELETE FROM models WHERE workspace_id = ? AND id = ?",
		workspaceID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("model")
	}
	return nil
}
