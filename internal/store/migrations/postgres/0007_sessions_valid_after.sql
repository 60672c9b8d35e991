-- Tokens issued before this time (Unix microseconds) are refused: set by a password change
-- and by "sign out everywhere".
ALTER TABLE users ADD COLUMN sessions_valid_after BIGINT;
