//! `PuzzleStore` on MongoDB, in CCIP-Server's layout (`ccip.md` §2):
//!
//! * `puzzle_bucket`: `{_id: ObjectId, attendee: ObjectId (the attendee's
//!   `_id`), public_token (unique index), puzzle: [piece, …], deliverer:
//!   [{deliverer, timestamp: double}, …], valid?, coupon?}`;
//! * `puzzle_status`: `{_id: ObjectId, puzzle: piece | "total", quantity,
//!   currency}`.
//!
//! Every step that writes a bucket and counters is one multi-document
//! transaction (`txn.rs`), so the counters equal the buckets' contents
//! after any crash; a logged step inserts its audit entry
//! (`bincio_event_audit`) in that same transaction.
//!
//! **Counter documents.** CS's `puzzle_1` index is not unique (and bincio
//! keeps CS's indexes so the database can go back), so two processes
//! upserting a missing counter at the same instant may both insert one.
//! Every `$inc` lands on exactly one of them, so [`PuzzleStore::counters`]
//! sums the documents of a name: the figures stay exact whatever the
//! number of duplicates.

use std::collections::BTreeMap;

use bincio_core::event::audit::{self, ActionDraft};
use bincio_core::event::model::{DelivererStamp, PuzzleBucket, PuzzleCounter, TOTAL};
use bincio_core::store::{
    DeliverOutcome, Delivery, PuzzleStore, RevokeOutcome, StoreError, StoreResult,
};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;
use mongodb::ClientSession;

use crate::attendee::{id_hex, int, oid};
use crate::bsonx::{opt_i64_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::txn::{in_transaction, TxError};
use crate::MongoStore;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("puzzle_bucket.{what}"))
}

pub(crate) fn stamp_doc(s: &DelivererStamp) -> Document {
    doc! { "deliverer": &s.deliverer, "timestamp": s.timestamp }
}

pub(crate) fn bucket_from(d: &Document) -> StoreResult<PuzzleBucket> {
    const C: &str = coll::PUZZLE_BUCKET;
    let attendee = match d.get("attendee") {
        Some(Bson::ObjectId(o)) => o.to_hex(),
        Some(Bson::String(s)) => s.clone(),
        // A DBRef (`dbref=True` writers): `{$ref, $id}`.
        Some(Bson::Document(r)) => match r.get("$id") {
            Some(Bson::ObjectId(o)) => o.to_hex(),
            _ => return Err(corrupt("attendee: not an ObjectId")),
        },
        _ => return Err(corrupt("attendee: not an ObjectId")),
    };
    let puzzle = match d.get("puzzle") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Array(a)) => a
            .iter()
            .map(|p| match p {
                Bson::String(s) => Ok(s.clone()),
                _ => Err(corrupt("puzzle: not a string")),
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => return Err(corrupt("puzzle: not an array")),
    };
    let deliverer = match d.get("deliverer") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Array(a)) => a
            .iter()
            .map(|s| {
                let Bson::Document(s) = s else {
                    return Err(corrupt("deliverer: not an object"));
                };
                let timestamp = match s.get("timestamp") {
                    Some(Bson::Double(f)) => *f,
                    Some(Bson::Int32(n)) => f64::from(*n),
                    Some(Bson::Int64(n)) => *n as f64,
                    _ => return Err(corrupt("deliverer.timestamp: not a number")),
                };
                Ok(DelivererStamp {
                    deliverer: str_field(s, "puzzle_bucket.deliverer", "deliverer")?,
                    timestamp,
                })
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => return Err(corrupt("deliverer: not an array")),
    };
    Ok(PuzzleBucket {
        id: id_hex(d, C)?,
        attendee,
        public_token: str_field(d, C, "public_token")?,
        puzzle,
        deliverer,
        valid: opt_i64_field(d, C, "valid")?,
        coupon: opt_i64_field(d, C, "coupon")?,
    })
}

/// CS's fresh bucket (`PuzzleBucket.init`), in MongoEngine's field order,
/// holding `pieces` already when a delivery creates it.
fn fresh_bucket(attendee_id: &str, public_token: &str, pieces: &[String]) -> StoreResult<Document> {
    Ok(doc! {
        "_id": mongodb::bson::oid::ObjectId::new(),
        "attendee": oid(attendee_id, "attendee id")?,
        "public_token": public_token,
        "puzzle": pieces,
        "deliverer": [],
    })
}

/// The per-piece counts of `pieces`, in first-seen order.
fn tally(pieces: &[String]) -> Vec<(&str, i64)> {
    let mut per: Vec<(&str, i64)> = Vec::new();
    for p in pieces {
        match per.iter_mut().find(|(n, _)| *n == p) {
            Some((_, k)) => *k += 1,
            None => per.push((p.as_str(), 1)),
        }
    }
    per
}

