-- Per-user athlete configuration (one row per key; JSON values).
CREATE TABLE IF NOT EXISTS athlete_config (
    handle  TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (handle, key));
