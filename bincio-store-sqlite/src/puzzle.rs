//! `PuzzleStore` on SQLite: buckets (pieces and deliverers as JSON arrays)
//! and counters; every mutation is one `BEGIN IMMEDIATE` transaction, with
//! its audit entry when logged.

use bincio_core::event::audit::{self, ActionDraft};
use bincio_core::event::model::{DelivererStamp, PuzzleBucket, PuzzleCounter, TOTAL};
use bincio_core::event::oid::new_oid;
use bincio_core::store::{
    DeliverOutcome, Delivery, PuzzleStore, RevokeOutcome, StoreError, StoreResult,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::pool::backend;
use crate::SqliteStore;

/// `oid, attendee, puzzle, deliverer, valid, coupon`.
type BucketRow = (String, String, String, String, Option<i64>, Option<i64>);

pub(crate) fn get_bucket(c: &Connection, public_token: &str) -> StoreResult<Option<PuzzleBucket>> {
    let row: Option<BucketRow> = c
        .prepare_cached(
            "SELECT oid, attendee, puzzle, deliverer, valid, coupon
             FROM event_puzzle_bucket WHERE public_token = ?1",
        )
        .map_err(backend)?
        .query_row(params![public_token], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()
        .map_err(backend)?;
    let Some((id, attendee, puzzle, deliverer, valid, coupon)) = row else {
        return Ok(None);
    };
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("bucket {id}: {e}"));
    let puzzle: Vec<String> = serde_json::from_str(&puzzle).map_err(corrupt)?;
    let deliverer: Vec<DelivererStamp> = serde_json::from_str(&deliverer).map_err(corrupt)?;
    Ok(Some(PuzzleBucket {
        id,
        attendee,
        public_token: public_token.to_owned(),
        puzzle,
        deliverer,
        valid,
        coupon,
    }))
}

pub(crate) fn insert_bucket(
    c: &Connection,
    attendee: &str,
    public_token: &str,
    now: i64,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO event_puzzle_bucket (public_token, oid, attendee, puzzle, deliverer)
         VALUES (?1, ?2, ?3, '[]', '[]') ON CONFLICT(public_token) DO NOTHING",
    )
    .map_err(backend)?
    .execute(params![public_token, new_oid(now), attendee])
    .map_err(backend)?;
    Ok(())
}

/// Add `dq` to `quantity` and `dc` to `currency` of `puzzle`, creating the
/// counter when missing (the upsert that keeps counters unique).
fn bump(c: &Connection, puzzle: &str, dq: i64, dc: i64, now: i64) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO event_puzzle_status (oid, puzzle, quantity, currency) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(puzzle) DO UPDATE SET quantity = quantity + ?3, currency = currency + ?4",
    )
    .map_err(backend)?
    .execute(params![new_oid(now), puzzle, dq, dc])
    .map_err(backend)?;
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Inside the caller's transaction: create the bucket of `public_token`
/// when missing, append `pieces` and count them (the piece's and `total`'s
/// `quantity` and `currency`). Used by `/use` so the check-in and its
/// pieces commit together.
pub(crate) fn deliver_in(
    tx: &Connection,
    attendee_id: &str,
    public_token: &str,
    pieces: &[String],
    now: i64,
) -> StoreResult<()> {
    insert_bucket(tx, attendee_id, public_token, now)?;
    if pieces.is_empty() {
        return Ok(());
    }
    let mut b = get_bucket(tx, public_token)?
        .ok_or_else(|| StoreError::Backend("bucket vanished".into()))?;
    for p in pieces {
        b.puzzle.push(p.clone());
        bump(tx, p, 1, 1, now)?;
        bump(tx, TOTAL, 1, 1, now)?;
    }
    tx.prepare_cached("UPDATE event_puzzle_bucket SET puzzle = ?2 WHERE public_token = ?1")
        .map_err(backend)?
        .execute(params![public_token, json(&b.puzzle)?])
        .map_err(backend)?;
    Ok(())
}

