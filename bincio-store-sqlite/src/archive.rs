//! `ArchiveStore` on SQLite: whole-table reads and verbatim inserts for
//! the instance archive, each write one `BEGIN IMMEDIATE` transaction.

use bincio_core::event::audit::{AuditEntry, AuditKind};
use bincio_core::event::desk::search_text;
use bincio_core::event::model::{Announcement, Attendee, PuzzleBucket, PuzzleCounter};
use bincio_core::store::{ArchiveStore, StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};

use crate::attendee::{decode, json, raw, COLS};
use crate::pool::{backend, is_unique_violation};
use crate::SqliteStore;

/// A unique violation is the caller's `Conflict` (the record exists).
fn conflict(what: String) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("{what} exists"))
        } else {
            backend(e)
        }
    }
}

/// The token of the attendee with id `oid`.
fn token_of(c: &Connection, oid: &str) -> StoreResult<Option<String>> {
    c.prepare_cached("SELECT token FROM event_attendee WHERE oid = ?1")
        .and_then(|mut s| s.query_row(params![oid], |r| r.get(0)).optional())
        .map_err(backend)
}

/// Rebuild the attendee's `audit_refs` look-ups from one restored entry,
/// as `use_scenario` / `undo_use` keep them: the first entry of a nonce
/// answers it; a successful use is the scenario's newest use, an undo
/// that succeeded forgets it.
fn note_refs(c: &Connection, e: &AuditEntry) -> StoreResult<()> {
    let Some(attendee) = &e.attendee_id else {
        return Ok(());
    };
    let uses = matches!(e.kind, AuditKind::Use | AuditKind::Undo) && e.ok;
    if e.nonce.is_none() && !uses {
        return Ok(());
    }
    let Some(token) = token_of(c, attendee)? else {
        return Ok(());
    };
    let mut refs = crate::audit::refs(c, &token)?;
    if let (AuditKind::Use, Some(n)) = (e.kind, &e.nonce) {
        refs.nonces.entry(n.clone()).or_insert_with(|| e.id.clone());
    }
    if let (true, Some(s)) = (uses, &e.scenario) {
        match e.kind {
            AuditKind::Use => {
                refs.uses.insert(s.clone(), e.id.clone());
            }
            _ => {
                refs.uses.remove(s);
            }
        }
    }
    crate::audit::set_refs(c, &token, &refs)
}

#[async_trait::async_trait]
impl ArchiveStore for SqliteStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_attendees(&self) -> StoreResult<Vec<Attendee>> {
        self.read(|c| {
            let rows: Vec<_> = c
                .prepare(&format!("SELECT {COLS} FROM event_attendee ORDER BY seq"))
                .map_err(backend)?
                .query_map([], raw)
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_announcements(&self) -> StoreResult<Vec<Announcement>> {
        self.read(|c| {
            let mut s = c
                .prepare(
                    "SELECT oid, datetime, msg_zh, msg_en, uri, role FROM event_announcement
                     ORDER BY seq",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, datetime, msg_zh, msg_en, uri, role) = row.map_err(backend)?;
                let role: Vec<String> = serde_json::from_str(&role)
                    .map_err(|e| StoreError::Corrupt(format!("announcement {id}: {e}")))?;
                out.push(Announcement {
                    id,
                    datetime,
                    msg_zh,
                    msg_en,
                    uri,
                    role,
                });
            }
            Ok(out)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_buckets(&self) -> StoreResult<Vec<PuzzleBucket>> {
        self.read(|c| {
            let tokens: Vec<String> = c
                .prepare("SELECT public_token FROM event_puzzle_bucket ORDER BY public_token")
                .map_err(backend)?
                .query_map([], |r| r.get(0))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            let mut out = Vec::with_capacity(tokens.len());
            for t in tokens {
                out.extend(crate::puzzle::get_bucket(c, &t)?);
            }
            Ok(out)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_attendees(&self, batch: Vec<Attendee>) -> StoreResult<()> {
        self.write(move |tx| {
            let mut s = tx
                .prepare(
                    "INSERT INTO event_attendee
                         (oid, token, public_token, event_id, user_id, role, attr, first_use,
                          scenarios, search_text)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(backend)?;
            for a in &batch {
                s.execute(params![
                    a.id,
                    a.token,
                    a.public_token(),
                    a.event_id,
                    a.user_id,
                    a.role,
                    json(&a.attr)?,
                    a.first_use,
                    json(&a.scenarios)?,
                    search_text(a)
                ])
                .map_err(conflict(format!("attendee {}", a.id)))?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_buckets(&self, batch: Vec<PuzzleBucket>) -> StoreResult<()> {
        self.write(move |tx| {
            let mut s = tx
                .prepare(
                    "INSERT INTO event_puzzle_bucket
                         (public_token, oid, attendee, puzzle, deliverer, valid, coupon)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(backend)?;
            for b in &batch {
                s.execute(params![
                    b.public_token,
                    b.id,
                    b.attendee,
                    json(&b.puzzle)?,
                    json(&b.deliverer)?,
                    b.valid,
                    b.coupon
                ])
                .map_err(conflict(format!("puzzle bucket {}", b.public_token)))?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_counters(&self, batch: Vec<PuzzleCounter>) -> StoreResult<()> {
        self.write(move |tx| {
            let mut s = tx
                .prepare(
                    "INSERT INTO event_puzzle_status (oid, puzzle, quantity, currency)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(backend)?;
            for c in &batch {
                s.execute(params![c.id, c.puzzle, c.quantity, c.currency])
                    .map_err(conflict(format!("puzzle counter {}", c.puzzle)))?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_audit(&self, batch: Vec<AuditEntry>) -> StoreResult<()> {
        self.write(move |tx| {
            for e in &batch {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS(SELECT 1 FROM event_audit WHERE id = ?1)",
                        params![e.id],
                        |r| r.get(0),
                    )
                    .map_err(backend)?;
                if exists {
                    return Err(StoreError::Conflict(format!("audit entry {} exists", e.id)));
                }
                crate::audit::insert(tx, e)?;
                note_refs(tx, e)?;
            }
            Ok(())
        })
        .await
    }
}
