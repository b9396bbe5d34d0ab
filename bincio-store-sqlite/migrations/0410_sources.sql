-- Activity sources (drop folder, …): per-member settings, the file
-- versions drop-folder scans claimed, and a bounded history of sync runs.
CREATE TABLE IF NOT EXISTS drop_folders (
    handle        TEXT PRIMARY KEY REFERENCES users(handle) ON DELETE CASCADE,
    folder        TEXT,
    last_scan_at  INTEGER);
CREATE TABLE IF NOT EXISTS drop_files (
    handle      TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ms    INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    claimed_at  INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (handle, path));
CREATE TABLE IF NOT EXISTS sync_runs (
    id           TEXT PRIMARY KEY,
    handle       TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    imported     INTEGER NOT NULL,
    duplicates   INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    items        TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sync_runs_by_handle ON sync_runs (handle, started_at DESC, id DESC);
