//! `AttendeeStore` on MongoDB, in CCIP-Server's layout (`ccip.md` §2), so a
//! CCIP-Server database can be served by bincio and handed back:
//!
//! * `attendee`: `{_id: ObjectId, event_id, token, user_id, scenario: {<id>:
//!   {order, display_text, available_time, expire_time, used?, disabled?,
//!   countdown, attr, _cls: "Scenario"}}, attr, first_use?, role}`. Unset
//!   fields are absent (never null); integers are written as int32 while
//!   they fit (as MongoEngine's `IntField`) and read as int32, int64 or
//!   double.
//! * `announcement`: `{_id: ObjectId, datetime, msg_zh?, msg_en?, uri?,
//!   role: [..]}`.
//!
//! Every step that writes more than one document (a `/use` and its puzzle
//! pieces, the first `/status` and its bucket, an import) is one
//! multi-document transaction (see `txn.rs` for why, and what it needs of
//! the server).

use bincio_core::event::audit::{
    self, ActionDraft, AuditEntry, AuditFilter, UndoRefusal, UndoRequest,
};
use bincio_core::event::import::TokenKeys;
use bincio_core::event::model::{Announcement, Attendee, Pairs, Scenario};
use bincio_core::event::rules::{self, ImportAttendee, UseRefusal, UseRequest};
use bincio_core::store::{AttendeeStore, ImportCounts, ImportRows, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;
use mongodb::ClientSession;
use std::collections::HashMap;

use crate::bsonx::{i64_field, opt_i64_field, opt_str_field, str_field};
use crate::connect::coll;
use crate::error::backend;
use crate::txn::{in_transaction, TxError};
use crate::MongoStore;

/// An integer as MongoEngine's `IntField` stores it: int32 while it fits.
pub(crate) fn int(n: i64) -> Bson {
    match i32::try_from(n) {
        Ok(v) => Bson::Int32(v),
        Err(_) => Bson::Int64(n),
    }
}

pub(crate) fn oid(id: &str, what: &str) -> StoreResult<ObjectId> {
    ObjectId::parse_str(id)
        .map_err(|_| StoreError::Backend(format!("{what}: not an ObjectId: {id}")))
}

/// `_id` as 24 hex (an ObjectId, or a string another writer put there).
pub(crate) fn id_hex(d: &Document, c: &str) -> StoreResult<String> {
    match d.get("_id") {
        Some(Bson::ObjectId(o)) => Ok(o.to_hex()),
        Some(Bson::String(s)) => Ok(s.clone()),
        _ => Err(StoreError::Corrupt(format!("{c}._id: not an ObjectId"))),
    }
}

fn pairs_doc(p: &Pairs) -> Document {
    p.iter()
        .map(|(k, v)| (k.clone(), Bson::String(v.clone())))
        .collect()
}

fn pairs_from(d: &Document, field: &str, what: &str) -> StoreResult<Pairs> {
    match d.get(field) {
        None | Some(Bson::Null) => Ok(Vec::new()),
        Some(Bson::Document(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Bson::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(StoreError::Corrupt(format!(
                    "{what}.{field}.{k}: not a string"
                ))),
            })
            .collect(),
        Some(_) => Err(StoreError::Corrupt(format!(
            "{what}.{field}: not an object"
        ))),
    }
}

/// One stored scenario sub-document, `_cls` last (MongoEngine's order).
fn scenario_doc(s: &Scenario) -> Document {
    let mut d = doc! {
        "order": int(s.order),
        "display_text": pairs_doc(&s.display_text),
        "available_time": int(s.available_time),
        "expire_time": int(s.expire_time),
    };
    if let Some(u) = s.used {
        d.insert("used", int(u));
    }
    if let Some(m) = &s.disabled {
        d.insert("disabled", m.clone());
    }
    d.insert("countdown", int(s.countdown));
    d.insert("attr", pairs_doc(&s.attr));
    d.insert("_cls", "Scenario");
    d
}

fn scenario_from(id: &str, d: &Document) -> StoreResult<Scenario> {
    let what = format!("attendee.scenario.{id}");
    Ok(Scenario {
        id: id.to_owned(),
        order: i64_field(d, &what, "order")?,
        display_text: pairs_from(d, "display_text", &what)?,
        available_time: i64_field(d, &what, "available_time")?,
        expire_time: i64_field(d, &what, "expire_time")?,
        used: opt_i64_field(d, &what, "used")?,
        disabled: opt_str_field(d, &what, "disabled")?,
        countdown: opt_i64_field(d, &what, "countdown")?.unwrap_or(0),
        attr: pairs_from(d, "attr", &what)?,
    })
}

/// The whole `attendee` document, field order as MongoEngine writes it.
pub(crate) fn attendee_doc(a: &Attendee) -> StoreResult<Document> {
    let scenario: Document = a
        .scenarios
        .iter()
        .map(|s| (s.id.clone(), Bson::Document(scenario_doc(s))))
        .collect();
    let mut d = doc! {
        "_id": oid(&a.id, "attendee id")?,
        "event_id": &a.event_id,
        "token": &a.token,
        "user_id": &a.user_id,
        "scenario": scenario,
        "attr": pairs_doc(&a.attr),
    };
    if let Some(t) = a.first_use {
        d.insert("first_use", int(t));
    }
    d.insert("role", &a.role);
    Ok(d)
}

pub(crate) fn attendee_from(d: &Document) -> StoreResult<Attendee> {
    const C: &str = coll::ATTENDEE;
    let scenarios = match d.get("scenario") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Document(m)) => m
            .iter()
            .map(|(id, v)| match v {
                Bson::Document(sd) => scenario_from(id, sd),
                _ => Err(StoreError::Corrupt(format!(
                    "attendee.scenario.{id}: not an object"
                ))),
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => {
            return Err(StoreError::Corrupt(
                "attendee.scenario: not an object".into(),
            ))
        }
    };
    Ok(Attendee {
        id: id_hex(d, C)?,
        event_id: opt_str_field(d, C, "event_id")?.unwrap_or_default(),
        token: str_field(d, C, "token")?,
        user_id: opt_str_field(d, C, "user_id")?.unwrap_or_default(),
        attr: pairs_from(d, "attr", C)?,
        first_use: opt_i64_field(d, C, "first_use")?,
        role: str_field(d, C, "role")?,
        scenarios,
    })
}

pub(crate) fn announcement_doc(a: &Announcement) -> StoreResult<Document> {
    let mut d = doc! {
        "_id": oid(&a.id, "announcement id")?,
        "datetime": int(a.datetime),
    };
    for (k, v) in [
        ("msg_zh", &a.msg_zh),
        ("msg_en", &a.msg_en),
        ("uri", &a.uri),
    ] {
        if let Some(v) = v {
            d.insert(k, v.clone());
        }
    }
    d.insert("role", a.role.clone());
    Ok(d)
}

pub(crate) fn announcement_from(d: &Document) -> StoreResult<Announcement> {
    const C: &str = coll::ANNOUNCEMENT;
    let role = match d.get("role") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Array(a)) => a
            .iter()
            .map(|r| match r {
                Bson::String(s) => Ok(s.clone()),
                _ => Err(StoreError::Corrupt(
                    "announcement.role: not a string".into(),
                )),
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => {
            return Err(StoreError::Corrupt(
                "announcement.role: not an array".into(),
            ))
        }
    };
    Ok(Announcement {
        id: id_hex(d, C)?,
        datetime: i64_field(d, C, "datetime")?,
        msg_zh: opt_str_field(d, C, "msg_zh")?,
        msg_en: opt_str_field(d, C, "msg_en")?,
        uri: opt_str_field(d, C, "uri")?,
        role,
    })
}

/// Filter value matching a stored optional field equal to `v` (absent or
/// null when `None`: `{f: null}` matches both).
fn opt_eq<T: Into<Bson> + Clone>(v: &Option<T>) -> Bson {
    match v {
        None => Bson::Null,
        Some(x) => x.clone().into(),
    }
}

/// The conditional update of one `/use`: `before` is the attendee as read,
/// `after` what [`rules::apply_use`] made of it. The filter pins everything
/// the rules read (role, the used scenario's window / `used` / `disabled`,
/// each bound related target's `used` and `disabled`), so the update
/// applies only to the state the decision was made on; the update `$set`s /
/// `$unset`s exactly the scenario fields that changed.
fn use_update(
    id: Bson,
    before: &Attendee,
    after: &Attendee,
    req: &UseRequest,
) -> (Document, Document) {
    let mut filter = doc! { "_id": id, "role": &before.role };
    let sid = &req.scenario_id;
    filter.insert(
        format!("scenario.{sid}.available_time"),
        doc! { "$lte": req.now },
    );
    filter.insert(
        format!("scenario.{sid}.expire_time"),
        doc! { "$gt": req.now },
    );
    let mut read: Vec<&str> = vec![sid.as_str()];
    if let Some(effects) = req.effects.get(&before.role) {
        for e in effects {
            if before.scenario(&e.target).is_some() && !read.contains(&e.target.as_str()) {
                read.push(&e.target);
            }
        }
    }
    for id in read {
        let Some(s) = before.scenario(id) else {
            continue;
        };
        // `used` is only ever tested for presence by the rules (an undo
        // clears it through its own compare-and-set, `state_update`).
        let used = if s.used.is_some() {
            doc! { "$ne": Bson::Null }.into()
        } else {
            Bson::Null
        };
        filter.insert(format!("scenario.{id}.used"), used);
        filter.insert(format!("scenario.{id}.disabled"), opt_eq(&s.disabled));
    }
    let mut set = Document::new();
    let mut unset = Document::new();
    for s in &after.scenarios {
        let Some(old) = before.scenario(&s.id) else {
            continue;
        };
        if s.used != old.used {
            if let Some(u) = s.used {
                set.insert(format!("scenario.{}.used", s.id), int(u));
            }
        }
        if s.disabled != old.disabled {
            match &s.disabled {
                Some(m) => set.insert(format!("scenario.{}.disabled", s.id), m.clone()),
                None => unset.insert(format!("scenario.{}.disabled", s.id), ""),
            };
        }
    }
    let mut update = Document::new();
    if !set.is_empty() {
        update.insert("$set", set);
    }
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    (filter, update)
}

/// A compare-and-set from `current` to `target` (an undo): the filter holds
/// the current `used` / `disabled` of every scenario that changes, the
/// update sets or unsets them to the target's.
fn state_update(id: Bson, current: &Attendee, target: &Attendee) -> (Document, Document) {
    let mut filter = doc! { "_id": id };
    let mut set = Document::new();
    let mut unset = Document::new();
    for t in &target.scenarios {
        let Some(old) = current.scenario(&t.id) else {
            continue;
        };
        if t.used == old.used && t.disabled == old.disabled {
            continue;
        }
        let used = format!("scenario.{}.used", t.id);
        let disabled = format!("scenario.{}.disabled", t.id);
        filter.insert(used.clone(), old.used.map_or(Bson::Null, int));
        filter.insert(disabled.clone(), opt_eq(&old.disabled));
        match t.used {
            Some(u) => set.insert(used, int(u)),
            None => unset.insert(used, ""),
        };
        match &t.disabled {
            Some(m) => set.insert(disabled, m.clone()),
            None => unset.insert(disabled, ""),
        };
    }
    let mut update = Document::new();
    if !set.is_empty() {
        update.insert("$set", set);
    }
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    (filter, update)
}

impl MongoStore {
    async fn attendee_where(&self, filter: Document) -> StoreResult<Option<Attendee>> {
        self.coll(coll::ATTENDEE)
            .find_one(filter)
            .await
            .map_err(backend)?
            .as_ref()
            .map(attendee_from)
            .transpose()
    }

    /// Inside a transaction: the stored documents of `tokens`, by token.
    async fn attendees_by_token_in(
        &self,
        s: &mut ClientSession,
        tokens: &[&str],
    ) -> Result<HashMap<String, Document>, TxError> {
        let mut out = HashMap::with_capacity(tokens.len());
        for chunk in tokens.chunks(IMPORT_READ_CHUNK) {
            let mut cursor = self
                .coll(coll::ATTENDEE)
                .find(doc! { "token": { "$in": chunk } })
                .session(&mut *s)
                .await?;
            while let Some(d) = cursor.next(&mut *s).await.transpose()? {
                let token = str_field(&d, coll::ATTENDEE, "token")?;
                out.insert(token, d);
            }
        }
        Ok(out)
    }
}

/// Rows per step of an import: one `$in` read of their tokens, one bulk
/// insert (keeps each command small, and memory to one chunk).
const IMPORT_READ_CHUNK: usize = 500;

/// An import naming a token twice is refused whole.
fn duplicate(token: &str) -> StoreError {
    StoreError::Backend(format!("duplicate token {token:?} in the import batch"))
}

#[async_trait::async_trait]
impl AttendeeStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// Refuses a server without multi-document transactions (a standalone
    /// `mongod`): see `txn.rs` for why event data needs them.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn check_event_ready(&self) -> StoreResult<()> {
        if self.transactions_supported().await? {
            return Ok(());
        }
        Err(StoreError::Backend(
            "event check-in on MongoDB needs multi-document transactions, which this server \
             (a standalone mongod) does not offer: a check-in and its puzzle pieces, and a \
             CSV import, must be all-or-nothing. Run it as a single-node replica set \
             (restart mongod with --replSet rs0, then run rs.initiate() once in mongosh; \
             the data is kept) and start bincio again"
                .into(),
        ))
    }

    /// Checks the batch before any transaction (rows merged and encoded,
    /// duplicate tokens refused), then [`AttendeeStore::import_rows_logged`].
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn import_attendees_logged(
        &self,
        batch: Vec<ImportAttendee>,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        let mut seen = std::collections::HashSet::new();
        for row in &batch {
            if !seen.insert(row.token.as_str()) {
                return Err(duplicate(&row.token));
            }
            attendee_doc(&rules::merge_import(None, row))?;
        }
        self.import_rows_logged(&batch, audit).await
    }

    /// One transaction for the whole import: every reader (bincio's
    /// routes, and CCIP-Server reading the same database) sees the
    /// attendees as before the import until it commits, then all of them
    /// as after; a crash before the commit leaves nothing. Inside it, the
    /// rows are taken [`IMPORT_READ_CHUNK`] at a time — one `$in` read of
    /// the chunk's tokens, its new attendees inserted in bulk, existing
    /// ones replaced by [`rules::merge_import_owned`] (id, `first_use`,
    /// `used` and use-set `disabled` kept) — so memory holds one chunk,
    /// never the import; then the import's audit entry when logged. A row
    /// that fails (a row's error, a bad id, a token seen before in the
    /// import: [`TokenKeys`]) aborts the transaction, nothing written. A
    /// concurrent `/use` on an imported attendee makes one of the two
    /// transactions retry from a fresh read (the rows read again from the
    /// start), so neither write is lost.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn import_rows_logged(
        &self,
        rows: &dyn ImportRows,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        in_transaction!(self, |s| {
            let c = self.coll(coll::ATTENDEE);
            let mut counts = ImportCounts::default();
            let mut seen = TokenKeys::with_capacity(0);
            let mut it = rows.rows();
            loop {
                let mut chunk = Vec::with_capacity(IMPORT_READ_CHUNK);
                for row in it.by_ref().take(IMPORT_READ_CHUNK) {
                    let row = row?;
                    if seen.insert(&row.token, 0).is_some() {
                        return Err(TxError::Store(duplicate(&row.token)));
                    }
                    chunk.push(row);
                }
                if chunk.is_empty() {
                    break;
                }
                let tokens: Vec<&str> = chunk.iter().map(|r| r.token.as_str()).collect();
                let stored = self.attendees_by_token_in(s, &tokens).await?;
                drop(tokens);
                let mut new_docs = Vec::new();
                for row in chunk {
                    match stored.get(&row.token) {
                        None => new_docs.push(attendee_doc(&rules::merge_import_owned(None, row))?),
                        Some(raw) => {
                            let merged = rules::merge_import_owned(Some(&attendee_from(raw)?), row);
                            let id = raw.get("_id").cloned().unwrap_or(Bson::Null);
                            c.replace_one(doc! { "_id": id }, attendee_doc(&merged)?)
                                .session(&mut *s)
                                .await?;
                            counts.updated += 1;
                        }
                    }
                }
                if !new_docs.is_empty() {
                    counts.inserted += new_docs.len() as u64;
                    c.insert_many(new_docs).session(&mut *s).await?;
                }
            }
            if let Some(d) = &audit {
                self.audit_insert(s, &audit::import_entry(d, counts))
                    .await?;
            }
            Ok(counts)
        })
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_attendee(&self, token: &str) -> StoreResult<Option<Attendee>> {
        self.attendee_where(doc! { "token": token }).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_attendee_by_id(&self, id: &str) -> StoreResult<Option<Attendee>> {
        let Ok(o) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        self.attendee_where(doc! { "_id": o }).await
    }

    /// One transaction: a conditional update sets `first_use` only when
    /// it is absent, null or `0` (`{$in: [null, 0]}` in the filter), so of
    /// concurrent calls exactly one sets it, and that one creates the
    /// bucket in the same transaction.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn mark_first_use(&self, token: &str, now: i64) -> StoreResult<Option<(Attendee, bool)>> {
        if let Some(a) = self.get_attendee(token).await? {
            if a.has_first_use() {
                return Ok(Some((a, false)));
            }
        }
        in_transaction!(self, |s| {
            let c = self.coll(coll::ATTENDEE);
            let set = c
                .find_one_and_update(
                    doc! { "token": token, "first_use": { "$in": [Bson::Null, 0_i32] } },
                    doc! { "$set": { "first_use": int(now) } },
                )
                .return_document(ReturnDocument::After)
                .session(&mut *s)
                .await?;
            if let Some(d) = set {
                let a = attendee_from(&d)?;
                self.deliver_pieces_in(s, &a.id, &a.public_token(), &[])
                    .await?;
                return Ok(Some((a, true)));
            }
            let d = c.find_one(doc! { "token": token }).session(&mut *s).await?;
            Ok(d.as_ref()
                .map(attendee_from)
                .transpose()?
                .map(|a| (a, false)))
        })
    }

    /// Atomic `/use`, one transaction: read the attendee, decide with
    /// [`rules::apply_use`] (the same function SQLite runs in its
    /// transaction), apply the resulting `$set`/`$unset` with one
    /// `find_one_and_update` whose filter is the compare-and-set on every
    /// field the rules read (see [`use_update`]), then deliver the role's
    /// pieces ([`MongoStore::deliver_pieces_in`]: bucket, pieces,
    /// counters). The use, its related effects and its pieces commit
    /// together or not at all. A concurrent writer makes the filter miss or
    /// the transaction conflict: both re-run from a fresh read (a concurrent
    /// use of the same scenario then answers `has been used`). A refusal is
    /// decided on a consistent read and writes nothing.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn use_scenario(&self, req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>> {
        let c = self.coll(coll::ATTENDEE);
        // Queue behind this process's other counter writers only when this
        // use may deliver pieces (see `MongoStore::counters_lock`).
        let _queue = if req.deliver.values().any(|p| !p.is_empty()) {
            Some(self.counters_lock.lock().await)
        } else {
            None
        };
        in_transaction!(self, |s| {
            let raw = c
                .find_one(doc! { "token": &req.token })
                .session(&mut *s)
                .await?;
            let found = raw.as_ref().map(attendee_from).transpose()?;
            // This attendee's nonce already logged: that first outcome,
            // nothing written.
            if let (Some(nonce), Some(a)) =
                (req.audit.as_ref().and_then(|d| d.nonce.as_deref()), &found)
            {
                if let Some(first) = self.audit_by_nonce(s, &a.id, nonce).await? {
                    return Ok(audit::replay(&first, found.clone(), &req));
                }
            }
            let (Some(raw), Some(before)) = (raw, found) else {
                if let Some(d) = &req.audit {
                    let refusal = UseRefusal::UnknownToken.message();
                    let e = audit::use_entry(d, req.now, None, &req.scenario_id, Err(refusal));
                    self.audit_insert(s, &e).await?;
                }
                return Ok(Err(UseRefusal::UnknownToken));
            };
            let mut after = before.clone();
            if let Err(r) = rules::apply_use(&mut after, &req) {
                if let Some(d) = &req.audit {
                    let e = audit::use_entry(
                        d,
                        req.now,
                        Some(&before),
                        &req.scenario_id,
                        Err(r.message()),
                    );
                    self.audit_insert(s, &e).await?;
                }
                return Ok(Err(r));
            }
            let (filter, update) = use_update(
                raw.get("_id").cloned().unwrap_or(Bson::Null),
                &before,
                &after,
                &req,
            );
            let Some(d) = c
                .find_one_and_update(filter, update)
                .return_document(ReturnDocument::After)
                .session(&mut *s)
                .await?
            else {
                return Err(TxError::Retry);
            };
            let a = attendee_from(&d)?;
            // Delivering (even an empty list) creates the bucket.
            let pieces = req.pieces_for(&a.role);
            if let Some(p) = pieces {
                self.deliver_pieces_in(s, &a.id, &a.public_token(), p)
                    .await?;
            }
            if let Some(d) = &req.audit {
                let n = pieces.map_or(0, <[String]>::len);
                let detail = audit::use_detail(&before, &a, n);
                let e = audit::use_entry(d, req.now, Some(&a), &req.scenario_id, Ok(detail));
                self.audit_insert(s, &e).await?;
            }
            Ok(Ok(a))
        })
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn undo_use(&self, req: UndoRequest) -> StoreResult<Result<Attendee, UndoRefusal>> {
        let c = self.coll(coll::ATTENDEE);
        in_transaction!(self, |s| {
            let raw = c
                .find_one(doc! { "token": &req.token })
                .session(&mut *s)
                .await?;
            let found = raw.as_ref().map(attendee_from).transpose()?;
            let last = match &found {
                Some(a) => self.audit_last_use(s, &a.id, &req.scenario_id).await?,
                None => None,
            };
            let mut after = found.clone();
            let outcome = audit::decide_undo(after.as_mut(), &req.scenario_id, last.as_ref());
            let use_id = last.as_ref().map(|u| u.id.clone());
            let e = audit::undo_entry(
                &req,
                found.as_ref(),
                use_id.as_deref(),
                outcome.as_ref().err(),
            );
            self.audit_insert(s, &e).await?;
            let (Ok(()), Some(before), Some(a), Some(raw)) = (&outcome, &found, &after, &raw)
            else {
                return Ok(Err(outcome.err().unwrap_or(UndoRefusal::UnknownToken)));
            };
            let (filter, update) =
                state_update(raw.get("_id").cloned().unwrap_or(Bson::Null), before, a);
            if c.find_one_and_update(filter, update)
                .session(&mut *s)
                .await?
                .is_none()
            {
                return Err(TxError::Retry);
            }
            if let Some(u) = &use_id {
                self.audit_mark_undone(s, u, &req.audit.id).await?;
            }
            Ok(Ok(a.clone()))
        })
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_audit(&self, filter: AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        self.audit_list(&filter).await
    }

    /// Natural (insertion) order, as CS's `Attendee.objects(role=…)`.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_attendees(&self, role: &str) -> StoreResult<Vec<Attendee>> {
        let docs: Vec<Document> = self
            .coll(coll::ATTENDEE)
            .find(doc! { "role": role })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(attendee_from).collect()
    }

    /// One insert; logged, the insert and the entry in one transaction.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn add_announcement_logged(
        &self,
        a: Announcement,
        audit: Option<ActionDraft>,
    ) -> StoreResult<()> {
        let d = announcement_doc(&a)?;
        let Some(draft) = audit else {
            self.coll(coll::ANNOUNCEMENT)
                .insert_one(d)
                .await
                .map_err(backend)?;
            return Ok(());
        };
        let e = audit::announcement_entry(&draft, &a);
        in_transaction!(self, |s| {
            self.coll(coll::ANNOUNCEMENT)
                .insert_one(d.clone())
                .session(&mut *s)
                .await?;
            self.audit_insert(s, &e).await?;
            Ok(())
        })
    }

    /// `{role: role}` (array contains), newest `_id` first (as CS).
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn announcements(&self, role: &str) -> StoreResult<Vec<Announcement>> {
        let docs: Vec<Document> = self
            .coll(coll::ANNOUNCEMENT)
            .find(doc! { "role": role })
            .sort(doc! { "_id": -1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(announcement_from).collect()
    }
}
