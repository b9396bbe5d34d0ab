-- The event audit log (bincio_core::event::audit): every scenario use and
-- undo with who, when and the result, written in the same transaction as
-- the change. `nonce` (a client's scan id) is unique: a scan sent twice is
-- answered from its first entry. Ordered by `id` (time-ordered 24-hex).
CREATE TABLE event_audit (
    id          TEXT PRIMARY KEY,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('use', 'undo')),
    actor       TEXT NOT NULL,
    attendee_id TEXT,
    role        TEXT,
    scenario    TEXT,
    ok          INTEGER NOT NULL,
    result      TEXT NOT NULL,
    reason      TEXT,
    nonce       TEXT UNIQUE,
    undone_by   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX event_audit_attendee ON event_audit(attendee_id, scenario, id);
CREATE INDEX event_audit_actor ON event_audit(actor, id);
CREATE INDEX event_audit_at ON event_audit(at, id);
