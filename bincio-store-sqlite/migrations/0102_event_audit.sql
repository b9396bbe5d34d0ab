-- The event audit log (bincio_core::event::audit): every scenario use and
-- undo, puzzle delivery, revoke and coupon, import and announcement, with
-- who, when and the result, written in the same transaction as the change.
-- Ordered by `id` (time-ordered 24-hex).
--
-- Only the primary key is indexed: a check-in then writes one page of the
-- log beside its attendee's, not three (each index is a page per commit
-- in the WAL, which halved check-in throughput). The two look-ups a
-- check-in or an undo needs live in the attendee's row instead, in
-- `audit_refs` (JSON): `n` maps the nonces of that attendee's scans to
-- their entries, `u` each scenario to its newest successful use not undone.
CREATE TABLE event_audit (
    id          TEXT PRIMARY KEY,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('use', 'undo', 'deliver', 'revoke',
                                       'coupon', 'import', 'announcement')),
    actor       TEXT NOT NULL,
    attendee_id TEXT,
    role        TEXT,
    scenario    TEXT,
    ok          INTEGER NOT NULL,
    result      TEXT NOT NULL,
    reason      TEXT,
    nonce       TEXT,
    undone_by   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
ALTER TABLE event_attendee ADD COLUMN audit_refs TEXT NOT NULL DEFAULT '{}';

-- The desk's search looks in this (bincio_core::event::desk::search_text:
-- the display name and every attribute value, lowercased, one per line),
-- written by the import, so a search scans short text instead of decoding
-- every attendee. Filled for attendees imported before this migration.
ALTER TABLE event_attendee ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
-- Covering: a search reads this narrow index, not the wide rows (their
-- scenario JSON); a check-in changes none of its columns, so it costs
-- check-ins nothing.
CREATE INDEX event_attendee_search ON event_attendee(role, search_text, token);
