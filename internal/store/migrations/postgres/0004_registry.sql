-- Workload registry: projects, tasks, models, queues and their entries, workers and task
-- events. Times are Unix microseconds (UTC); tags are JSON arrays of strings; free-form
-- client sections are JSON objects kept as sent.

CREATE TABLE registry_counters (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    value         BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE projects (
    id                          TEXT PRIMARY KEY,
    workspace_id                TEXT NOT NULL REFERENCES workspaces(id),
    name                        TEXT NOT NULL,
    basename                    TEXT NOT NULL,
    parent_id                   TEXT NOT NULL DEFAULT '',
    description                 TEXT NOT NULL DEFAULT '',
    user_id                     TEXT NOT NULL DEFAULT '',
    tags                        TEXT NOT NULL DEFAULT '[]',
    system_tags                 TEXT NOT NULL DEFAULT '[]',
    hidden                      INTEGER NOT NULL DEFAULT 0,
    default_output_destination  TEXT NOT NULL DEFAULT '',
    created_at                  BIGINT NOT NULL,
    last_update                 BIGINT NOT NULL
);
CREATE UNIQUE INDEX projects_name ON projects(workspace_id, name);
CREATE INDEX projects_parent ON projects(workspace_id, parent_id);

CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
    seq                BIGINT NOT NULL,
    project_id         TEXT NOT NULL DEFAULT '',
    user_id            TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL,
    type               TEXT NOT NULL,
    status             TEXT NOT NULL,
    status_reason      TEXT NOT NULL DEFAULT '',
    status_message     TEXT NOT NULL DEFAULT '',
    enqueue_status     TEXT NOT NULL DEFAULT '',
    comment            TEXT NOT NULL DEFAULT '',
    parent_id          TEXT NOT NULL DEFAULT '',
    queue_id           TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '[]',
    system_tags        TEXT NOT NULL DEFAULT '[]',
    hidden             INTEGER NOT NULL DEFAULT 0,
    last_worker        TEXT NOT NULL DEFAULT '',
    last_iteration     BIGINT NOT NULL DEFAULT 0,
    event_count        BIGINT NOT NULL DEFAULT 0,
    doc                TEXT NOT NULL DEFAULT '{}',
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    completed_at       BIGINT,
    published_at       BIGINT,
    status_changed_at  BIGINT,
    last_update        BIGINT NOT NULL
);
CREATE UNIQUE INDEX tasks_seq ON tasks(workspace_id, seq);
CREATE INDEX tasks_project_status ON tasks(workspace_id, project_id, status, seq);
CREATE INDEX tasks_status ON tasks(workspace_id, status, seq);
CREATE INDEX tasks_last_update ON tasks(workspace_id, last_update);
CREATE INDEX tasks_parent ON tasks(workspace_id, parent_id);

CREATE TABLE models (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    project_id    TEXT NOT NULL DEFAULT '',
    task_id       TEXT NOT NULL DEFAULT '',
    parent_id     TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    uri           TEXT NOT NULL DEFAULT '',
    framework     TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    system_tags   TEXT NOT NULL DEFAULT '[]',
    ready         INTEGER NOT NULL DEFAULT 0,
    doc           TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL,
    last_update   BIGINT NOT NULL
);
CREATE INDEX models_project ON models(workspace_id, project_id, created_at);
CREATE INDEX models_task ON models(workspace_id, task_id);

CREATE TABLE queues (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    user_id       TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '[]',
    system_tags   TEXT NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    last_update   BIGINT NOT NULL
);
CREATE UNIQUE INDEX queues_name ON queues(workspace_id, name);

CREATE TABLE queue_entries (
    queue_id      TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    position      BIGINT NOT NULL,
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (queue_id, task_id)
);
CREATE INDEX queue_entries_order ON queue_entries(queue_id, position, added_at, task_id);
CREATE INDEX queue_entries_task ON queue_entries(workspace_id, task_id);

CREATE TABLE workers (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    id             TEXT NOT NULL,
    user_id        TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    queues         TEXT NOT NULL DEFAULT '[]',
    tags           TEXT NOT NULL DEFAULT '[]',
    system_tags    TEXT NOT NULL DEFAULT '[]',
    task_id        TEXT NOT NULL DEFAULT '',
    timeout_sec    BIGINT NOT NULL,
    registered_at  BIGINT NOT NULL,
    last_activity  BIGINT NOT NULL,
    last_report    BIGINT,
    expires_at     BIGINT NOT NULL,
    machine_stats  TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX workers_expiry ON workers(workspace_id, expires_at);

CREATE TABLE task_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    type          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    iter          INTEGER NOT NULL DEFAULT 0,
    metric        TEXT NOT NULL DEFAULT '',
    variant       TEXT NOT NULL DEFAULT '',
    value         DOUBLE PRECISION,
    url           TEXT NOT NULL DEFAULT '',
    doc           TEXT NOT NULL
);
CREATE INDEX task_events_task ON task_events(workspace_id, task_id, type, at, id);
