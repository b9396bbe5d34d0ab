-- Activities: the extracted BAS documents with the owner's edits as a
-- separate overlay, their tracks, and their blobs (originals and photos).
CREATE TABLE activities (
    handle            TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    started_at        INTEGER NOT NULL,
    source_hash       TEXT NOT NULL,
    privacy           TEXT NOT NULL,
    extracted_privacy TEXT NOT NULL,
    distance_m        REAL,
    source            TEXT,
    summary           TEXT NOT NULL,
    detail            TEXT NOT NULL,
    edits             TEXT NOT NULL DEFAULT '{}',
    duplicate_of      TEXT,
    created_at        INTEGER NOT NULL,
    doc_bytes         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (handle, id),
    UNIQUE (handle, source_hash));
CREATE INDEX activities_feed ON activities(started_at DESC, id DESC);
CREATE INDEX activities_user_feed ON activities(handle, started_at DESC, id DESC);
CREATE TABLE activity_tracks (
    handle      TEXT NOT NULL,
    id          TEXT NOT NULL,
    timeseries  TEXT,
    geojson     TEXT,
    PRIMARY KEY (handle, id),
    FOREIGN KEY (handle, id) REFERENCES activities(handle, id) ON DELETE CASCADE);
CREATE TABLE activity_blobs (
    handle       TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('original', 'image')),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    PRIMARY KEY (handle, id, kind, name),
    FOREIGN KEY (handle, id) REFERENCES activities(handle, id) ON DELETE CASCADE);
