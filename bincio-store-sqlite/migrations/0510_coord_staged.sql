-- Files one request checked and a later one confirms, which any process
-- serving this database may receive (the event import page's dry run):
-- kept until expires_at, taken (read and deleted) once.
CREATE TABLE IF NOT EXISTS coord_staged (
    id          TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    expires_at  INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS coord_staged_by_expiry ON coord_staged (expires_at);
