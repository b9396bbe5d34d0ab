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
//!   [`CHUNK`](payload::CHUNK) bytes is stored inline in its manifest (`inline`); a larger
//!   one (originals may be 50 MiB, a document at most 16 MiB) is split into
//!   [`CHUNK`](payload::CHUNK)-byte chunks written *before* the manifest that names them
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
//!
//! Files: this one holds the `ActivityStore` impl; `codec.rs` maps rows to
//! domain types and back, `payload.rs` stores bytes (inline or chunked),
//! `blobs.rs` the originals and photos (the blob methods delegate there),
//! `lookup.rs` the shared look-ups and the change counter.

mod blobs;
mod codec;
mod lookup;
mod orphans;
mod payload;

use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, Orphans, RawTracks, StorageUsage,
};
use bincio_core::store::{
    ActivityStore, FeedQuery, InsertOutcome, StoreError, StoreResult, SummaryQuery,
    MAX_SUMMARY_PAGE,
};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;
use serde::Deserialize;

use crate::bsonx::{i64_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;
use codec::{
    edits_doc, edits_from, extracted_fields, lean_summary_from, oid_field, record_from,
    record_projection, summary_from, summary_projection, TracksJson,
};

/// How often a reader retries when a concurrent replacement swapped the
/// document it was reading.
const READ_RETRIES: usize = 5;

const LISTED: [&str; 3] = ["public", "no_gps", "blur_start"];

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
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    /// The feed's filter plus the time window, projected without the
    /// `detail` text (it never leaves the server). Served by the
    /// `(handle, started_at, id)` / `(started_at, id)` /
    /// `(privacy, started_at, id)` indexes.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn summaries(&self, q: SummaryQuery) -> StoreResult<Vec<ActivityRecord>> {
        let mut filter = Document::new();
        if let Some(h) = &q.handle {
            filter.insert("handle", h);
        }
        if q.listed_only {
            filter.insert("privacy", doc! { "$in": LISTED.to_vec() });
        }
        let mut window = Document::new();
        if let Some(since) = q.since {
            // `>= since` written as `> since - 1` (the same set for
            // integers): SecantusDB 0.7 treats `$gte` as `$gt` on the
            // descending indexes (see `find_near`).
            window.insert("$gt", since.saturating_sub(1));
        }
        if let Some(until) = q.until {
            window.insert("$lt", until);
        }
        if !window.is_empty() {
            filter.insert("started_at", window);
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
        let docs: Vec<Document> = self
            .coll(coll::ACTIVITIES)
            .find(filter)
            .sort(doc! { "started_at": -1, "id": -1 })
            .projection(summary_projection())
            .limit(q.limit.clamp(1, MAX_SUMMARY_PAGE) as i64)
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        let decode = if q.lean {
            lean_summary_from
        } else {
            summary_from
        };
        docs.iter().map(decode).collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn find_by_hash(&self, handle: &str, source_hash: &str) -> StoreResult<Option<String>> {
        self.coll(coll::ACTIVITIES)
            .find_one(doc! { "handle": handle, "source_hash": source_hash })
            .projection(doc! { "id": 1 })
            .await
            .map_err(backend)?
            .map(|d| str_field(&d, coll::ACTIVITIES, "id"))
            .transpose()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_original(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        self.put_original_blob(handle, id, blob).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_original(&self, handle: &str, id: &str) -> StoreResult<Option<Blob>> {
        self.get_original_blob(handle, id).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_originals(&self, handle: &str) -> StoreResult<u64> {
        self.delete_originals_blob(handle).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_image(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        self.put_image_blob(handle, id, blob).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_images(&self, handle: &str, id: &str) -> StoreResult<Vec<String>> {
        self.list_images_blob(handle, id).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<Option<Blob>> {
        self.get_image_blob(handle, id, name).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<bool> {
        self.delete_image_blob(handle, id, name).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_user_images(&self, handle: &str) -> StoreResult<Vec<(String, String)>> {
        self.list_user_images_blob(handle).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
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

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn orphans(&self, remove: bool, cutoff: i64) -> StoreResult<Orphans> {
        self.find_orphans(remove, cutoff).await
    }
}
