//! `AttendeeStore` on SQLite.
//!
//! One row per attendee; its scenarios are one JSON column (the MongoDB
//! document's `scenario` map, kept in stored order), so `/status` is one
//! primary-key read and `/use` one `BEGIN IMMEDIATE` read-modify-write
//! that also delivers the use's puzzle pieces (same transaction), as does
//! the first `/status` for the bucket.

use bincio_core::event::audit::{
    self, ActionDraft, AuditEntry, AuditFilter, UndoRefusal, UndoRequest,
};
use bincio_core::event::desk::search_text;
use bincio_core::event::model::{Announcement, Attendee, Pairs, Scenario};
use bincio_core::event::rules::{self, ImportAttendee, UseRefusal, UseRequest};
use bincio_core::store::{AttendeeStore, ImportCounts, ImportRows, StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};

use crate::pool::backend;
use crate::SqliteStore;

pub(crate) const COLS: &str = "oid, token, event_id, user_id, role, attr, first_use, scenarios";

pub(crate) type RawRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

pub(crate) fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// `oid, datetime, msg_zh, msg_en, uri, role`.
type AnnouncementRow = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

pub(crate) fn decode(r: RawRow) -> StoreResult<Attendee> {
    let (id, token, event_id, user_id, role, attr, first_use, scenarios) = r;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("attendee {id}: {e}"));
    let attr: Pairs = serde_json::from_str(&attr).map_err(corrupt)?;
    let scenarios: Vec<Scenario> = serde_json::from_str(&scenarios).map_err(corrupt)?;
    Ok(Attendee {
        id,
        event_id,
        token,
        user_id,
        attr,
        first_use,
        role,
        scenarios,
    })
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

/// [`json`] into a reused buffer.
fn json_into<T: serde::Serialize>(buf: &mut String, v: &T) -> StoreResult<()> {
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    serde_json::to_writer(&mut bytes, v).map_err(|e| StoreError::Backend(e.to_string()))?;
    *buf = String::from_utf8(bytes).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(())
}

fn get_by(conn: &Connection, col: &str, key: &str) -> StoreResult<Option<Attendee>> {
    let sql = format!("SELECT {COLS} FROM event_attendee WHERE {col} = ?1");
    let row = conn
        .prepare_cached(&sql)
        .map_err(backend)?
        .query_row(params![key], raw)
        .optional()
        .map_err(backend)?;
    row.map(decode).transpose()
}

fn write_state(conn: &Connection, a: &Attendee) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE event_attendee SET first_use = ?2, scenarios = ?3 WHERE token = ?1",
    )
    .map_err(backend)?
    .execute(params![a.token, a.first_use, json(&a.scenarios)?])
    .map_err(backend)?;
    Ok(())
}

/// Rows per batch handed from the reading task to the writer thread.
const IMPORT_BATCH: usize = 512;

/// What the reading task sends the import's writer.
enum Feed {
    Rows(Vec<ImportAttendee>),
    /// Every row sent: commit.
    End,
}

/// The page cache of an import starts at this (KiB; SQLite's default is
/// ~2 MiB)…
const IMPORT_CACHE_MIN_KIB: i64 = 16 * 1024;
/// …grows by this many bytes per row written…
const IMPORT_CACHE_PER_ROW: i64 = 128;
/// …up to this (KiB), and is given back when the import ends.
const IMPORT_CACHE_MAX_KIB: i64 = 64 * 1024;

