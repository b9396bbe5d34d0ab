//! Activity sources on MongoDB: collections `drop_folders` (`_id` = the
//! handle), `drop_files` (`_id` = `<handle>/<path>`, one document per
//! path: the version last claimed) and `sync_runs` (`_id` = the run id,
//! items as an array of sub-documents).
//!
//! A claim is one `find_one_and_update` with upsert whose filter holds the
//! condition (the hash differs, or the claim is stale): when a document for
//! the path exists but the condition fails, the upsert's insert hits the
//! `_id` and is refused (E11000), so among concurrent scans exactly one
//! claims a version, without transactions. History pruning after an insert
//! deletes every run older than the `keep`-th newest: concurrent inserts
//! converge to the same bound.

use bincio_core::model::{DropConfig, DropFile, SyncItem, SyncRun};
use bincio_core::store::{SourceStore, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};

use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

pub(crate) const DROP_FOLDERS: &str = "drop_folders";
pub(crate) const DROP_FILES: &str = "drop_files";
pub(crate) const SYNC_RUNS: &str = "sync_runs";

fn file_id(handle: &str, path: &str) -> String {
    format!("{handle}/{path}")
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn int(d: &Document, k: &str) -> i64 {
    match d.get(k) {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

fn text(d: &Document, k: &str) -> Option<String> {
    d.get_str(k).ok().map(str::to_owned)
}

impl MongoStore {
    /// Remove every source document of a user (from `delete_user`).
    pub(crate) async fn delete_user_sources(&self, handle: &str) -> StoreResult<()> {
        self.coll(DROP_FOLDERS)
            .delete_one(doc! { "_id": handle })
            .await
            .map_err(backend)?;
        for c in [DROP_FILES, SYNC_RUNS] {
            self.coll(c)
                .delete_many(doc! { "handle": handle })
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn member_exists(&self, handle: &str) -> StoreResult<bool> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }
}

#[async_trait::async_trait]
impl SourceStore for MongoStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn drop_config(&self, handle: &str) -> StoreResult<DropConfig> {
        let d = self
            .coll(DROP_FOLDERS)
            .find_one(doc! { "_id": handle })
            .await
            .map_err(backend)?;
        Ok(d.map(|d| DropConfig {
            folder: text(&d, "folder"),
            last_scan_at: d.get("last_scan_at").map(|_| int(&d, "last_scan_at")),
        })
        .unwrap_or_default())
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_drop_folder(&self, handle: &str, folder: Option<&str>) -> StoreResult<bool> {
        if !self.member_exists(handle).await? {
            return Ok(false);
        }
        let update = match folder {
            Some(f) => doc! { "$set": { "folder": f } },
            None => doc! { "$unset": { "folder": "" } },
        };
        self.coll(DROP_FOLDERS)
            .update_one(doc! { "_id": handle }, update)
            .upsert(true)
            .await
            .map_err(backend)?;
        Ok(true)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn mark_drop_scanned(&self, handle: &str, at: i64) -> StoreResult<()> {
        if !self.member_exists(handle).await? {
            return Ok(());
        }
        self.coll(DROP_FOLDERS)
            .update_one(
                doc! { "_id": handle },
                doc! { "$set": { "last_scan_at": at } },
            )
            .upsert(true)
            .await
            .map_err(backend)?;
        Ok(())
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn drop_files(&self, handle: &str) -> StoreResult<Vec<DropFile>> {
        let docs: Vec<Document> = self
            .coll(DROP_FILES)
            .find(doc! { "handle": handle })
            .sort(doc! { "path": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.into_iter()
            .map(|d| {
                Ok(DropFile {
                    path: text(&d, "path").ok_or_else(|| corrupt("drop_files", "no path"))?,
                    size: u64::try_from(int(&d, "size")).unwrap_or(0),
                    mtime_ms: int(&d, "mtime_ms"),
                    hash: text(&d, "hash").ok_or_else(|| corrupt("drop_files", "no hash"))?,
                    claimed_at: int(&d, "claimed_at"),
                    done: d.get_bool("done").unwrap_or(false),
                })
            })
            .collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn claim_drop_file(
        &self,
        handle: &str,
        file: &DropFile,
        lease_s: i64,
    ) -> StoreResult<bool> {
        if !self.member_exists(handle).await? {
            return Ok(false);
        }
        let size = i64::try_from(file.size)
            .map_err(|_| StoreError::Backend(format!("{}: size out of range", file.path)))?;
        let id = file_id(handle, &file.path);
        let claimed = self
            .coll(DROP_FILES)
            .update_one(
                doc! {
                    "_id": &id,
                    "$or": [
                        { "hash": { "$ne": &file.hash } },
                        { "done": false, "claimed_at": { "$lt": file.claimed_at - lease_s } },
                    ],
                },
                doc! { "$set": {
                    "handle": handle, "path": &file.path, "size": size,
                    "mtime_ms": file.mtime_ms, "hash": &file.hash,
                    "claimed_at": file.claimed_at, "done": false,
                } },
            )
            .upsert(true)
            .await;
        match claimed {
            Ok(r) if r.matched_count > 0 || r.upserted_id.is_some() => Ok(true),
            Ok(_) => Ok(false),
            Err(e) if is_duplicate_key(&e) => {
                // Same content claimed already: remember the touched
                // version so the next scan skips it unread.
                self.coll(DROP_FILES)
                    .update_one(
                        doc! { "_id": &id, "hash": &file.hash },
                        doc! { "$set": { "size": size, "mtime_ms": file.mtime_ms } },
                    )
                    .await
                    .map_err(backend)?;
                Ok(false)
            }
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn finish_drop_file(&self, handle: &str, path: &str, hash: &str) -> StoreResult<()> {
        self.coll(DROP_FILES)
            .update_one(
                doc! { "_id": file_id(handle, path), "hash": hash },
                doc! { "$set": { "done": true } },
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn record_sync_run(&self, run: &SyncRun, keep: usize) -> StoreResult<()> {
        if !self.member_exists(&run.handle).await? {
            return Ok(());
        }
        let items: Vec<Document> = run
            .items
            .iter()
            .map(|i| {
                let mut d = doc! { "name": &i.name, "status": &i.status };
                if let Some(id) = &i.id {
                    d.insert("id", id);
                }
                if let Some(detail) = &i.detail {
                    d.insert("detail", detail);
                }
                d
            })
            .collect();
        let runs = self.coll(SYNC_RUNS);
        runs.insert_one(doc! {
            "_id": &run.id, "handle": &run.handle, "source": &run.source,
            "started_at": run.started_at, "finished_at": run.finished_at,
            "imported": i64::from(run.imported), "duplicates": i64::from(run.duplicates),
            "errors": i64::from(run.errors), "items": items,
        })
        .await
        .map_err(|e| {
            if is_duplicate_key(&e) {
                StoreError::Conflict(format!("sync run {}", run.id))
            } else {
                backend(e)
            }
        })?;
        let skip = u64::try_from(keep.max(1) - 1).unwrap_or(u64::MAX);
        let oldest_kept = runs
            .find_one(doc! { "handle": &run.handle })
            .sort(doc! { "started_at": -1, "_id": -1 })
            .skip(skip)
            .projection(doc! { "started_at": 1 })
            .await
            .map_err(backend)?;
        if let Some(d) = oldest_kept {
            let (at, id) = (int(&d, "started_at"), d.get_str("_id").unwrap_or_default());
            runs.delete_many(doc! {
                "handle": &run.handle,
                "$or": [
                    { "started_at": { "$lt": at } },
                    { "started_at": at, "_id": { "$lt": id } },
                ],
            })
            .await
            .map_err(backend)?;
        }
        Ok(())
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn sync_runs(&self, handle: &str, limit: usize) -> StoreResult<Vec<SyncRun>> {
        let docs: Vec<Document> = self
            .coll(SYNC_RUNS)
            .find(doc! { "handle": handle })
            .sort(doc! { "started_at": -1, "_id": -1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.into_iter()
            .map(|d| {
                let items = match d.get_array("items") {
                    Ok(a) => a
                        .iter()
                        .map(|b| match b {
                            Bson::Document(i) => Ok(SyncItem {
                                name: text(i, "name").unwrap_or_default(),
                                status: text(i, "status").unwrap_or_default(),
                                id: text(i, "id"),
                                detail: text(i, "detail"),
                            }),
                            _ => Err(corrupt("sync_runs.items", "not a document")),
                        })
                        .collect::<StoreResult<_>>()?,
                    Err(e) => return Err(corrupt("sync_runs.items", e)),
                };
                let n = |k: &str| u32::try_from(int(&d, k)).unwrap_or(0);
                Ok(SyncRun {
                    id: text(&d, "_id").ok_or_else(|| corrupt("sync_runs", "no _id"))?,
                    handle: text(&d, "handle").unwrap_or_default(),
                    source: text(&d, "source").unwrap_or_default(),
                    started_at: int(&d, "started_at"),
                    finished_at: int(&d, "finished_at"),
                    imported: n("imported"),
                    duplicates: n("duplicates"),
                    errors: n("errors"),
                    items,
                })
            })
            .collect()
    }
}
