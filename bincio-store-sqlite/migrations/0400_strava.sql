-- Members' connections to outside sources (Strava): one row per
-- (handle, provider). Tokens and client credentials are AEAD-sealed blobs
-- (the key is a file outside the database); the OAuth state only as a hash.
CREATE TABLE IF NOT EXISTS connections (
    handle              TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
    provider            TEXT NOT NULL,
    athlete_id          INTEGER,
    athlete_name        TEXT,
    scopes              TEXT,
    tokens              BLOB,
    credentials         BLOB,
    cursor              INTEGER,
    last_sync           INTEGER,
    next_sync           INTEGER,
    paused_until        INTEGER,
    last_error          TEXT,
    oauth_state         TEXT,
    oauth_state_expires INTEGER,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (handle, provider));
