//! Look-ups and bookkeeping shared by the activity methods: an activity's
//! `_id`, whether it (or its owner) still exists, record queries, the
//! per-user change counter.

use bincio_core::model::ActivityRecord;
use bincio_core::store::{ActivityStore, InsertOutcome, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};

use super::codec::{oid_field, record_from, record_projection};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

impl MongoStore {
    /// `_id` of the activity `(handle, id)`.
    pub(super) async fn aid_of(&self, handle: &str, id: &str) -> StoreResult<Option<ObjectId>> {
        let d = self
            .coll(coll::ACTIVITIES)
            .find_one(doc! { "handle": handle, "id": id })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?;
        d.map(|d| oid_field(&d, coll::ACTIVITIES, "_id"))
            .transpose()
    }

    pub(super) async fn activity_alive(&self, aid: ObjectId) -> StoreResult<bool> {
        Ok(self
            .coll(coll::ACTIVITIES)
            .find_one(doc! { "_id": aid })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }

    pub(super) async fn user_exists(&self, handle: &str) -> StoreResult<bool> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }

    /// Everything hanging off an activity (after its document is gone).
    pub(super) async fn drop_dependents(&self, aid: ObjectId) -> StoreResult<()> {
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

    /// Which unique key an insert of `rec` collided with; `None` if the
    /// colliding activity is gone by now (the caller retries).
    pub(super) async fn which_duplicate(
        &self,
        rec: &ActivityRecord,
    ) -> StoreResult<Option<InsertOutcome>> {
        if let Some(id) = ActivityStore::find_by_hash(self, &rec.handle, &rec.source_hash).await? {
            return Ok(Some(InsertOutcome::DuplicateHash(id)));
        }
        if self.aid_of(&rec.handle, &rec.id).await?.is_some() {
            return Ok(Some(InsertOutcome::IdTaken));
        }
        Ok(None)
    }

    pub(super) async fn records(
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

    /// Every document of collection `c` matching `filter`, projected.
    pub(super) async fn find_all(
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

    /// Bump the user's change counter; called *after* a write succeeded
    /// (see the trait: readers take the counter before the documents).
    pub(super) async fn bump_generation(&self, handle: &str) -> StoreResult<()> {
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
