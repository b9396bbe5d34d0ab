//! Payloads (tracks documents, originals, photos): inline in their manifest
//! when small, else chunks in `activity_chunks` written *before* the
//! manifest that names them, so a manifest is never visible before its
//! bytes; readers retry when a replacement swapped what they read.

use bincio_core::model::ActivityTracks;
use bincio_core::store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, spec::BinarySubtype, Binary, Bson, Document};

use super::codec::{oid_field, tracks_bytes};
use super::READ_RETRIES;
use crate::bsonx::i64_field;
use crate::connect::coll;
use crate::error::backend;
use crate::MongoStore;

/// Chunk size of large payloads (and the largest inline payload).
pub(super) const CHUNK: usize = 4 * 1024 * 1024;

impl MongoStore {
    /// Store `bytes` for a manifest: inline when small, else as chunks
    /// (written now, before the manifest). Returns the manifest fields.
    pub(super) async fn put_payload(
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

    pub(super) async fn drop_chunks(&self, c: ObjectId) -> StoreResult<()> {
        self.coll(coll::ACTIVITY_CHUNKS)
            .delete_many(doc! { "c": c })
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Remove the chunks a manifest names (inline payloads need nothing).
    pub(super) async fn drop_payload(&self, manifest: &Document) -> StoreResult<()> {
        if let Some(Bson::ObjectId(c)) = manifest.get("chunks") {
            self.drop_chunks(*c).await?;
        }
        Ok(())
    }

    /// The bytes a manifest names; `None` if its chunks are gone or
    /// incomplete (the manifest was replaced or deleted meanwhile).
    pub(super) async fn get_payload(
        &self,
        manifest: &Document,
        c_name: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
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

    pub(super) async fn write_tracks(
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

    pub(super) async fn drop_tracks(&self, tid: ObjectId) -> StoreResult<()> {
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

    /// The JSON payload of an activity's current tracks document (retrying
    /// when a concurrent replacement swapped it while we read).
    pub(super) async fn tracks_payload(
        &self,
        handle: &str,
        id: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
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
}
