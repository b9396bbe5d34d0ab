-- Event attendees and announcements (CCIP-Server's `attendee` and
-- `announcement` collections, one row each; `oid` is the ObjectId hex).
CREATE TABLE event_attendee (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    oid          TEXT NOT NULL UNIQUE,
    token        TEXT NOT NULL UNIQUE,
    public_token TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    role         TEXT NOT NULL,
    attr         TEXT NOT NULL,      -- JSON [[k, v], …]
    first_use    INTEGER,
    scenarios    TEXT NOT NULL);     -- JSON [Scenario, …] in stored order
CREATE INDEX event_attendee_role ON event_attendee(role, seq);
CREATE INDEX event_attendee_public_token ON event_attendee(public_token);
CREATE TABLE event_announcement (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    oid      TEXT NOT NULL UNIQUE,
    datetime INTEGER NOT NULL,
    msg_zh   TEXT,
    msg_en   TEXT,
    uri      TEXT,
    role     TEXT NOT NULL);         -- JSON [role, …]
