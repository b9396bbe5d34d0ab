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
//! No multi-document transaction is used: every race-prone step is one
//! conditional single-document update (see [`MongoStore::use_scenario`] and
//! [`MongoStore::mark_first_use`]); the import is a sequence of per-attendee
//! atomic writes (see [`MongoStore::import_attendees`]).

use bincio_core::event::model::{Announcement, Attendee, Pairs, Scenario};
use bincio_core::event::rules::{self, ImportAttendee, UseRefusal, UseRequest};
use bincio_core::store::{AttendeeStore, ImportCounts, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;

use crate::bsonx::{i64_field, opt_i64_field, opt_str_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

/// How often a compare-and-set write is retried after another writer
/// changed the document between our read and our write. Every miss means
/// another write succeeded, so this only bounds pathological contention.
const MAX_CAS_RETRIES: usize = 1000;

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

fn announcement_doc(a: &Announcement) -> StoreResult<Document> {
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

fn announcement_from(d: &Document) -> StoreResult<Announcement> {
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
        // `used` is only ever tested for presence by the rules, and is
        // never cleared once set.
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

    /// Write one merged import row. Inserts when no attendee has the token;
    /// otherwise replaces the stored document with a compare-and-set filter
    /// on what the merge read (`_id`, the `scenario` map as stored and
    /// `first_use`), so a `/use` or first `/status` landing between the
    /// read and the write is never overwritten: the row is re-read and
    /// re-merged instead. Returns true when it inserted.
    async fn import_one(&self, row: &ImportAttendee) -> StoreResult<bool> {
        let c = self.coll(coll::ATTENDEE);
        for _ in 0..MAX_CAS_RETRIES {
            let raw = c
                .find_one(doc! { "token": &row.token })
                .await
                .map_err(backend)?;
            let Some(raw) = raw else {
                let a = rules::merge_import(None, row);
                match c.insert_one(attendee_doc(&a)?).await {
                    Ok(_) => return Ok(true),
                    // Inserted concurrently by another import: merge into it.
                    Err(e) if is_duplicate_key(&e) => continue,
                    Err(e) => return Err(backend(e)),
                }
            };
            let existing = attendee_from(&raw)?;
            let merged = rules::merge_import(Some(&existing), row);
            let mut filter = doc! {
                "_id": raw.get("_id").cloned().unwrap_or(Bson::Null),
                "scenario": raw.get("scenario").cloned().unwrap_or(Bson::Null),
            };
            filter.insert(
                "first_use",
                raw.get("first_use").cloned().unwrap_or(Bson::Null),
            );
            let r = c
                .replace_one(filter, attendee_doc(&merged)?)
                .await
                .map_err(backend)?;
            if r.matched_count == 1 {
                return Ok(false);
            }
        }
        Err(StoreError::Backend(format!(
            "attendee {}: too much contention during import",
            row.token
        )))
    }
}

#[async_trait::async_trait]
impl AttendeeStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// Import without a multi-document transaction.
    ///
    /// Everything that can fail on the data is checked **before the first
    /// write**: every row is merged and encoded (ids, field types), and
    /// duplicate tokens in the batch are refused. Then each attendee is
    /// written by its own atomic single-document step ([`Self::import_one`]:
    /// insert, or compare-and-set replace keeping the use state as
    /// [`rules::merge_import`] says).
    ///
    /// Partial-write window: MongoDB without transactions cannot make the
    /// whole batch all-or-nothing. If the process (or the server
    /// connection) dies in the middle, the attendees written so far are
    /// stored completely and the rest not at all (no attendee is ever half
    /// written). Re-running the same import is safe and finishes the job:
    /// it is idempotent (upsert by token, use state kept).
    async fn import_attendees(&self, batch: Vec<ImportAttendee>) -> StoreResult<ImportCounts> {
        let mut seen = std::collections::HashSet::new();
        for row in &batch {
            if !seen.insert(row.token.as_str()) {
                return Err(StoreError::Backend(format!(
                    "duplicate token {:?} in the import batch",
                    row.token
                )));
            }
            attendee_doc(&rules::merge_import(None, row))?;
        }
        let mut counts = ImportCounts::default();
        for row in &batch {
            if self.import_one(row).await? {
                counts.inserted += 1;
            } else {
                counts.updated += 1;
            }
        }
        Ok(counts)
    }

    async fn get_attendee(&self, token: &str) -> StoreResult<Option<Attendee>> {
        self.attendee_where(doc! { "token": token }).await
    }

    async fn get_attendee_by_id(&self, id: &str) -> StoreResult<Option<Attendee>> {
        let Ok(o) = ObjectId::parse_str(id) else {
            return Ok(None);
        };
        self.attendee_where(doc! { "_id": o }).await
    }

    /// One conditional update: `first_use` is set only when it is absent,
    /// null or `0` (`{$in: [null, 0]}` in the filter), so of concurrent
    /// calls exactly one sets it.
    async fn mark_first_use(&self, token: &str, now: i64) -> StoreResult<Option<(Attendee, bool)>> {
        let set = self
            .coll(coll::ATTENDEE)
            .find_one_and_update(
                doc! { "token": token, "first_use": { "$in": [Bson::Null, 0_i32] } },
                doc! { "$set": { "first_use": int(now) } },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(backend)?;
        if let Some(d) = set {
            return Ok(Some((attendee_from(&d)?, true)));
        }
        Ok(self.get_attendee(token).await?.map(|a| (a, false)))
    }

    /// Atomic `/use` without a transaction: read the attendee, decide with
    /// [`rules::apply_use`] (the same function SQLite runs in its
    /// transaction), then apply the resulting `$set`/`$unset` with one
    /// `find_one_and_update` whose filter is the compare-and-set on every
    /// field the rules read (see [`use_update`]: the window, the scenario's
    /// `used` absent and `disabled` as read, the related targets' `used` /
    /// `disabled` as read, the role). The used scenario, its related effects
    /// and the returned document are therefore one single-document atomic
    /// step. If the filter misses, another writer changed one of those
    /// fields after our read: re-read and decide again (a concurrent use of
    /// the same scenario then answers `has been used`). A refusal is
    /// decided on a consistent read and writes nothing.
    async fn use_scenario(&self, req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>> {
        let c = self.coll(coll::ATTENDEE);
        for _ in 0..MAX_CAS_RETRIES {
            let raw = c
                .find_one(doc! { "token": &req.token })
                .await
                .map_err(backend)?;
            let Some(raw) = raw else {
                return Ok(Err(UseRefusal::UnknownToken));
            };
            let before = attendee_from(&raw)?;
            let mut after = before.clone();
            if let Err(r) = rules::apply_use(&mut after, &req) {
                return Ok(Err(r));
            }
            let (filter, update) = use_update(
                raw.get("_id").cloned().unwrap_or(Bson::Null),
                &before,
                &after,
                &req,
            );
            let r = c
                .find_one_and_update(filter, update)
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            if let Some(d) = r {
                return Ok(Ok(attendee_from(&d)?));
            }
        }
        Err(StoreError::Backend(format!(
            "use of {}: too much contention",
            req.scenario_id
        )))
    }

    /// Natural (insertion) order, as CS's `Attendee.objects(role=…)`.
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

    async fn add_announcement(&self, a: Announcement) -> StoreResult<()> {
        self.coll(coll::ANNOUNCEMENT)
            .insert_one(announcement_doc(&a)?)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// `{role: role}` (array contains), newest `_id` first (as CS).
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
