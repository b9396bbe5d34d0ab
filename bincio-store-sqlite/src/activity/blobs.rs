//! Originals and photos (`activity_blobs`): the bodies of the blob methods
//! of `ActivityStore`, which `super` delegates to.

use bincio_core::model::Blob;
use bincio_core::store::StoreResult;
use rusqlite::{params, OptionalExtension};

use super::codec::map_fk;
use crate::pool::backend;
use crate::SqliteStore;

impl SqliteStore {
    pub(super) async fn put_original_blob(
        &self,
        handle: &str,
        id: &str,
        blob: Blob,
    ) -> StoreResult<()> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'original'",
                params![handle, id],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
                 VALUES (?1, ?2, 'original', ?3, ?4, ?5, ?6)",
                params![
                    handle,
                    id,
                    blob.name,
                    blob.content_type,
                    blob.bytes.len() as i64,
                    blob.bytes
                ],
            )
            .map_err(|e| map_fk(e, &format!("activity {id}")))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn get_original_blob(
        &self,
        handle: &str,
        id: &str,
    ) -> StoreResult<Option<Blob>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT name, content_type, bytes FROM activity_blobs
                 WHERE handle = ?1 AND id = ?2 AND kind = 'original'",
                params![handle, id],
                |r| {
                    Ok(Blob {
                        name: r.get(0)?,
                        content_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    pub(super) async fn delete_originals_blob(&self, handle: &str) -> StoreResult<u64> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            let freed: i64 = tx
                .query_row(
                    "SELECT COALESCE(SUM(size), 0) FROM activity_blobs WHERE handle = ?1 AND kind = 'original'",
                    [&handle],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND kind = 'original'",
                [&handle],
            )
            .map_err(backend)?;
            Ok(freed as u64)
        })
        .await
    }

    pub(super) async fn put_image_blob(
        &self,
        handle: &str,
        id: &str,
        blob: Blob,
    ) -> StoreResult<()> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
                 VALUES (?1, ?2, 'image', ?3, ?4, ?5, ?6)",
                params![
                    handle,
                    id,
                    blob.name,
                    blob.content_type,
                    blob.bytes.len() as i64,
                    blob.bytes
                ],
            )
            .map_err(|e| map_fk(e, &format!("image {} of activity {id}", blob.name)))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn list_images_blob(
        &self,
        handle: &str,
        id: &str,
    ) -> StoreResult<Vec<String>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT name FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'image'
                     ORDER BY name",
                )
                .map_err(backend)?;
            let rows = s.query_map(params![handle, id], |r| r.get(0)).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    pub(super) async fn get_image_blob(
        &self,
        handle: &str,
        id: &str,
        name: &str,
    ) -> StoreResult<Option<Blob>> {
        let (handle, id, name) = (handle.to_owned(), id.to_owned(), name.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT name, content_type, bytes FROM activity_blobs
                 WHERE handle = ?1 AND id = ?2 AND kind = 'image' AND name = ?3",
                params![handle, id, name],
                |r| {
                    Ok(Blob {
                        name: r.get(0)?,
                        content_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    pub(super) async fn delete_image_blob(
        &self,
        handle: &str,
        id: &str,
        name: &str,
    ) -> StoreResult<bool> {
        let (handle, id, name) = (handle.to_owned(), id.to_owned(), name.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'image' AND name = ?3",
                params![handle, id, name],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    pub(super) async fn list_user_images_blob(
        &self,
        handle: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, name FROM activity_blobs WHERE handle = ?1 AND kind = 'image'
                     ORDER BY id, name",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([handle], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }
}
