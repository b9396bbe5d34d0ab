//! `ActivityStore::orphans` on MongoDB: the leftovers a process killed
//! between the steps of a write or a deletion can leave (see the module
//! doc of `super`: writes go bytes first, then the document naming them;
//! deletions remove the activity first, then what hangs off it).
//!
//! Found by scanning ids only (never payload bytes):
//! * manifests (`activity_blobs`) whose `aid` names no activity (a blob
//!   is only written once its activity exists);
//! * tracks whose `aid` names no activity, or of a live activity that its `tracks_id` no longer names (a
//!   re-extraction that wrote new tracks and died before dropping the old);
//! * chunk groups (`activity_chunks.c`) that no manifest or tracks
//!   document names (bytes written, then the naming document never was).
//!
//! Pieces whose `ObjectId` (tracks `_id`, chunk group `c`) was minted at or
//! after `cutoff` may belong to a write still in progress and are left.

use std::collections::HashSet;

use bincio_core::model::Orphans;
use bincio_core::store::StoreResult;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use crate::connect::coll;
use crate::error::backend;
use crate::MongoStore;

/// Whether `oid` was minted before `cutoff` (unix seconds).
fn older(oid: &ObjectId, cutoff: i64) -> bool {
    oid.timestamp().timestamp_millis() / 1000 < cutoff
}

impl MongoStore {
    /// Every document of `name`, projected to `fields`.
    async fn ids(&self, name: &str, fields: Document) -> StoreResult<Vec<Document>> {
        self.coll(name)
            .find(doc! {})
            .projection(fields)
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)
    }

    pub(super) async fn find_orphans(&self, remove: bool, cutoff: i64) -> StoreResult<Orphans> {
        let oid = |d: &Document, k: &str| match d.get(k) {
            Some(Bson::ObjectId(o)) => Some(*o),
            _ => None,
        };
        let activities = self
            .ids(coll::ACTIVITIES, doc! { "_id": 1, "tracks_id": 1 })
            .await?;
        let alive: HashSet<ObjectId> = activities.iter().filter_map(|d| oid(d, "_id")).collect();
        let current_tracks: HashSet<ObjectId> = activities
            .iter()
            .filter_map(|d| oid(d, "tracks_id"))
            .collect();
        let mut found = Orphans::default();
        // Chunk groups still named, collected from what is kept.
        let mut named: HashSet<ObjectId> = HashSet::new();

        let tracks = self
            .ids(
                coll::ACTIVITY_TRACKS,
                doc! { "_id": 1, "aid": 1, "chunks": 1 },
            )
            .await?;
        for t in &tracks {
            let (Some(id), aid) = (oid(t, "_id"), oid(t, "aid")) else {
                continue;
            };
            // A new activity's tracks are written before the activity
            // (under the `aid` it is about to get): only old ones count.
            let owner_gone = aid.is_none_or(|a| !alive.contains(&a));
            let superseded = !current_tracks.contains(&id);
            if (owner_gone || superseded) && older(&id, cutoff) {
                found.tracks += 1;
                if remove {
                    self.coll(coll::ACTIVITY_TRACKS)
                        .delete_one(doc! { "_id": id })
                        .await
                        .map_err(backend)?;
                }
            } else if let Some(c) = oid(t, "chunks") {
                named.insert(c);
            }
        }

        let manifests = self
            .ids(
                coll::ACTIVITY_BLOBS,
                doc! { "_id": 1, "aid": 1, "chunks": 1 },
            )
            .await?;
        for m in &manifests {
            if oid(m, "aid").is_none_or(|a| !alive.contains(&a)) {
                found.blobs += 1;
                if remove {
                    let id = m.get("_id").cloned().unwrap_or(Bson::Null);
                    self.coll(coll::ACTIVITY_BLOBS)
                        .delete_one(doc! { "_id": id })
                        .await
                        .map_err(backend)?;
                }
            } else if let Some(c) = oid(m, "chunks") {
                named.insert(c);
            }
        }

        let groups: HashSet<ObjectId> = self
            .ids(coll::ACTIVITY_CHUNKS, doc! { "_id": 0, "c": 1 })
            .await?
            .iter()
            .filter_map(|d| oid(d, "c"))
            .collect();
        for c in groups {
            if named.contains(&c) || !older(&c, cutoff) {
                continue;
            }
            found.chunks += 1;
            if remove {
                self.drop_chunks(c).await?;
            }
        }
        Ok(found)
    }
}
