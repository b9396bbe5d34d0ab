-- The puzzle game (CCIP-Server's `puzzle_status` counters and
-- `puzzle_bucket` per attendee).
CREATE TABLE event_puzzle_status (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    oid      TEXT NOT NULL UNIQUE,
    puzzle   TEXT NOT NULL UNIQUE,
    quantity INTEGER NOT NULL DEFAULT 0,
    currency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE event_puzzle_bucket (
    public_token TEXT PRIMARY KEY,
    oid          TEXT NOT NULL UNIQUE,
    attendee     TEXT NOT NULL,
    puzzle       TEXT NOT NULL,       -- JSON [piece, …]
    deliverer    TEXT NOT NULL,       -- JSON [{deliverer, timestamp}, …]
    valid        INTEGER,
    coupon       INTEGER);
