-- What several processes on one database share (issue 17): the running
-- jobs (with their owner process and expiry), the fixed windows of failed
-- attempts counted by the rate limiter, and named leases.
CREATE TABLE IF NOT EXISTS coord_jobs (
    id          TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    user        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL,
    current     TEXT NOT NULL,
    expires_at  INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS coord_jobs_by_expiry ON coord_jobs (expires_at);
CREATE TABLE IF NOT EXISTS coord_failures (
    key       TEXT PRIMARY KEY,
    started   INTEGER NOT NULL,
    failures  INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS coord_failures_by_start ON coord_failures (started);
CREATE TABLE IF NOT EXISTS coord_leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL);