/// The upserts of one import, in the import's transaction, with their
/// statements prepared once.
///
/// **Page cache.** Every row lands in three indexes at random places
/// (token, public token, search text), and the transaction's dirty pages
/// must stay in the cache or be spilled to the WAL and read back: with
/// SQLite's default ~2 MiB cache half of an import's time went to those
/// writes and reads (a profile of 100 000 rows: 48 % in the kernel). So
/// the cache is raised for the import — 16 MiB, then 128 bytes per row
/// written, at most 64 MiB: memory stays bounded and within a few hundred
/// bytes a row — and restored to what it was when the writer is dropped,
/// committed or not.
struct ImportWriter<'t> {
    tx: &'t rusqlite::Transaction<'t>,
    find: rusqlite::CachedStatement<'t>,
    insert: rusqlite::CachedStatement<'t>,
    update: rusqlite::CachedStatement<'t>,
    counts: ImportCounts,
    /// The connection's `cache_size` before the import.
    cache_before: i64,
    cache_kib: i64,
    /// Rows written since the cache was last looked at.
    since_grow: u32,
    /// Reused JSON buffers (no allocation per row).
    attr: String,
    scenarios: String,
}

impl Drop for ImportWriter<'_> {
    fn drop(&mut self) {
        // Best effort: a failure leaves a larger cache, never wrong data.
        let _ = self.tx.pragma_update(None, "cache_size", self.cache_before);
    }
}

impl<'t> ImportWriter<'t> {
    fn new(tx: &'t rusqlite::Transaction<'t>) -> StoreResult<Self> {
        let cache_before: i64 = tx
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .map_err(backend)?;
        tx.pragma_update(None, "cache_size", -IMPORT_CACHE_MIN_KIB)
            .map_err(backend)?;
        Ok(Self {
            tx,
            find: tx
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM event_attendee WHERE token = ?1"
                ))
                .map_err(backend)?,
            insert: tx
                .prepare_cached(
                    "INSERT INTO event_attendee
                         (oid, token, public_token, event_id, user_id, role, attr, first_use,
                          scenarios, search_text)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(backend)?,
            update: tx
                .prepare_cached(
                    "UPDATE event_attendee SET event_id = ?2, user_id = ?3, role = ?4,
                         attr = ?5, first_use = ?6, scenarios = ?7, search_text = ?8
                     WHERE token = ?1",
                )
                .map_err(backend)?,
            counts: ImportCounts::default(),
            cache_before,
            cache_kib: IMPORT_CACHE_MIN_KIB,
            since_grow: 0,
            attr: String::new(),
            scenarios: String::new(),
        })
    }

    /// Grow the page cache with the rows written (see the type's docs).
    fn grow_cache(&mut self) -> StoreResult<()> {
        let rows = (self.counts.inserted + self.counts.updated) as i64;
        let want =
            (rows * IMPORT_CACHE_PER_ROW / 1024).clamp(IMPORT_CACHE_MIN_KIB, IMPORT_CACHE_MAX_KIB);
        if want >= self.cache_kib + IMPORT_CACHE_MIN_KIB / 4 {
            self.tx
                .pragma_update(None, "cache_size", -want)
                .map_err(backend)?;
            self.cache_kib = want;
        }
        Ok(())
    }

    /// Upsert one row: [`rules::merge_import_owned`] over what is stored.
    fn upsert(&mut self, row: ImportAttendee) -> StoreResult<()> {
        let existing = self
            .find
            .query_row(params![row.token], raw)
            .optional()
            .map_err(backend)?
            .map(decode)
            .transpose()?;
        let a = rules::merge_import_owned(existing.as_ref(), row);
        json_into(&mut self.attr, &a.attr)?;
        json_into(&mut self.scenarios, &a.scenarios)?;
        let (attr, scenarios) = (self.attr.as_str(), self.scenarios.as_str());
        if existing.is_some() {
            self.update
                .execute(params![
                    a.token,
                    a.event_id,
                    a.user_id,
                    a.role,
                    attr,
                    a.first_use,
                    scenarios,
                    search_text(&a)
                ])
                .map_err(backend)?;
            self.counts.updated += 1;
        } else {
            self.insert
                .execute(params![
                    a.id,
                    a.token,
                    a.public_token(),
                    a.event_id,
                    a.user_id,
                    a.role,
                    attr,
                    a.first_use,
                    scenarios,
                    search_text(&a)
                ])
                .map_err(backend)?;
            self.counts.inserted += 1;
        }
        self.since_grow += 1;
        if self.since_grow == 4096 {
            self.since_grow = 0;
            self.grow_cache()?;
        }
        Ok(())
    }

    /// The import's audit entry, when logged, and the counts.
    fn finish(self, audit: Option<&ActionDraft>) -> StoreResult<ImportCounts> {
        if let Some(d) = audit {
            crate::audit::insert(self.tx, &audit::import_entry(d, self.counts))?;
        }
        Ok(self.counts)
    }
}

