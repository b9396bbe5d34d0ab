//! `ActivityStore` on MongoDB.
//!
//! Documents:
//! * `activities`: `{_id: aid (ObjectId), handle, id, started_at,
//!   source_hash, privacy (effective), extracted_privacy, distance_m,
//!   source, summary (JSON text), detail (JSON text), edits: {title?, …},
//!   duplicate_of, created_at, doc_bytes, tracks_id}`. Unique indexes on
//!   `(handle, id)` and `(handle, source_hash)` decide inserts; the JSON
//!   documents are kept as text so they round-trip exactly (no `$`-key or
//!   number-type surprises). `privacy` is the *effective* privacy, so
//!   "listed" is an indexed filter.
//! * `activity_tracks`: `{_id: tracks_id, aid, handle, <payload>}` holding
//!   `{"timeseries", "geojson"}` as JSON bytes. The activity points at its
//!   tracks document, so a re-extraction writes new tracks first and then
//!   swaps the pointer in the same update as the other extracted fields.
//! * `activity_blobs`: manifests `{_id: "<aid>/original" | "<aid>/image/<name>",
//!   aid, handle, id, kind, name, content_type, size, <payload>}`. The
//!   `_id` makes "one original per activity" and "photo names unique per
//!   activity" single-document facts.
//! * `activity_generations`: `{_id: handle, gen}` — per-user change counters
//!   (`ActivityStore::activity_generations`), `$inc`-upserted after every
//!   successful write, never deleted.
//! * `activity_chunks`: `{c, n, aid, handle, data}`. A payload of at most
//!   [`CHUNK`] bytes is stored inline in its manifest (`inline`); a larger
//!   one (originals may be 50 MiB, a document at most 16 MiB) is split into
//!   [`CHUNK`]-byte chunks written *before* the manifest that names them
//!   (`chunks`, `nchunks`), so a manifest is never visible before its bytes.
//!
//! Everything dependent is keyed by the activity's `_id` (`aid`), never by
//! `(handle, id)`: leftovers of a deleted activity can never attach to a
//! new activity that reuses the id. Deletions remove the activity document
//! first (the deciding step) and its dependents after; writers of
//! dependents check, *after* writing, that the activity still exists and
//! undo their write if not. Either the deleter's clean-up runs after the
//! write (and removes it) or the writer's check sees the activity gone
//! (and removes it), so no race leaves orphans behind; only a crash between
//! steps can, and such leftovers are unreachable.

use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, Privacy, RawTracks, StorageUsage,
};
use bincio_core::store::{ActivityStore, FeedQuery, InsertOutcome, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, spec::BinarySubtype, Binary, Bson, Document};
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};

use crate::bsonx::{i64_field, opt_str_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

/// Chunk size of large payloads (and the largest inline payload).
const CHUNK: usize = 4 * 1024 * 1024;

/// How often a reader retries when a concurrent replacement swapped the
/// document it was reading.
const READ_RETRIES: usize = 5;

const LISTED: [&str; 3] = ["public", "no_gps", "blur_start"];

#[derive(Serialize, Deserialize, Default)]
struct TracksJson {
    #[serde(default)]
    timeseries: Option<serde_json::Value>,
    #[serde(default)]
    geojson: Option<serde_json::Value>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{}: {what}", coll::ACTIVITIES))
}

fn json_field(d: &Document, field: &str) -> StoreResult<serde_json::Value> {
    let s = str_field(d, coll::ACTIVITIES, field)?;
    serde_json::from_str(&s).map_err(|e| corrupt(format_args!("{field}: {e}")))
}

fn privacy_field(d: &Document, field: &str) -> StoreResult<Privacy> {
    let s = str_field(d, coll::ACTIVITIES, field)?;
    Privacy::parse(&s).ok_or_else(|| corrupt(format_args!("{field}: {s:?}")))
}

fn edits_from(d: &Document) -> StoreResult<ActivityEdits> {
    match d.get("edits") {
        None | Some(Bson::Null) => Ok(ActivityEdits::default()),
        Some(Bson::Document(e)) => {
            bson::from_document(e.clone()).map_err(|e| corrupt(format_args!("edits: {e}")))
        }
        Some(_) => Err(corrupt("edits: not a document")),
    }
}

fn edits_doc(e: &ActivityEdits) -> StoreResult<Document> {
    bson::to_document(e).map_err(|e| corrupt(format_args!("edits: {e}")))
}

fn record_from(d: &Document) -> StoreResult<ActivityRecord> {
    let distance_m = match d.get("distance_m") {
        None | Some(Bson::Null) => None,
        Some(Bson::Double(f)) => Some(*f),
        Some(Bson::Int32(n)) => Some(f64::from(*n)),
        Some(Bson::Int64(n)) => Some(*n as f64),
        Some(_) => return Err(corrupt("distance_m: not a number")),
    };
    Ok(ActivityRecord {
        handle: str_field(d, coll::ACTIVITIES, "handle")?,
        id: str_field(d, coll::ACTIVITIES, "id")?,
        started_at: i64_field(d, coll::ACTIVITIES, "started_at")?,
        source_hash: str_field(d, coll::ACTIVITIES, "source_hash")?,
        privacy: privacy_field(d, "extracted_privacy")?,
        distance_m,
        source: opt_str_field(d, coll::ACTIVITIES, "source")?,
        summary: json_field(d, "summary")?,
        detail: json_field(d, "detail")?,
        edits: edits_from(d)?,
        duplicate_of: opt_str_field(d, coll::ACTIVITIES, "duplicate_of")?,
        created_at: i64_field(d, coll::ACTIVITIES, "created_at")?,
    })
}

/// Projection of everything a record needs (not the bookkeeping fields).
fn record_projection() -> Document {
    doc! { "tracks_id": 0, "doc_bytes": 0 }
}

fn tracks_bytes(t: &ActivityTracks) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(&TracksJson {
        timeseries: t.timeseries.clone(),
        geojson: t.geojson.clone(),
    })
    .map_err(|e| StoreError::Backend(format!("tracks: {e}")))
}