impl MongoStore {
    /// Inside a transaction: `$inc` a counter, creating it when missing
    /// (upsert, for a piece whose counter [`PuzzleStore::ensure_counters`]
    /// did not create; see the module docs on duplicates).
    async fn bump_in(
        &self,
        s: &mut ClientSession,
        puzzle: &str,
        dq: i64,
        dc: i64,
    ) -> Result<(), TxError> {
        self.coll(coll::PUZZLE_STATUS)
            .update_one(
                doc! { "puzzle": puzzle },
                doc! { "$inc": { "quantity": int(dq), "currency": int(dc) } },
            )
            .upsert(true)
            .session(&mut *s)
            .await?;
        Ok(())
    }

    /// Inside a transaction: count `pieces` as delivered (`dq` = `dc` = 1
    /// each) or, with `revoke`, take them out of circulation (`dc` = -1
    /// each), piece by piece and in `total`.
    async fn count_in(
        &self,
        s: &mut ClientSession,
        pieces: &[String],
        revoke: bool,
    ) -> Result<(), TxError> {
        if pieces.is_empty() {
            return Ok(());
        }
        let (q, c) = if revoke { (0, -1) } else { (1, 1) };
        for (p, k) in tally(pieces) {
            self.bump_in(s, p, q * k, c * k).await?;
        }
        let n = pieces.len() as i64;
        self.bump_in(s, TOTAL, q * n, c * n).await
    }

    /// Inside a transaction: create the bucket of `public_token` when
    /// missing (holding `pieces`), or append `pieces` to it; then count
    /// them. The `/use` half of a check-in (see `attendee.rs`).
    pub(crate) async fn deliver_pieces_in(
        &self,
        s: &mut ClientSession,
        attendee_id: &str,
        public_token: &str,
        pieces: &[String],
    ) -> Result<(), TxError> {
        let c = self.coll(coll::PUZZLE_BUCKET);
        let found = c
            .find_one(doc! { "public_token": public_token })
            .projection(doc! { "_id": 1 })
            .session(&mut *s)
            .await?;
        if found.is_none() {
            c.insert_one(fresh_bucket(attendee_id, public_token, pieces)?)
                .session(&mut *s)
                .await?;
        } else if !pieces.is_empty() {
            c.update_one(
                doc! { "public_token": public_token },
                doc! { "$push": { "puzzle": { "$each": pieces } } },
            )
            .session(&mut *s)
            .await?;
        }
        self.count_in(s, pieces, false).await
    }
}