#[async_trait::async_trait]
impl AttendeeStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn import_attendees_logged(
        &self,
        batch: Vec<ImportAttendee>,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        self.write(move |tx| {
            let mut w = ImportWriter::new(tx)?;
            for row in batch {
                w.upsert(row)?;
            }
            w.finish(audit.as_ref())
        })
        .await
    }

    /// One `BEGIN IMMEDIATE` transaction, fed while it runs: this task
    /// binds the rows, [`IMPORT_BATCH`] at a time, and hands each batch
    /// over a channel (two in flight) to the writer thread, which upserts
    /// it — binding and writing overlap, and memory holds a few batches,
    /// never the import. The writer commits only on the feed's explicit
    /// end: a row's error, or this future dropped (a client gone), closes
    /// the channel without it, and the transaction rolls back.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn import_rows_logged(
        &self,
        rows: &dyn ImportRows,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        let (feed, mut batches) = tokio::sync::mpsc::channel::<Feed>(2);
        let writer = self.write(move |tx| {
            let mut w = ImportWriter::new(tx)?;
            loop {
                match batches.blocking_recv() {
                    Some(Feed::Rows(batch)) => {
                        for row in batch {
                            w.upsert(row)?;
                        }
                    }
                    Some(Feed::End) => break,
                    None => {
                        return Err(StoreError::Backend(
                            "import stopped before its last row; nothing written".into(),
                        ))
                    }
                }
            }
            w.finish(audit.as_ref())
        });
        let reader = async move {
            let mut it = rows.rows();
            loop {
                let mut batch = Vec::with_capacity(IMPORT_BATCH);
                for row in it.by_ref().take(IMPORT_BATCH) {
                    batch.push(row?);
                }
                let last = batch.is_empty();
                let msg = if last { Feed::End } else { Feed::Rows(batch) };
                // A closed channel: the writer stopped, its error says why.
                if feed.send(msg).await.is_err() || last {
                    return Ok::<(), StoreError>(());
                }
            }
        };
        let (written, read) = tokio::join!(writer, reader);
        read?;
        written
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_attendee(&self, token: &str) -> StoreResult<Option<Attendee>> {
        let token = token.to_owned();
        self.read_point(move |c| get_by(c, "token", &token)).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_attendee_by_id(&self, id: &str) -> StoreResult<Option<Attendee>> {
        let id = id.to_owned();
        self.read(move |c| get_by(c, "oid", &id)).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn mark_first_use(&self, token: &str, now: i64) -> StoreResult<Option<(Attendee, bool)>> {
        let token = token.to_owned();
        self.write(move |tx| {
            let Some(mut a) = get_by(tx, "token", &token)? else {
                return Ok(None);
            };
            if a.has_first_use() {
                return Ok(Some((a, false)));
            }
            a.first_use = Some(now);
            write_state(tx, &a)?;
            crate::puzzle::insert_bucket(tx, &a.id, &a.public_token(), now)?;
            Ok(Some((a, true)))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn use_scenario(&self, req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>> {
        self.write(move |tx| {
            let found = get_by(tx, "token", &req.token)?;
            let Some(d) = &req.audit else {
                // Unlogged (the store's own callers and tests): the use alone.
                let Some(mut a) = found else {
                    return Ok(Err(UseRefusal::UnknownToken));
                };
                if let Err(r) = rules::apply_use(&mut a, &req) {
                    return Ok(Err(r));
                }
                write_state(tx, &a)?;
                if let Some(pieces) = req.pieces_for(&a.role) {
                    crate::puzzle::deliver_in(tx, &a.id, &a.public_token(), pieces, req.now)?;
                }
                return Ok(Ok(a));
            };
            let Some(mut a) = found else {
                let refusal = UseRefusal::UnknownToken.message();
                let e = audit::use_entry(d, req.now, None, &req.scenario_id, Err(refusal));
                crate::audit::insert(tx, &e)?;
                return Ok(Err(UseRefusal::UnknownToken));
            };
            let mut refs = crate::audit::refs(tx, &req.token)?;
            // This attendee's nonce already logged: that first outcome.
            if let Some(nonce) = &d.nonce {
                if let Some(id) = refs.nonces.get(nonce) {
                    if let Some(first) = crate::audit::get(tx, id)? {
                        return Ok(audit::replay(&first, Some(a), &req));
                    }
                }
            }
            let before = a.clone();
            let outcome = rules::apply_use(&mut a, &req);
            let entry = match &outcome {
                Err(r) => audit::use_entry(
                    d,
                    req.now,
                    Some(&before),
                    &req.scenario_id,
                    Err(r.message()),
                ),
                Ok(()) => {
                    write_state(tx, &a)?;
                    // Delivering (even an empty list) creates the bucket.
                    let pieces = req.pieces_for(&a.role);
                    if let Some(p) = pieces {
                        crate::puzzle::deliver_in(tx, &a.id, &a.public_token(), p, req.now)?;
                    }
                    let n = pieces.map_or(0, <[String]>::len);
                    let detail = audit::use_detail(&before, &a, n);
                    refs.uses.insert(req.scenario_id.clone(), d.id.clone());
                    audit::use_entry(d, req.now, Some(&a), &req.scenario_id, Ok(detail))
                }
            };
            crate::audit::insert(tx, &entry)?;
            if let Some(nonce) = &d.nonce {
                refs.nonces.insert(nonce.clone(), d.id.clone());
            }
            if d.nonce.is_some() || outcome.is_ok() {
                crate::audit::set_refs(tx, &req.token, &refs)?;
            }
            Ok(outcome.map(|()| a))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn undo_use(&self, req: UndoRequest) -> StoreResult<Result<Attendee, UndoRefusal>> {
        self.write(move |tx| {
            let found = get_by(tx, "token", &req.token)?;
            let mut refs = crate::audit::refs(tx, &req.token)?;
            let last = match refs.uses.get(&req.scenario_id) {
                Some(id) => crate::audit::get(tx, id)?.filter(|e| e.undone_by.is_none()),
                None => None,
            };
            let mut after = found.clone();
            let outcome = audit::decide_undo(after.as_mut(), &req.scenario_id, last.as_ref());
            let use_id = last.as_ref().map(|u| u.id.as_str());
            let e = audit::undo_entry(&req, found.as_ref(), use_id, outcome.as_ref().err());
            crate::audit::insert(tx, &e)?;
            match (outcome, after) {
                (Ok(()), Some(a)) => {
                    write_state(tx, &a)?;
                    if let Some(u) = use_id {
                        crate::audit::mark_undone(tx, u, &req.audit.id)?;
                    }
                    refs.uses.remove(&req.scenario_id);
                    crate::audit::set_refs(tx, &req.token, &refs)?;
                    Ok(Ok(a))
                }
                (Err(r), _) => Ok(Err(r)),
                (Ok(()), None) => Ok(Err(UndoRefusal::UnknownToken)),
            }
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_audit(&self, filter: AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        self.read(move |c| crate::audit::list(c, &filter)).await
    }

    /// In the database: `search_text` (written at import) holds what a
    /// query is looked for in, so only the page's attendees are decoded.
    /// SQLite's `lower` folds ASCII only, as the rule does.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn search_attendees(
        &self,
        roles: &[String],
        q: &str,
        skip: usize,
        limit: usize,
    ) -> StoreResult<(Vec<Attendee>, usize)> {
        let (roles, q) = (roles.to_vec(), q.to_owned());
        self.read(move |c| {
            const MATCH: &str = "role = ?1 AND (?2 = '' OR instr(search_text, ?2) > 0
                OR (length(CAST(?2 AS BLOB)) >= 4 AND substr(lower(token), 1, length(?2)) = ?2))";
            let mut total = 0usize;
            let mut out = Vec::new();
            for r in &roles {
                // One pass over the narrow index: every match's row id, in
                // import order; then only the page's rows read whole.
                let seqs: Vec<i64> = c
                    .prepare_cached(&format!(
                        "SELECT seq FROM event_attendee INDEXED BY event_attendee_search
                         WHERE {MATCH} ORDER BY seq"
                    ))
                    .and_then(|mut s| {
                        s.query_map(params![r, q], |row| row.get(0))?
                            .collect::<Result<_, _>>()
                    })
                    .map_err(backend)?;
                let from = skip.saturating_sub(total);
                let want = limit - out.len();
                let mut one = c
                    .prepare_cached(&format!("SELECT {COLS} FROM event_attendee WHERE seq = ?1"))
                    .map_err(backend)?;
                for seq in seqs.iter().skip(from).take(want) {
                    let row = one.query_row(params![seq], raw).map_err(backend)?;
                    out.push(decode(row)?);
                }
                total += seqs.len();
            }
            Ok((out, total))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_attendees(&self, role: &str) -> StoreResult<Vec<Attendee>> {
        let role = role.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {COLS} FROM event_attendee WHERE role = ?1 ORDER BY seq");
            let rows: Vec<RawRow> = c
                .prepare_cached(&sql)
                .map_err(backend)?
                .query_map(params![role], raw)
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn add_announcement_logged(
        &self,
        a: Announcement,
        audit: Option<ActionDraft>,
    ) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO event_announcement (oid, datetime, msg_zh, msg_en, uri, role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.id, a.datetime, a.msg_zh, a.msg_en, a.uri, json(&a.role)?],
            )
            .map_err(backend)?;
            if let Some(d) = &audit {
                crate::audit::insert(tx, &audit::announcement_entry(d, &a))?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn announcements(&self, role: &str) -> StoreResult<Vec<Announcement>> {
        let role = role.to_owned();
        self.read(move |c| {
            let rows: Vec<AnnouncementRow> = c
                .prepare_cached(
                    "SELECT oid, datetime, msg_zh, msg_en, uri, role FROM event_announcement
                     WHERE EXISTS (SELECT 1 FROM json_each(event_announcement.role) WHERE value = ?1)
                     ORDER BY seq DESC",
                )
                .map_err(backend)?
                .query_map(params![role], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            rows.into_iter()
                .map(|(id, datetime, msg_zh, msg_en, uri, role)| {
                    let role: Vec<String> = serde_json::from_str(&role)
                        .map_err(|e| StoreError::Corrupt(format!("announcement {id}: {e}")))?;
                    Ok(Announcement {
                        id,
                        datetime,
                        msg_zh,
                        msg_en,
                        uri,
                        role,
                    })
                })
                .collect()
        })
        .await
    }
}

/// Migration 0102's data step: `search_text` of the attendees imported
/// before it.
pub(crate) fn fill_search_text(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let rows: Vec<RawRow> = tx
        .prepare(&format!("SELECT {COLS} FROM event_attendee"))?
        .query_map([], raw)?
        .collect::<Result<_, _>>()?;
    let mut up = tx.prepare("UPDATE event_attendee SET search_text = ?2 WHERE token = ?1")?;
    for row in rows {
        // A row that does not decode keeps an empty text (found by token).
        if let Ok(a) = decode(row) {
            up.execute(params![a.token, search_text(&a)])?;
        }
    }
    Ok(())
}