/// Bytes of the activity documents (the same measure as SQLite).
fn doc_bytes(rec: &ActivityRecord, t: &ActivityTracks) -> i64 {
    let n = |v: &serde_json::Value| v.to_string().len();
    (n(&rec.summary)
        + n(&rec.detail)
        + t.timeseries.as_ref().map(n).unwrap_or(0)
        + t.geojson.as_ref().map(n).unwrap_or(0)) as i64
}

/// The fields a (re-)extraction sets.
fn extracted_fields(
    rec: &ActivityRecord,
    tracks: &ActivityTracks,
    tracks_id: ObjectId,
) -> Document {
    doc! {
        "started_at": rec.started_at,
        "source_hash": &rec.source_hash,
        "extracted_privacy": rec.privacy.as_str(),
        "distance_m": rec.distance_m.map_or(Bson::Null, Bson::Double),
        "source": rec.source.as_deref().map_or(Bson::Null, Bson::from),
        "summary": rec.summary.to_string(),
        "detail": rec.detail.to_string(),
        "duplicate_of": rec.duplicate_of.as_deref().map_or(Bson::Null, Bson::from),
        "doc_bytes": doc_bytes(rec, tracks),
        "tracks_id": tracks_id,
    }
}

fn image_key(aid: ObjectId, name: &str) -> String {
    format!("{}/image/{name}", aid.to_hex())
}

fn original_key(aid: ObjectId) -> String {
    format!("{}/original", aid.to_hex())
}

fn oid_field(d: &Document, c: &str, field: &str) -> StoreResult<ObjectId> {
    match d.get(field) {
        Some(Bson::ObjectId(o)) => Ok(*o),
        _ => Err(StoreError::Corrupt(format!("{c}.{field}: not an ObjectId"))),
    }
}

impl MongoStore {
    /// `_id` of the activity `(handle, id)`.
    async fn aid_of(&self, handle: &str, id: &str) -> StoreResult<Option<ObjectId>> {
        let d = self
            .coll(coll::ACTIVITIES)
            .find_one(doc! { "handle": handle, "id": id })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?;
        d.map(|d| oid_field(&d, coll::ACTIVITIES, "_id"))
            .transpose()
    }

    async fn activity_alive(&self, aid: ObjectId) -> StoreResult<bool> {
        Ok(self
            .coll(coll::ACTIVITIES)
            .find_one(doc! { "_id": aid })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }

    async fn user_exists(&self, handle: &str) -> StoreResult<bool> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }

    /// Store `bytes` for a manifest: inline when small, else as chunks
    /// (written now, before the manifest). Returns the manifest fields.
    async fn put_payload(
        &self,
        aid: ObjectId,
        handle: &str,
        bytes: Vec<u8>,
    ) -> StoreResult<Document> {
        let size = bytes.len() as i64;
        if bytes.len() <= CHUNK {
            return Ok(doc! {
                "size": size,
                "inline": Binary { subtype: BinarySubtype::Generic, bytes },
            });
        }
        let c = ObjectId::new();
        let chunks: Vec<Document> = bytes
            .chunks(CHUNK)
            .enumerate()
            .map(|(n, part)| {
                doc! {
                    "c": c,
                    "n": n as i32,
                    "aid": aid,
                    "handle": handle,
                    "data": Binary { subtype: BinarySubtype::Generic, bytes: part.to_vec() },
                }
            })
            .collect();
        let nchunks = chunks.len() as i32;
        // One at a time: each insert is a few MiB, far below the message
        // limit, and a failure leaves only unreferenced chunks we remove.
        for d in chunks {
            if let Err(e) = self.coll(coll::ACTIVITY_CHUNKS).insert_one(d).await {
                self.drop_chunks(c).await?;
                return Err(backend(e));
            }
        }
        Ok(doc! { "size": size, "chunks": c, "nchunks": nchunks })
    }