#[async_trait::async_trait]
impl PuzzleStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ensure_counters(&self, pieces: &[String], now: i64) -> StoreResult<()> {
        let pieces = pieces.to_vec();
        self.write(move |tx| {
            for p in pieces.iter().map(String::as_str).chain([TOTAL]) {
                bump(tx, p, 0, 0, now)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn counters(&self) -> StoreResult<Vec<PuzzleCounter>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT oid, puzzle, quantity, currency FROM event_puzzle_status
                 ORDER BY puzzle = 'total', seq",
            )
            .map_err(backend)?
            .query_map([], |r| {
                Ok(PuzzleCounter {
                    id: r.get(0)?,
                    puzzle: r.get(1)?,
                    quantity: r.get(2)?,
                    currency: r.get(3)?,
                })
            })
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ensure_bucket(
        &self,
        attendee_id: &str,
        public_token: &str,
        now: i64,
    ) -> StoreResult<()> {
        let (a, p) = (attendee_id.to_owned(), public_token.to_owned());
        self.write(move |tx| insert_bucket(tx, &a, &p, now)).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn bucket(&self, public_token: &str) -> StoreResult<Option<PuzzleBucket>> {
        let p = public_token.to_owned();
        self.read(move |c| get_bucket(c, &p)).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn deliver_logged(
        &self,
        d: Delivery,
        audit: Option<ActionDraft>,
    ) -> StoreResult<DeliverOutcome> {
        self.write(move |tx| {
            let log = |outcome| match &audit {
                Some(a) => {
                    crate::audit::insert(tx, &audit::deliver_entry(a, d.piece.as_deref(), outcome))
                }
                None => Ok(()),
            };
            insert_bucket(tx, &d.attendee_id, &d.public_token, d.now)?;
            let mut b = get_bucket(tx, &d.public_token)?
                .ok_or_else(|| StoreError::Backend("bucket vanished".into()))?;
            if let Some(s) = &d.deliverer {
                if b.deliverer.iter().any(|x| x.deliverer == s.deliverer) {
                    log(DeliverOutcome::AlreadyFromDeliverer)?;
                    return Ok(DeliverOutcome::AlreadyFromDeliverer);
                }
                b.deliverer.push(s.clone());
            }
            if let Some(p) = &d.piece {
                b.puzzle.push(p.clone());
                bump(tx, p, 1, 1, d.now)?;
                bump(tx, TOTAL, 1, 1, d.now)?;
            }
            tx.prepare_cached(
                "UPDATE event_puzzle_bucket SET puzzle = ?2, deliverer = ?3 WHERE public_token = ?1",
            )
            .map_err(backend)?
            .execute(params![d.public_token, json(&b.puzzle)?, json(&b.deliverer)?])
            .map_err(backend)?;
            log(DeliverOutcome::Delivered)?;
            Ok(DeliverOutcome::Delivered)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn revoke_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<RevokeOutcome> {
        let p = public_token.to_owned();
        self.write(move |tx| {
            let log = |outcome, pieces| match &audit {
                Some(a) => crate::audit::insert(tx, &audit::revoke_entry(a, outcome, pieces)),
                None => Ok(()),
            };
            let Some(b) = get_bucket(tx, &p)? else {
                log(RevokeOutcome::NoBucket, 0)?;
                return Ok(RevokeOutcome::NoBucket);
            };
            if b.valid.is_some() {
                log(RevokeOutcome::AlreadyRevoked, 0)?;
                return Ok(RevokeOutcome::AlreadyRevoked);
            }
            tx.execute(
                "UPDATE event_puzzle_bucket SET valid = ?2, coupon = 0 WHERE public_token = ?1",
                params![p, now],
            )
            .map_err(backend)?;
            for piece in &b.puzzle {
                bump(tx, piece, 0, -1, now)?;
            }
            if !b.puzzle.is_empty() {
                bump(tx, TOTAL, 0, -(b.puzzle.len() as i64), now)?;
            }
            log(RevokeOutcome::Revoked, b.puzzle.len())?;
            Ok(RevokeOutcome::Revoked)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn use_coupon_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<bool> {
        let p = public_token.to_owned();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE event_puzzle_bucket SET coupon = ?2 WHERE public_token = ?1",
                    params![p, now],
                )
                .map_err(backend)?;
            if let Some(a) = &audit {
                crate::audit::insert(tx, &audit::coupon_entry(a, n > 0))?;
            }
            Ok(n > 0)
        })
        .await
    }
}
