//! The event audit log on MongoDB: collection `bincio_event_audit` (one
//! document per entry, `_id` the entry's time-ordered id), which
//! CCIP-Server does not know, so its database still hands back. Nonces are
//! claimed per attendee in `bincio_event_nonce` (`_id` =
//! `<attendee id>:<nonce>`): two concurrent scans with one nonce cannot
//! both insert, the loser's transaction is retried and then answers from
//! the winner's entry. Written inside the attendee and puzzle stores'
//! transactions, so an entry commits exactly with its change.

use bincio_core::event::audit::{AuditEntry, AuditFilter, AuditKind};
use bincio_core::store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::ClientSession;

use crate::error::backend;
use crate::txn::TxError;
use crate::MongoStore;

/// The log.
pub(crate) const AUDIT: &str = "bincio_event_audit";
/// Nonce claims.
pub(crate) const NONCE: &str = "bincio_event_nonce";

fn opt(v: &Option<String>) -> Bson {
    v.as_ref().map_or(Bson::Null, |s| Bson::String(s.clone()))
}

pub(crate) fn to_doc(e: &AuditEntry) -> Document {
    doc! {
        "_id": &e.id, "at": e.at, "kind": e.kind.as_str(), "actor": &e.actor,
        "attendee_id": opt(&e.attendee_id), "role": opt(&e.role), "scenario": opt(&e.scenario),
        "ok": e.ok, "result": &e.result, "reason": opt(&e.reason), "nonce": opt(&e.nonce),
        "undone_by": opt(&e.undone_by), "detail": e.detail.to_string(),
    }
}

pub(crate) fn from_doc(d: &Document) -> StoreResult<AuditEntry> {
    let s = |k: &str| d.get_str(k).ok().map(str::to_owned);
    let corrupt = || StoreError::Corrupt(format!("audit entry {:?}", d.get("_id")));
    Ok(AuditEntry {
        id: s("_id").ok_or_else(corrupt)?,
        at: crate::bsonx::i64_field(d, AUDIT, "at")?,
        kind: s("kind")
            .as_deref()
            .and_then(AuditKind::parse)
            .ok_or_else(corrupt)?,
        actor: s("actor").unwrap_or_default(),
        attendee_id: s("attendee_id"),
        role: s("role"),
        scenario: s("scenario"),
        ok: d.get_bool("ok").unwrap_or(false),
        result: s("result").unwrap_or_default(),
        reason: s("reason"),
        nonce: s("nonce"),
        undone_by: s("undone_by"),
        detail: s("detail")
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    })
}

impl MongoStore {
    /// Append `e` (and claim its nonce) in the transaction of `s`.
    pub(crate) async fn audit_insert(
        &self,
        s: &mut ClientSession,
        e: &AuditEntry,
    ) -> Result<(), TxError> {
        if let (Some(n), Some(a)) = (&e.nonce, &e.attendee_id) {
            self.coll(NONCE)
                .insert_one(doc! { "_id": format!("{a}:{n}"), "entry": &e.id })
                .session(&mut *s)
                .await?;
        }
        self.coll(AUDIT)
            .insert_one(to_doc(e))
            .session(&mut *s)
            .await?;
        Ok(())
    }

    /// The entry that claimed `nonce` for the attendee `attendee_id`.
    pub(crate) async fn audit_by_nonce(
        &self,
        s: &mut ClientSession,
        attendee_id: &str,
        nonce: &str,
    ) -> Result<Option<AuditEntry>, TxError> {
        let Some(claim) = self
            .coll(NONCE)
            .find_one(doc! { "_id": format!("{attendee_id}:{nonce}") })
            .session(&mut *s)
            .await?
        else {
            return Ok(None);
        };
        let id = claim.get_str("entry").unwrap_or_default().to_owned();
        let d = self
            .coll(AUDIT)
            .find_one(doc! { "_id": id })
            .session(&mut *s)
            .await?;
        Ok(d.as_ref().map(from_doc).transpose()?)
    }

    /// The newest successful use of `scenario` by `attendee_id` not undone.
    pub(crate) async fn audit_last_use(
        &self,
        s: &mut ClientSession,
        attendee_id: &str,
        scenario: &str,
    ) -> Result<Option<AuditEntry>, TxError> {
        let d = self
            .coll(AUDIT)
            .find_one(doc! { "attendee_id": attendee_id, "scenario": scenario,
            "kind": "use", "ok": true, "undone_by": Bson::Null })
            .sort(doc! { "_id": -1 })
            .session(&mut *s)
            .await?;
        Ok(d.as_ref().map(from_doc).transpose()?)
    }

    /// Mark use `id` as undone by `undo_id` (a compare-and-set: a
    /// concurrent undo of the same use makes this transaction re-run).
    pub(crate) async fn audit_mark_undone(
        &self,
        s: &mut ClientSession,
        id: &str,
        undo_id: &str,
    ) -> Result<(), TxError> {
        let r = self
            .coll(AUDIT)
            .update_one(
                doc! { "_id": id, "undone_by": Bson::Null },
                doc! { "$set": { "undone_by": undo_id } },
            )
            .session(&mut *s)
            .await?;
        if r.modified_count == 1 {
            Ok(())
        } else {
            Err(TxError::Retry)
        }
    }

    /// Entries matching `f`, newest first.
    pub(crate) async fn audit_list(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let mut q = Document::new();
        if let Some(v) = &f.attendee_id {
            q.insert("attendee_id", v);
        }
        if let Some(v) = &f.actor {
            q.insert("actor", v);
        }
        if let Some(k) = f.kind {
            q.insert("kind", k.as_str());
        }
        let mut at = Document::new();
        if let Some(t) = f.since {
            // `$gt since - 1`: SecantusDB's `$gte` on integers is unreliable.
            at.insert("$gt", t - 1);
        }
        if let Some(t) = f.until {
            at.insert("$lt", t);
        }
        if !at.is_empty() {
            q.insert("at", at);
        }
        if let Some(b) = &f.before {
            q.insert("_id", doc! { "$lt": b });
        }
        let docs: Vec<Document> = self
            .coll(AUDIT)
            .find(q)
            .sort(doc! { "_id": -1 })
            .limit(f.limit.clamp(1, 1000) as i64)
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(from_doc).collect()
    }
}