    async fn drop_chunks(&self, c: ObjectId) -> StoreResult<()> {
        self.coll(coll::ACTIVITY_CHUNKS)
            .delete_many(doc! { "c": c })
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Remove the chunks a manifest names (inline payloads need nothing).
    async fn drop_payload(&self, manifest: &Document) -> StoreResult<()> {
        if let Some(Bson::ObjectId(c)) = manifest.get("chunks") {
            self.drop_chunks(*c).await?;
        }
        Ok(())
    }

    /// The bytes a manifest names; `None` if its chunks are gone or
    /// incomplete (the manifest was replaced or deleted meanwhile).
    async fn get_payload(&self, manifest: &Document, c_name: &str) -> StoreResult<Option<Vec<u8>>> {
        let size = i64_field(manifest, c_name, "size")?;
        if let Some(b) = manifest.get("inline") {
            return match b {
                Bson::Binary(b) => Ok(Some(b.bytes.clone())),
                _ => Err(StoreError::Corrupt(format!("{c_name}.inline: not binary"))),
            };
        }
        let c = oid_field(manifest, c_name, "chunks")?;
        let mut cursor = self
            .coll(coll::ACTIVITY_CHUNKS)
            .find(doc! { "c": c })
            .sort(doc! { "n": 1 })
            .await
            .map_err(backend)?;
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut expect = 0_i64;
        while let Some(d) = cursor.try_next().await.map_err(backend)? {
            if i64_field(&d, coll::ACTIVITY_CHUNKS, "n")? != expect {
                return Ok(None);
            }
            expect += 1;
            match d.get("data") {
                Some(Bson::Binary(b)) => out.extend_from_slice(&b.bytes),
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "{}.data: not binary",
                        coll::ACTIVITY_CHUNKS
                    )))
                }
            }
        }
        Ok((out.len() as i64 == size).then_some(out))
    }

    async fn write_tracks(
        &self,
        tid: ObjectId,
        aid: ObjectId,
        handle: &str,
        tracks: &ActivityTracks,
    ) -> StoreResult<()> {
        let mut d = doc! { "_id": tid, "aid": aid, "handle": handle };
        d.extend(self.put_payload(aid, handle, tracks_bytes(tracks)?).await?);
        if let Err(e) = self.coll(coll::ACTIVITY_TRACKS).insert_one(&d).await {
            self.drop_payload(&d).await?;
            return Err(backend(e));
        }
        Ok(())
    }

    async fn drop_tracks(&self, tid: ObjectId) -> StoreResult<()> {
        if let Some(d) = self
            .coll(coll::ACTIVITY_TRACKS)
            .find_one_and_delete(doc! { "_id": tid })
            .await
            .map_err(backend)?
        {
            self.drop_payload(&d).await?;
        }
        Ok(())
    }

    /// Everything hanging off an activity (after its document is gone).
    async fn drop_dependents(&self, aid: ObjectId) -> StoreResult<()> {
        for c in [
            coll::ACTIVITY_TRACKS,
            coll::ACTIVITY_BLOBS,
            coll::ACTIVITY_CHUNKS,
        ] {
            self.coll(c)
                .delete_many(doc! { "aid": aid })
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// A blob by manifest `_id`, retried if a replacement swapped it while
    /// reading.
    async fn get_blob(&self, key: &str) -> StoreResult<Option<Blob>> {
        for _ in 0..READ_RETRIES {
            let Some(m) = self
                .coll(coll::ACTIVITY_BLOBS)
                .find_one(doc! { "_id": key })
                .await
                .map_err(backend)?
            else {
                return Ok(None);
            };
            if let Some(bytes) = self.get_payload(&m, coll::ACTIVITY_BLOBS).await? {
                return Ok(Some(Blob {
                    name: str_field(&m, coll::ACTIVITY_BLOBS, "name")?,
                    content_type: str_field(&m, coll::ACTIVITY_BLOBS, "content_type")?,
                    bytes,
                }));
            }
        }
        Err(StoreError::Backend(format!(
            "blob {key}: replaced concurrently too often"
        )))
    }

    fn blob_manifest(
        key: String,
        aid: ObjectId,
        handle: &str,
        id: &str,
        kind: &str,
        blob: &Blob,
    ) -> Document {
        doc! {
            "_id": key,
            "aid": aid,
            "handle": handle,
            "id": id,
            "kind": kind,
            "name": &blob.name,
            "content_type": &blob.content_type,
        }
    }

    /// After writing a manifest: if the activity was deleted meanwhile,
    /// remove what we wrote (conditional on it still being ours) and report
    /// `NotFound`.
    async fn undo_if_orphan(
        &self,
        aid: ObjectId,
        manifest: &Document,
        what: &str,
    ) -> StoreResult<()> {
        if self.activity_alive(aid).await? {
            return Ok(());
        }
        let mut filter = doc! { "_id": manifest.get("_id").cloned().unwrap_or(Bson::Null) };
        if let Some(c) = manifest.get("chunks") {
            filter.insert("chunks", c.clone());
        }
        self.coll(coll::ACTIVITY_BLOBS)
            .delete_one(filter)
            .await
            .map_err(backend)?;
        self.drop_payload(manifest).await?;
        Err(StoreError::NotFound(what.to_owned()))
    }

    /// Which unique key an insert of `rec` collided with; `None` if the
    /// colliding activity is gone by now (the caller retries).
    async fn which_duplicate(&self, rec: &ActivityRecord) -> StoreResult<Option<InsertOutcome>> {
        if let Some(id) = ActivityStore::find_by_hash(self, &rec.handle, &rec.source_hash).await? {
            return Ok(Some(InsertOutcome::DuplicateHash(id)));
        }
        if self.aid_of(&rec.handle, &rec.id).await?.is_some() {
            return Ok(Some(InsertOutcome::IdTaken));
        }
        Ok(None)
    }

    async fn records(
        &self,
        filter: Document,
        sort: Document,
        limit: Option<i64>,
    ) -> StoreResult<Vec<ActivityRecord>> {
        let c = self.coll(coll::ACTIVITIES);
        let mut find = c.find(filter).sort(sort).projection(record_projection());
        if let Some(l) = limit {
            find = find.limit(l);
        }
        let docs: Vec<Document> = find
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(record_from).collect()
    }
}

impl MongoStore {
    /// Every document of collection `c` matching `filter`, projected.
    async fn find_all(
        &self,
        c: &str,
        filter: Document,
        projection: Document,
    ) -> StoreResult<Vec<Document>> {
        self.coll(c)
            .find(filter)
            .projection(projection)
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)
    }

    /// The JSON payload of an activity's current tracks document (retrying
    /// when a concurrent replacement swapped it while we read).
    async fn tracks_payload(&self, handle: &str, id: &str) -> StoreResult<Option<Vec<u8>>> {
        for _ in 0..READ_RETRIES {
            let Some(a) = self
                .coll(coll::ACTIVITIES)
                .find_one(doc! { "handle": handle, "id": id })
                .projection(doc! { "tracks_id": 1 })
                .await
                .map_err(backend)?
            else {
                return Ok(None);
            };
            let tid = oid_field(&a, coll::ACTIVITIES, "tracks_id")?;
            let Some(t) = self
                .coll(coll::ACTIVITY_TRACKS)
                .find_one(doc! { "_id": tid })
                .await
                .map_err(backend)?
            else {
                continue; // replaced meanwhile: read the new pointer
            };
            if let Some(bytes) = self.get_payload(&t, coll::ACTIVITY_TRACKS).await? {
                return Ok(Some(bytes));
            }
        }
        Err(StoreError::Backend(format!(
            "tracks of {handle}/{id}: replaced concurrently too often"
        )))
    }

    /// Bump the user's change counter; called *after* a write succeeded
    /// (see the trait: readers take the counter before the documents).
    async fn bump_generation(&self, handle: &str) -> StoreResult<()> {
        let c = self.coll(coll::ACTIVITY_GENERATIONS);
        for attempt in 0.. {
            match c
                .update_one(doc! { "_id": handle }, doc! { "$inc": { "gen": 1_i64 } })
                .upsert(true)
                .await
            {
                Ok(_) => return Ok(()),
                // Two first upserts raced on the `_id`: the loser retries and
                // increments the winner's document.
                Err(e) if is_duplicate_key(&e) && attempt < 3 => {}
                Err(e) => return Err(backend(e)),
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ActivityStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// 1. tracks are written under a fresh `tracks_id` (referenced by
    ///    nothing yet);
    /// 2. the activity document is inserted: the unique indexes on
    ///    `(handle, id)` and `(handle, source_hash)` decide, atomically
    ///    across processes; on a duplicate key we look up which one collided
    ///    (`DuplicateHash(id)` or `IdTaken`) and drop our tracks;
    /// 3. the owner must still exist *after* the insert: `delete_user`
    ///    deletes the user document before the activities, so either its
    ///    wipe runs after our insert (and removes it) or we see the user
    ///    gone here and remove the activity ourselves.
    async fn insert_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<InsertOutcome> {
        if !self.user_exists(&rec.handle).await? {
            return Err(StoreError::NotFound(format!("user {}", rec.handle)));
        }
        let aid = ObjectId::new();
        let tid = ObjectId::new();
        self.write_tracks(tid, aid, &rec.handle, &tracks).await?;
        let mut d = doc! {
            "_id": aid,
            "handle": &rec.handle,
            "id": &rec.id,
            "privacy": rec.effective_privacy().as_str(),
            "edits": edits_doc(&rec.edits)?,
            "created_at": rec.created_at,
        };
        d.extend(extracted_fields(&rec, &tracks, tid));
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.coll(coll::ACTIVITIES).insert_one(&d).await {
                Ok(_) => break,
                Err(e) if is_duplicate_key(&e) => {
                    if let Some(outcome) = self.which_duplicate(&rec).await? {
                        self.drop_tracks(tid).await?;
                        return Ok(outcome);
                    }
                    // The colliding activity was deleted meanwhile: retry.
                    if attempts >= 5 {
                        self.drop_tracks(tid).await?;
                        return Err(backend(e));
                    }
                }
                Err(e) => {
                    self.drop_tracks(tid).await?;
                    return Err(backend(e));
                }
            }
        }
        if !self.user_exists(&rec.handle).await? {
            self.coll(coll::ACTIVITIES)
                .delete_one(doc! { "_id": aid })
                .await
                .map_err(backend)?;
            self.drop_dependents(aid).await?;
            return Err(StoreError::NotFound(format!("user {}", rec.handle)));
        }
        self.bump_generation(&rec.handle).await?;
        Ok(InsertOutcome::Inserted)
    }

    /// New tracks are written first under a fresh id; then ONE update sets
    /// every extracted field, the new `tracks_id` and the effective privacy,
    /// and returns the previous document (whose tracks are then dropped).
    ///
    /// The effective privacy depends on `edits.privacy`, which a concurrent
    /// `patch_edits` may change, so the update is a compare-and-set: its
    /// filter requires `edits.privacy` to still hold the value we computed
    /// from. If it changed, nothing is written and we re-read and retry.
    /// (An aggregation-pipeline update would also do, but plain operators
    /// work on every MongoDB-compatible server.)
    async fn replace_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<bool> {
        let acts = self.coll(coll::ACTIVITIES);
        let Some(mut cur) = acts
            .find_one(doc! { "handle": &rec.handle, "id": &rec.id })
            .projection(doc! { "_id": 1, "edits.privacy": 1 })
            .await
            .map_err(backend)?
        else {
            return Ok(false);
        };
        let aid = oid_field(&cur, coll::ACTIVITIES, "_id")?;
        let tid = ObjectId::new();
        self.write_tracks(tid, aid, &rec.handle, &tracks).await?;
        for _ in 0..20 {
            let edited = edits_from(&cur)?.privacy;
            let effective = edited.unwrap_or(rec.privacy);
            let mut set = extracted_fields(&rec, &tracks, tid);
            set.insert("privacy", effective.as_str());
            let cas = edited.map_or(Bson::Null, |p| Bson::from(p.as_str()));
            let r = acts
                .find_one_and_update(
                    doc! { "_id": aid, "edits.privacy": cas },
                    doc! { "$set": set },
                )
                .projection(doc! { "tracks_id": 1 })
                .return_document(ReturnDocument::Before)
                .await;
            match r {
                Ok(Some(before)) => {
                    if let Some(Bson::ObjectId(old)) = before.get("tracks_id") {
                        self.drop_tracks(*old).await?;
                    }
                    self.bump_generation(&rec.handle).await?;
                    return Ok(true);
                }
                Ok(None) => {
                    match acts
                        .find_one(doc! { "_id": aid })
                        .projection(doc! { "_id": 1, "edits.privacy": 1 })
                        .await
                        .map_err(backend)?
                    {
                        Some(d) => cur = d,
                        None => {
                            self.drop_tracks(tid).await?;
                            return Ok(false);
                        }
                    }
                }
                Err(e) => {
                    self.drop_tracks(tid).await?;
                    return Err(if is_duplicate_key(&e) {
                        StoreError::Conflict("source hash already stored under another id".into())
                    } else {
                        backend(e)
                    });
                }
            }
        }
        self.drop_tracks(tid).await?;
        Err(StoreError::Backend(format!(
            "activity {}: edited concurrently too often",
            rec.id
        )))
    }

    async fn get_activity(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityRecord>> {
        self.coll(coll::ACTIVITIES)
            .find_one(doc! { "handle": handle, "id": id })
            .projection(record_projection())
            .await
            .map_err(backend)?
            .as_ref()
            .map(record_from)
            .transpose()
    }

    async fn get_tracks(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityTracks>> {
        let Some(bytes) = self.tracks_payload(handle, id).await? else {
            return Ok(None);
        };
        let j: TracksJson = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", coll::ACTIVITY_TRACKS)))?;
        Ok(Some(ActivityTracks {
            timeseries: j.timeseries,
            geojson: j.geojson,
        }))
    }

    /// The payload is `serde_json::to_vec` of the tracks: its members are
    /// already compact JSON text, borrowed out without a parse.
    async fn get_tracks_raw(&self, handle: &str, id: &str) -> StoreResult<Option<RawTracks>> {
        #[derive(Deserialize)]
        struct Raw<'a> {
            #[serde(default, borrow)]
            timeseries: Option<&'a serde_json::value::RawValue>,
            #[serde(default, borrow)]
            geojson: Option<&'a serde_json::value::RawValue>,
        }
        let Some(bytes) = self.tracks_payload(handle, id).await? else {
            return Ok(None);
        };
        let j: Raw<'_> = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("{}: {e}", coll::ACTIVITY_TRACKS)))?;
        Ok(Some(RawTracks {
            timeseries: j.timeseries.map(|r| r.get().to_owned()),
            geojson: j.geojson.map(|r| r.get().to_owned()),
        }))
    }

    /// ONE `find_one_and_update` that `$set`s only the fields present in the
    /// patch (`edits.title`, …), so concurrent edits of different fields
    /// all survive. The effective privacy is "edit, else extracted": it
    /// only changes when the patch sets `privacy`, and then it *is* the
    /// patched value, so setting `privacy` alongside `edits.privacy` in the
    /// same update keeps it exact without reading first (no pipeline update
    /// and no retry loop needed).
    async fn patch_edits(
        &self,
        handle: &str,
        id: &str,
        patch: ActivityEdits,
    ) -> StoreResult<Option<ActivityEdits>> {
        let filter = doc! { "handle": handle, "id": id };
        let mut set = Document::new();
        for (k, v) in edits_doc(&patch)? {
            set.insert(format!("edits.{k}"), v);
        }
        if let Some(p) = patch.privacy {
            set.insert("privacy", p.as_str());
        }
        let c = self.coll(coll::ACTIVITIES);
        let d = if set.is_empty() {
            c.find_one(filter)
                .projection(doc! { "edits": 1 })
                .await
                .map_err(backend)?
        } else {
            let d = c
                .find_one_and_update(filter, doc! { "$set": set })
                .projection(doc! { "edits": 1 })
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            if d.is_some() {
                self.bump_generation(handle).await?;
            }
            d
        };
        d.as_ref().map(edits_from).transpose()
    }

    async fn set_duplicate_of(
        &self,
        handle: &str,
        id: &str,
        duplicate_of: Option<&str>,
    ) -> StoreResult<bool> {
        let r = self
            .coll(coll::ACTIVITIES)
            .update_one(
                doc! { "handle": handle, "id": id },
                doc! { "$set": { "duplicate_of": duplicate_of.map_or(Bson::Null, Bson::from) } },
            )
            .await
            .map_err(backend)?;
        if r.matched_count > 0 {
            self.bump_generation(handle).await?;
        }
        Ok(r.matched_count > 0)
    }

    /// The activity document goes first (deciding), then its dependents.
    async fn delete_activity(&self, handle: &str, id: &str) -> StoreResult<bool> {
        let Some(d) = self
            .coll(coll::ACTIVITIES)
            .find_one_and_delete(doc! { "handle": handle, "id": id })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
        else {
            return Ok(false);
        };
        self.drop_dependents(oid_field(&d, coll::ACTIVITIES, "_id")?)
            .await?;
        self.bump_generation(handle).await?;
        Ok(true)
    }

    async fn delete_user_activities(&self, handle: &str) -> StoreResult<u64> {
        let n = self
            .coll(coll::ACTIVITIES)
            .delete_many(doc! { "handle": handle })
            .await
            .map_err(backend)?
            .deleted_count;
        for c in [
            coll::ACTIVITY_TRACKS,
            coll::ACTIVITY_BLOBS,
            coll::ACTIVITY_CHUNKS,
        ] {
            self.coll(c)
                .delete_many(doc! { "handle": handle })
                .await
                .map_err(backend)?;
        }
        self.bump_generation(handle).await?;
        Ok(n)
    }

    async fn feed(&self, q: FeedQuery) -> StoreResult<Vec<ActivityRecord>> {
        let mut filter = Document::new();
        if let Some(h) = &q.handle {
            filter.insert("handle", h);
        }
        if q.listed_only {
            filter.insert("privacy", doc! { "$in": LISTED.to_vec() });
        }
        if let Some(cur) = &q.before {
            filter.insert(
                "$or",
                vec![
                    doc! { "started_at": { "$lt": cur.started_at } },
                    doc! { "started_at": cur.started_at, "id": { "$lt": &cur.id } },
                ],
            );
        }
        self.records(
            filter,
            doc! { "started_at": -1, "id": -1 },
            Some(q.limit.clamp(1, 1000) as i64),
        )
        .await
    }

    async fn find_by_hash(&self, handle: &str, source_hash: &str) -> StoreResult<Option<String>> {
        self.coll(coll::ACTIVITIES)
            .find_one(doc! { "handle": handle, "source_hash": source_hash })
            .projection(doc! { "id": 1 })
            .await
            .map_err(backend)?
            .map(|d| str_field(&d, coll::ACTIVITIES, "id"))
            .transpose()
    }

    async fn find_near(
        &self,
        handle: &str,
        started_at: i64,
        window_s: i64,
    ) -> StoreResult<Vec<ActivityRecord>> {
        // Inclusive window written as exclusive bounds (the same set for
        // integers): SecantusDB 0.7 treats `$gte` as `$gt` when it scans the
        // descending `(handle, started_at, id)` index, dropping the activity
        // that starts exactly at the lower edge.
        let lo = started_at.saturating_sub(window_s).saturating_sub(1);
        let hi = started_at.saturating_add(window_s).saturating_add(1);
        self.records(
            doc! {
                "handle": handle,
                "started_at": { "$gt": lo, "$lt": hi },
            },
            doc! { "started_at": 1, "id": 1 },
            None,
        )
        .await
    }

    async fn activity_owners(&self) -> StoreResult<Vec<String>> {
        let vals = self
            .coll(coll::ACTIVITIES)
            .distinct("handle", doc! {})
            .await
            .map_err(backend)?;
        let mut out: Vec<String> = vals
            .into_iter()
            .filter_map(|v| match v {
                Bson::String(s) => Some(s),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Bytes first (chunks), then ONE upsert replaces the manifest (its
    /// `_id` is `"<aid>/original"`, so there is exactly one per activity);
    /// the replaced manifest's chunks are dropped afterwards.
    async fn put_original(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        let aid = self
            .aid_of(handle, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("activity {id}")))?;
        let key = original_key(aid);
        let mut m = Self::blob_manifest(key.clone(), aid, handle, id, "original", &blob);
        m.extend(self.put_payload(aid, handle, blob.bytes).await?);
        let blobs = self.coll(coll::ACTIVITY_BLOBS);
        let mut attempt = 0;
        let before = loop {
            attempt += 1;
            match blobs
                .find_one_and_replace(doc! { "_id": &key }, &m)
                .upsert(true)
                .return_document(ReturnDocument::Before)
                .await
            {
                Ok(b) => break b,
                // Two upserts of an absent manifest raced: retry replaces.
                Err(e) if is_duplicate_key(&e) && attempt < 3 => {}
                Err(e) => {
                    self.drop_payload(&m).await?;
                    return Err(backend(e));
                }
            }
        };
        if let Some(old) = before {
            self.drop_payload(&old).await?;
        }
        self.undo_if_orphan(aid, &m, &format!("activity {id}"))
            .await
    }

    async fn get_original(&self, handle: &str, id: &str) -> StoreResult<Option<Blob>> {
        match self.aid_of(handle, id).await? {
            Some(aid) => self.get_blob(&original_key(aid)).await,
            None => Ok(None),
        }
    }

    async fn delete_originals(&self, handle: &str) -> StoreResult<u64> {
        let blobs = self.coll(coll::ACTIVITY_BLOBS);
        let keys: Vec<Document> = blobs
            .find(doc! { "handle": handle, "kind": "original" })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        let mut freed = 0_u64;
        for k in keys {
            let id = k.get("_id").cloned().unwrap_or(Bson::Null);
            // Count only what this call removed (concurrent callers split
            // the manifests between them).
            if let Some(m) = blobs
                .find_one_and_delete(doc! { "_id": id })
                .await
                .map_err(backend)?
            {
                freed += u64::try_from(i64_field(&m, coll::ACTIVITY_BLOBS, "size")?).unwrap_or(0);
                self.drop_payload(&m).await?;
            }
        }
        Ok(freed)
    }

    /// Bytes first, then `insert_one` of the manifest whose `_id` is
    /// `"<aid>/image/<name>"`: a duplicate key means the name exists.
    async fn put_image(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        let aid = self
            .aid_of(handle, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("activity {id}")))?;
        let what = format!("image {} of activity {id}", blob.name);
        let mut m =
            Self::blob_manifest(image_key(aid, &blob.name), aid, handle, id, "image", &blob);
        m.extend(self.put_payload(aid, handle, blob.bytes).await?);
        if let Err(e) = self.coll(coll::ACTIVITY_BLOBS).insert_one(&m).await {
            self.drop_payload(&m).await?;
            return Err(if is_duplicate_key(&e) {
                StoreError::Conflict(what)
            } else {
                backend(e)
            });
        }
        self.undo_if_orphan(aid, &m, &format!("activity {id}"))
            .await?;
        self.bump_generation(handle).await
    }

    async fn list_images(&self, handle: &str, id: &str) -> StoreResult<Vec<String>> {
        let Some(aid) = self.aid_of(handle, id).await? else {
            return Ok(Vec::new());
        };
        let docs: Vec<Document> = self
            .coll(coll::ACTIVITY_BLOBS)
            .find(doc! { "aid": aid, "kind": "image" })
            .sort(doc! { "name": 1 })
            .projection(doc! { "name": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        let mut names = docs
            .iter()
            .map(|d| str_field(d, coll::ACTIVITY_BLOBS, "name"))
            .collect::<StoreResult<Vec<_>>>()?;
        // Byte order, like SQLite's default collation.
        names.sort();
        Ok(names)
    }

    async fn get_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<Option<Blob>> {
        match self.aid_of(handle, id).await? {
            Some(aid) => self.get_blob(&image_key(aid, name)).await,
            None => Ok(None),
        }
    }

    async fn delete_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<bool> {
        let Some(aid) = self.aid_of(handle, id).await? else {
            return Ok(false);
        };
        match self
            .coll(coll::ACTIVITY_BLOBS)
            .find_one_and_delete(doc! { "_id": image_key(aid, name) })
            .await
            .map_err(backend)?
        {
            Some(m) => {
                self.drop_payload(&m).await?;
                self.bump_generation(handle).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn storage_usage(&self, handle: &str) -> StoreResult<StorageUsage> {
        let acts = self
            .find_all(
                coll::ACTIVITIES,
                doc! { "handle": handle },
                doc! { "doc_bytes": 1 },
            )
            .await?;
        let mut u = StorageUsage {
            activities_count: acts.len() as u64,
            ..StorageUsage::default()
        };
        for d in &acts {
            u.activities_bytes +=
                u64::try_from(i64_field(d, coll::ACTIVITIES, "doc_bytes")?).unwrap_or(0);
        }
        let blobs = self
            .find_all(
                coll::ACTIVITY_BLOBS,
                doc! { "handle": handle },
                doc! { "kind": 1, "size": 1 },
            )
            .await?;
        for d in &blobs {
            let size = u64::try_from(i64_field(d, coll::ACTIVITY_BLOBS, "size")?).unwrap_or(0);
            match str_field(d, coll::ACTIVITY_BLOBS, "kind")?.as_str() {
                "original" => u.originals_bytes += size,
                _ => u.images_bytes += size,
            }
        }
        Ok(u)
    }

    async fn listed_page(
        &self,
        offset: u64,
        limit: usize,
    ) -> StoreResult<(Vec<ActivityRecord>, u64)> {
        let filter = doc! { "privacy": { "$in": LISTED.to_vec() } };
        let total = self
            .coll(coll::ACTIVITIES)
            .count_documents(filter.clone())
            .await
            .map_err(backend)?;
        let rows: Vec<Document> = self
            .coll(coll::ACTIVITIES)
            .find(filter)
            .sort(doc! { "started_at": -1, "id": -1, "handle": -1 })
            .skip(offset)
            .limit(limit.clamp(1, 1000) as i64)
            .projection(record_projection())
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        Ok((
            rows.iter().map(record_from).collect::<StoreResult<_>>()?,
            total,
        ))
    }

    async fn list_user_images(&self, handle: &str) -> StoreResult<Vec<(String, String)>> {
        let docs = self
            .find_all(
                coll::ACTIVITY_BLOBS,
                doc! { "handle": handle, "kind": "image" },
                doc! { "id": 1, "name": 1 },
            )
            .await?;
        let mut out = docs
            .iter()
            .map(|d| {
                Ok((
                    str_field(d, coll::ACTIVITY_BLOBS, "id")?,
                    str_field(d, coll::ACTIVITY_BLOBS, "name")?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // Byte order, like SQLite's default collation.
        out.sort();
        Ok(out)
    }

    async fn activity_generations(&self) -> StoreResult<Vec<(String, u64)>> {
        let docs = self
            .find_all(coll::ACTIVITY_GENERATIONS, doc! {}, doc! { "gen": 1 })
            .await?;
        let mut out = docs
            .iter()
            .map(|d| {
                Ok((
                    str_field(d, coll::ACTIVITY_GENERATIONS, "_id")?,
                    u64::try_from(i64_field(d, coll::ACTIVITY_GENERATIONS, "gen")?).unwrap_or(0),
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.sort();
        Ok(out)
    }
}
