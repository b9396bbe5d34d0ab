//! `ArchiveStore` on MongoDB: whole-collection reads and verbatim inserts
//! for the instance archive. Each restore is one multi-document
//! transaction (all or nothing, as the event data's other writes; see
//! `txn.rs`) that first looks for any key of the batch and refuses the
//! whole batch with `Conflict` when one exists: a duplicate-key error
//! would be retried by the transaction loop, a restore must not wait.

use bincio_core::event::audit::AuditEntry;
use bincio_core::event::model::{Announcement, Attendee, PuzzleBucket, PuzzleCounter};
use bincio_core::store::{ArchiveStore, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};

use crate::attendee::{announcement_from, attendee_doc, attendee_from, int, oid};
use crate::audit::{from_doc, to_doc, AUDIT, NONCE};
use crate::connect::coll;
use crate::error::backend;
use crate::puzzle::{bucket_from, stamp_doc};
use crate::txn::in_transaction;

use crate::MongoStore;

/// The bucket document as the puzzle store writes it (CS's field order).
fn bucket_doc(b: &PuzzleBucket) -> StoreResult<Document> {
    let mut d = doc! {
        "_id": oid(&b.id, "bucket id")?,
        "attendee": oid(&b.attendee, "bucket attendee")?,
        "public_token": &b.public_token,
        "puzzle": b.puzzle.clone(),
        "deliverer": b.deliverer.iter().map(stamp_doc).collect::<Vec<_>>(),
    };
    if let Some(v) = b.valid {
        d.insert("valid", int(v));
    }
    if let Some(c) = b.coupon {
        d.insert("coupon", int(c));
    }
    Ok(d)
}

impl MongoStore {
    async fn all_docs(&self, name: &str, sort: Option<Document>) -> StoreResult<Vec<Document>> {
        let c = self.coll(name);
        let find = c.find(doc! {});
        let find = match sort {
            Some(s) => find.sort(s),
            None => find,
        };
        find.await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)
    }

    /// Insert `docs` into `name` in one transaction, refusing the batch
    /// when a document matching `exists` is already there.
    async fn restore_into(
        &self,
        name: &str,
        exists: Document,
        what: &str,
        docs: Vec<Document>,
    ) -> StoreResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        in_transaction!(self, |s| {
            if let Some(d) = self
                .coll(name)
                .find_one(exists.clone())
                .session(&mut *s)
                .await?
            {
                return Err(TxError::Store(StoreError::Conflict(format!(
                    "{what} {} exists",
                    d.get("_id").map(Bson::to_string).unwrap_or_default()
                ))));
            }
            self.coll(name)
                .insert_many(docs.clone())
                .session(&mut *s)
                .await?;
            Ok(())
        })
    }
}

fn strings(v: impl Iterator<Item = String>) -> Bson {
    Bson::Array(v.map(Bson::String).collect())
}

#[async_trait::async_trait]
impl ArchiveStore for MongoStore {
    /// Natural (insertion) order, as `list_attendees`.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_attendees(&self) -> StoreResult<Vec<Attendee>> {
        let docs = self.all_docs(coll::ATTENDEE, None).await?;
        docs.iter().map(attendee_from).collect()
    }

    /// By `_id`, which is time-ordered: oldest first.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_announcements(&self) -> StoreResult<Vec<Announcement>> {
        let docs = self
            .all_docs(coll::ANNOUNCEMENT, Some(doc! { "_id": 1 }))
            .await?;
        docs.iter().map(announcement_from).collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn archive_buckets(&self) -> StoreResult<Vec<PuzzleBucket>> {
        let docs = self
            .all_docs(coll::PUZZLE_BUCKET, Some(doc! { "public_token": 1 }))
            .await?;
        docs.iter().map(bucket_from).collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_attendees(&self, batch: Vec<Attendee>) -> StoreResult<()> {
        let ids = batch
            .iter()
            .map(|a| oid(&a.id, "attendee id").map(Bson::ObjectId))
            .collect::<StoreResult<Vec<_>>>()?;
        let exists = doc! { "$or": [
            { "_id": { "$in": ids } },
            { "token": { "$in": strings(batch.iter().map(|a| a.token.clone())) } },
        ] };
        let docs = batch.iter().map(attendee_doc).collect::<StoreResult<_>>()?;
        self.restore_into(coll::ATTENDEE, exists, "attendee", docs)
            .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_buckets(&self, batch: Vec<PuzzleBucket>) -> StoreResult<()> {
        let exists = doc! { "public_token": {
        "$in": strings(batch.iter().map(|b| b.public_token.clone())) } };
        let docs = batch.iter().map(bucket_doc).collect::<StoreResult<_>>()?;
        self.restore_into(coll::PUZZLE_BUCKET, exists, "puzzle bucket", docs)
            .await
    }

    /// CS's counter document `{_id, puzzle, quantity, currency}`.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_counters(&self, batch: Vec<PuzzleCounter>) -> StoreResult<()> {
        let exists = doc! { "puzzle": {
        "$in": strings(batch.iter().map(|c| c.puzzle.clone())) } };
        let docs = batch
            .iter()
            .map(|c| {
                Ok(doc! {
                    "_id": oid(&c.id, "counter id")?,
                    "puzzle": &c.puzzle,
                    "quantity": int(c.quantity),
                    "currency": int(c.currency),
                })
            })
            .collect::<StoreResult<_>>()?;
        self.restore_into(coll::PUZZLE_STATUS, exists, "puzzle counter", docs)
            .await
    }

    /// The entries and their nonce claims (the first entry of a nonce per
    /// attendee, as `audit_insert` claims it); the newest use of a
    /// scenario is a query on the log here, nothing to rebuild.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn restore_audit(&self, batch: Vec<AuditEntry>) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let exists = doc! { "_id": { "$in": strings(batch.iter().map(|e| e.id.clone())) } };
        let mut claims: Vec<Document> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in &batch {
            if let (Some(n), Some(a)) = (&e.nonce, &e.attendee_id) {
                let key = format!("{a}:{n}");
                if seen.insert(key.clone()) {
                    claims.push(doc! { "_id": key, "entry": &e.id });
                }
            }
        }
        let docs: Vec<Document> = batch.iter().map(to_doc).collect();
        in_transaction!(self, |s| {
            if let Some(d) = self
                .coll(AUDIT)
                .find_one(exists.clone())
                .session(&mut *s)
                .await?
            {
                let e = from_doc(&d)?;
                return Err(TxError::Store(StoreError::Conflict(format!(
                    "audit entry {} exists",
                    e.id
                ))));
            }
            let keys: Vec<Bson> = claims
                .iter()
                .filter_map(|c| c.get("_id").cloned())
                .collect();
            let mut fresh = Vec::new();
            let taken: Vec<Document> = self
                .coll(NONCE)
                .find(doc! { "_id": { "$in": keys } })
                .session(&mut *s)
                .await?
                .stream(&mut *s)
                .try_collect()
                .await?;
            for c in &claims {
                if !taken.iter().any(|t| t.get("_id") == c.get("_id")) {
                    fresh.push(c.clone());
                }
            }
            self.coll(AUDIT)
                .insert_many(docs.clone())
                .session(&mut *s)
                .await?;
            if !fresh.is_empty() {
                self.coll(NONCE).insert_many(fresh).session(&mut *s).await?;
            }
            Ok(())
        })
    }
}
