//! Originals and photos (`activity_blobs` manifests keyed
//! `"<aid>/original"` / `"<aid>/image/<name>"`): the bodies of the blob
//! methods of `ActivityStore`, which `super` delegates to.

use bincio_core::model::Blob;
use bincio_core::store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;

use super::codec::{image_key, original_key};
use super::READ_RETRIES;
use crate::bsonx::{i64_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

impl MongoStore {
    /// A blob by manifest `_id`, retried if a replacement swapped it while
    /// reading.
    pub(super) async fn get_blob(&self, key: &str) -> StoreResult<Option<Blob>> {
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

    pub(super) fn blob_manifest(
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
    pub(super) async fn undo_if_orphan(
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

    /// Bytes first (chunks), then ONE upsert replaces the manifest (its
    /// `_id` is `"<aid>/original"`, so there is exactly one per activity);
    /// the replaced manifest's chunks are dropped afterwards.
    pub(super) async fn put_original_blob(
        &self,
        handle: &str,
        id: &str,
        blob: Blob,
    ) -> StoreResult<()> {
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

    pub(super) async fn get_original_blob(
        &self,
        handle: &str,
        id: &str,
    ) -> StoreResult<Option<Blob>> {
        match self.aid_of(handle, id).await? {
            Some(aid) => self.get_blob(&original_key(aid)).await,
            None => Ok(None),
        }
    }

    pub(super) async fn delete_originals_blob(&self, handle: &str) -> StoreResult<u64> {
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
    pub(super) async fn put_image_blob(
        &self,
        handle: &str,
        id: &str,
        blob: Blob,
    ) -> StoreResult<()> {
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

    pub(super) async fn list_images_blob(
        &self,
        handle: &str,
        id: &str,
    ) -> StoreResult<Vec<String>> {
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

    pub(super) async fn get_image_blob(
        &self,
        handle: &str,
        id: &str,
        name: &str,
    ) -> StoreResult<Option<Blob>> {
        match self.aid_of(handle, id).await? {
            Some(aid) => self.get_blob(&image_key(aid, name)).await,
            None => Ok(None),
        }
    }

    pub(super) async fn delete_image_blob(
        &self,
        handle: &str,
        id: &str,
        name: &str,
    ) -> StoreResult<bool> {
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

    pub(super) async fn list_user_images_blob(
        &self,
        handle: &str,
    ) -> StoreResult<Vec<(String, String)>> {
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
}
