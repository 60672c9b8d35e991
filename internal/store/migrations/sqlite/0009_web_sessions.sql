-- Web sessions, so that people can see where they are signed in and end one session. The
-- token stays the credential; a row only describes it. Ended sessions are revoked through
-- revoked_sessions like any other token.
CREATE TABLE web_sessions (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method        TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER
);
CREATE INDEX web_sessions_user ON web_sessions(workspace_id, user_id, expires_at);
