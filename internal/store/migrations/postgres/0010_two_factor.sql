-- Two-factor sign-in with TOTP (RFC 6238). users.two_factor_at (Unix microseconds) is when
-- the user turned it on; NULL means off. The secret is sealed by the identity service; a
-- row without two_factor_at on the user is an enrolment not yet confirmed. last_step is the
-- last accepted time step, so a code is accepted once.
ALTER TABLE users ADD COLUMN two_factor_at BIGINT;

CREATE TABLE two_factor (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    secret        TEXT NOT NULL,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

-- Recovery codes, stored only as keyed hashes; each works once.
CREATE TABLE recovery_codes (
    workspace_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL,
    used_at       BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
