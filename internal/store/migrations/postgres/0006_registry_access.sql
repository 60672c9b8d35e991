-- Access rules treat datasets as their own type: a project is a dataset project when it
-- carries the "dataset" system tag or sits at or below a ".datasets" folder; a task is a
-- dataset when it carries the tag or is in a dataset project. The flag is a column so
-- listings can apply the task and dataset read scopes in the query itself.

ALTER TABLE projects ADD COLUMN dataset INTEGER NOT NULL DEFAULT 0;
UPDATE projects SET dataset = 1
 WHERE system_tags LIKE '%"dataset"%' OR name = '.datasets' OR name LIKE '.datasets/%'
    OR name LIKE '%/.datasets' OR name LIKE '%/.datasets/%';

ALTER TABLE tasks ADD COLUMN dataset INTEGER NOT NULL DEFAULT 0;
UPDATE tasks SET dataset = 1
 WHERE system_tags LIKE '%"dataset"%'
    OR project_id IN (SELECT id FROM projects WHERE dataset = 1);

CREATE INDEX projects_owner ON projects(workspace_id, user_id);
CREATE INDEX tasks_owner ON tasks(workspace_id, user_id, seq);
CREATE INDEX models_owner ON models(workspace_id, user_id);
