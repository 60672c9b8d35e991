-- Foundation: workspaces, users, credentials, revoked sessions, server settings, preferences,
-- web app cloud access rows and the append-only audit log. Times are Unix microseconds (UTC).

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id),
    email               TEXT,
    name                TEXT NOT NULL,
    given_name          TEXT NOT NULL DEFAULT '',
    family_name         TEXT NOT NULL DEFAULT '',
    avatar              TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL,
    status              TEXT NOT NULL,
    password_hash       TEXT NOT NULL DEFAULT '',
    created_in_version  TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL;
CREATE INDEX users_workspace ON users(workspace_id, name);

CREATE TABLE preferences (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    data          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE credentials (
    access_key      TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_hash     TEXT NOT NULL,
    label           TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    last_used_at    INTEGER,
    last_used_from  TEXT NOT NULL DEFAULT '',
    successor_of    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credentials_user ON credentials(workspace_id, user_id);

CREATE TABLE revoked_sessions (
    session_id    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER NOT NULL
);
CREATE INDEX revoked_sessions_expiry ON revoked_sessions(expires_at);

CREATE TABLE server_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE cloud_access (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    bucket        TEXT NOT NULL,
    access_key    TEXT NOT NULL DEFAULT '',
    secret        TEXT NOT NULL DEFAULT '',
    token         TEXT NOT NULL DEFAULT '',
    region        TEXT NOT NULL DEFAULT '',
    endpoint      TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);
CREATE INDEX cloud_access_user ON cloud_access(workspace_id, user_id, position);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL,
    at            INTEGER NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL DEFAULT '',
    target_id     TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    details       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log(workspace_id, at);

-- The audit log is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
