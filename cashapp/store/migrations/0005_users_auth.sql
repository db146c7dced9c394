-- Users of the queue and the web workbench (issue 13): a password hash for the web (argon2id;
-- a CLI-only user has none), who disabled a user and when. A user is never deleted: the
-- audit log names them.
ALTER TABLE users ADD COLUMN password_hash VARCHAR;
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN disabled_by VARCHAR;
