-- Identity provider connections: settings as JSON, secrets sealed by the service.
CREATE TABLE sso_connections (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    provider      TEXT NOT NULL,
    protocol      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    display_key   TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 0,
    settings      TEXT NOT NULL,
    secrets       TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX sso_connections_name ON sso_connections(workspace_id, display_key);

-- A provider's subject linked to a user, per connection.
CREATE TABLE sso_links (
    workspace_id  TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (connection_id, subject)
);
CREATE INDEX sso_links_user ON sso_links(user_id);

-- Keys accepted once (SAML assertion ids, sign-in flows) until they expire.
CREATE TABLE sso_replay (
    workspace_id  TEXT NOT NULL,
    key           TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX sso_replay_expiry ON sso_replay(expires_at);
