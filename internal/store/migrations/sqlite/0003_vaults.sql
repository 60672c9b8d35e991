-- Configuration vaults and every saved version of each. Data is sealed (encrypted) text.

CREATE TABLE vaults (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    scope         TEXT NOT NULL,
    type          TEXT NOT NULL,
    format        TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL,
    enabled       INTEGER NOT NULL,
    group_id      TEXT REFERENCES groups(id),
    user_id       TEXT REFERENCES users(id),
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX vaults_workspace ON vaults(workspace_id, scope);
CREATE INDEX vaults_group ON vaults(group_id);
CREATE INDEX vaults_user ON vaults(user_id);

CREATE TABLE vault_versions (
    vault_id      TEXT NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    workspace_id  TEXT NOT NULL,
    format        TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL,
    enabled       INTEGER NOT NULL,
    action        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (vault_id, version)
);
