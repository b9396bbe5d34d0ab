-- The `role` column (`is_admin` is kept in sync for tools that still read
-- it). The same migration then replaces BincioActivity's clear-text session
-- tokens and reset codes by their SHA-256, a data step SQLite cannot express
-- (no SHA-256 function): `hash_legacy_secrets` in `src/migrations.rs`.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
UPDATE users SET role = 'admin' WHERE is_admin = 1;
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_at);
CREATE INDEX IF NOT EXISTS invites_used_by ON invites(used_by);