#[async_trait::async_trait]
impl PuzzleStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// Inserts `{_id, puzzle, quantity: 0, currency: 0}` (CS's document,
    /// in its field order) for each missing counter; existing counters are
    /// untouched. Two processes starting at once may both insert one; see
    /// the module docs for why that keeps the figures exact.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ensure_counters(&self, pieces: &[String], _now: i64) -> StoreResult<()> {
        let c = self.coll(coll::PUZZLE_STATUS);
        for p in pieces.iter().map(String::as_str).chain([TOTAL]) {
            let found = c.find_one(doc! { "puzzle": p }).await.map_err(backend)?;
            if found.is_none() {
                c.insert_one(doc! {
                    "_id": mongodb::bson::oid::ObjectId::new(),
                    "puzzle": p,
                    "quantity": 0_i32,
                    "currency": 0_i32,
                })
                .await
                .map_err(backend)?;
            }
        }
        Ok(())
    }

    /// Natural (creation) order, `total` last; duplicates of a name summed
    /// into the first one.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn counters(&self) -> StoreResult<Vec<PuzzleCounter>> {
        const C: &str = coll::PUZZLE_STATUS;
        let docs: Vec<Document> = self
            .coll(C)
            .find(doc! {})
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        let mut out: Vec<PuzzleCounter> = Vec::new();
        let mut at: BTreeMap<String, usize> = BTreeMap::new();
        for d in &docs {
            let puzzle = str_field(d, C, "puzzle")?;
            let quantity = opt_i64_field(d, C, "quantity")?.unwrap_or(0);
            let currency = opt_i64_field(d, C, "currency")?.unwrap_or(0);
            match at.get(&puzzle) {
                Some(&i) => {
                    out[i].quantity += quantity;
                    out[i].currency += currency;
                }
                None => {
                    at.insert(puzzle.clone(), out.len());
                    out.push(PuzzleCounter {
                        id: id_hex(d, C)?,
                        puzzle,
                        quantity,
                        currency,
                    });
                }
            }
        }
        // Stable: pieces keep their order, `total` goes last.
        out.sort_by_key(|c| c.puzzle == TOTAL);
        Ok(out)
    }

    /// `PuzzleBucket.init` of CS: insert the fresh bucket `{_id, attendee,
    /// public_token, puzzle: [], deliverer: []}`; the unique index on
    /// `public_token` makes a concurrent second insert fail with a
    /// duplicate key, which means "already there" (idempotent). This is the
    /// upsert-on-`public_token` with the document in MongoEngine's field
    /// order.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ensure_bucket(
        &self,
        attendee_id: &str,
        public_token: &str,
        _now: i64,
    ) -> StoreResult<()> {
        let d = doc! {
            "_id": mongodb::bson::oid::ObjectId::new(),
            "attendee": oid(attendee_id, "attendee id")?,
            "public_token": public_token,
            "puzzle": [],
            "deliverer": [],
        };
        match self.coll(coll::PUZZLE_BUCKET).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn bucket(&self, public_token: &str) -> StoreResult<Option<PuzzleBucket>> {
        self.coll(coll::PUZZLE_BUCKET)
            .find_one(doc! { "public_token": public_token })
            .await
            .map_err(backend)?
            .as_ref()
            .map(bucket_from)
            .transpose()
    }

    /// One transaction (see `txn.rs`): create the bucket when missing,
    /// then the deliverer dedupe and the append in one `update_one`
    /// (filter `deliverer.deliverer: {$ne: name}`, `$push` of stamp and
    /// piece), then the piece's and `total`'s counters, and the audit
    /// entry (a refusal's alone). All of it commits or none: counters
    /// always equal the buckets' contents.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn deliver_logged(
        &self,
        d: Delivery,
        audit: Option<ActionDraft>,
    ) -> StoreResult<DeliverOutcome> {
        let pieces: Vec<String> = d.piece.iter().cloned().collect();
        let entry = |outcome| {
            audit
                .as_ref()
                .map(|a| audit::deliver_entry(a, d.piece.as_deref(), outcome))
        };
        let _queue = self.counters_lock.lock().await;
        in_transaction!(self, |s| {
            self.deliver_pieces_in(s, &d.attendee_id, &d.public_token, &[])
                .await?;
            let mut filter = doc! { "public_token": &d.public_token };
            let mut push = Document::new();
            if let Some(st) = &d.deliverer {
                filter.insert("deliverer.deliverer", doc! { "$ne": &st.deliverer });
                push.insert("deliverer", stamp_doc(st));
            }
            if let Some(p) = &d.piece {
                push.insert("puzzle", p.clone());
            }
            if !push.is_empty() {
                let r = self
                    .coll(coll::PUZZLE_BUCKET)
                    .update_one(filter, doc! { "$push": push })
                    .session(&mut *s)
                    .await?;
                if r.matched_count == 0 {
                    if let Some(e) = entry(DeliverOutcome::AlreadyFromDeliverer) {
                        self.audit_insert(s, &e).await?;
                    }
                    return Ok(DeliverOutcome::AlreadyFromDeliverer);
                }
            }
            self.count_in(s, &pieces, false).await?;
            if let Some(e) = entry(DeliverOutcome::Delivered) {
                self.audit_insert(s, &e).await?;
            }
            Ok(DeliverOutcome::Delivered)
        })
    }

    /// One transaction: `valid = now, coupon = 0` on a bucket whose `valid`
    /// is unset, and the pieces it held taken out of circulation
    /// (`currency` −1 per piece held, `total` by their number), and the
    /// audit entry. A second revoke matches nothing and changes nothing
    /// (but its entry).
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn revoke_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<RevokeOutcome> {
        let _queue = self.counters_lock.lock().await;
        in_transaction!(self, |s| {
            let c = self.coll(coll::PUZZLE_BUCKET);
            let before = c
                .find_one_and_update(
                    doc! { "public_token": public_token, "valid": Bson::Null },
                    doc! { "$set": { "valid": int(now), "coupon": 0_i32 } },
                )
                .return_document(ReturnDocument::Before)
                .session(&mut *s)
                .await?;
            let Some(before) = before else {
                let exists = c
                    .find_one(doc! { "public_token": public_token })
                    .session(&mut *s)
                    .await?
                    .is_some();
                let outcome = if exists {
                    RevokeOutcome::AlreadyRevoked
                } else {
                    RevokeOutcome::NoBucket
                };
                if let Some(a) = &audit {
                    self.audit_insert(s, &audit::revoke_entry(a, outcome, 0))
                        .await?;
                }
                return Ok(outcome);
            };
            let b = bucket_from(&before)?;
            self.count_in(s, &b.puzzle, true).await?;
            if let Some(a) = &audit {
                let e = audit::revoke_entry(a, RevokeOutcome::Revoked, b.puzzle.len());
                self.audit_insert(s, &e).await?;
            }
            Ok(RevokeOutcome::Revoked)
        })
    }

    /// `coupon = now`: one update, no precondition (as CS); logged, the
    /// update and the entry in one transaction.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn use_coupon_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<bool> {
        let filter = doc! { "public_token": public_token };
        let update = doc! { "$set": { "coupon": int(now) } };
        let Some(a) = audit else {
            let r = self
                .coll(coll::PUZZLE_BUCKET)
                .update_one(filter, update)
                .await
                .map_err(backend)?;
            return Ok(r.matched_count > 0);
        };
        in_transaction!(self, |s| {
            let r = self
                .coll(coll::PUZZLE_BUCKET)
                .update_one(filter.clone(), update.clone())
                .session(&mut *s)
                .await?;
            let found = r.matched_count > 0;
            self.audit_insert(s, &audit::coupon_entry(&a, found))
                .await?;
            Ok(found)
        })
    }
}
