-- Access rules: read or read_write on one object or every object of a type, granted to
-- users, service accounts and groups (JSON arrays of ids).

CREATE TABLE access_rules (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    permission    TEXT NOT NULL,
    users         TEXT NOT NULL DEFAULT '[]',
    groups        TEXT NOT NULL DEFAULT '[]',
    autocreated   INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX access_rules_workspace ON access_rules(workspace_id, entity_type);

-- Whether a workspace has had its default rules created once; deleting them afterwards
-- leaves the workspace deny-by-default instead of recreating them at the next start.
CREATE TABLE access_defaults (
    workspace_id  TEXT PRIMARY KEY REFERENCES workspaces(id),
    created_at    BIGINT NOT NULL
);
