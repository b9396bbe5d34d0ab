//! Activity sources on SQLite: tables `drop_folders` (one row per member),
//! `drop_files` (one row per `(handle, path)`: the version last claimed)
//! and `sync_runs` (the history, items as JSON text).
//!
//! A claim is one `BEGIN IMMEDIATE` transaction (read the row, decide,
//! write), so concurrent scans — threads or processes — serialise on the
//! write lock and exactly one wins a version. Rows go with the user (FK
//! cascade, plus explicit deletes in `delete_user`); writes for a handle
//! that has no user are no-ops, never orphans.

use bincio_core::model::{DropConfig, DropFile, SyncItem, SyncRun};
use bincio_core::store::{SourceStore, StoreError, StoreResult};
use rusqlite::{params, OptionalExtension};

use crate::pool::backend;
use crate::SqliteStore;

fn user_exists(c: &rusqlite::Connection, handle: &str) -> StoreResult<bool> {
    c.query_row(
        "SELECT 1 FROM users WHERE handle = ?1",
        [handle],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(backend)
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

#[async_trait::async_trait]
impl SourceStore for SqliteStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn drop_config(&self, handle: &str) -> StoreResult<DropConfig> {
        let handle = handle.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT folder, last_scan_at FROM drop_folders WHERE handle = ?1",
                [&handle],
                |r| {
                    Ok(DropConfig {
                        folder: r.get(0)?,
                        last_scan_at: r.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_drop_folder(&self, handle: &str, folder: Option<&str>) -> StoreResult<bool> {
        let (handle, folder) = (handle.to_owned(), folder.map(str::to_owned));
        self.write(move |tx| {
            if !user_exists(tx, &handle)? {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO drop_folders (handle, folder) VALUES (?1, ?2)
                 ON CONFLICT(handle) DO UPDATE SET folder = excluded.folder",
                params![handle, folder],
            )
            .map_err(backend)?;
            Ok(true)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn mark_drop_scanned(&self, handle: &str, at: i64) -> StoreResult<()> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO drop_folders (handle, last_scan_at)
                 SELECT handle, ?2 FROM users WHERE handle = ?1
                 ON CONFLICT(handle) DO UPDATE SET last_scan_at = excluded.last_scan_at",
                params![handle, at],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn drop_files(&self, handle: &str) -> StoreResult<Vec<DropFile>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT path, size, mtime_ms, hash, claimed_at, done FROM drop_files
                     WHERE handle = ?1 ORDER BY path",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([&handle], |r| {
                    Ok(DropFile {
                        path: r.get(0)?,
                        size: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        mtime_ms: r.get(2)?,
                        hash: r.get(3)?,
                        claimed_at: r.get(4)?,
                        done: r.get(5)?,
                    })
                })
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            Ok(rows)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn claim_drop_file(
        &self,
        handle: &str,
        file: &DropFile,
        lease_s: i64,
    ) -> StoreResult<bool> {
        let (handle, f) = (handle.to_owned(), file.clone());
        let size = i64::try_from(f.size)
            .map_err(|_| StoreError::Backend(format!("{}: size out of range", f.path)))?;
        self.write(move |tx| {
            if !user_exists(tx, &handle)? {
                return Ok(false);
            }
            let stored: Option<(String, i64, bool)> = tx
                .query_row(
                    "SELECT hash, claimed_at, done FROM drop_files
                     WHERE handle = ?1 AND path = ?2",
                    params![handle, f.path],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            let claim = match &stored {
                None => true,
                Some((hash, _, _)) if *hash != f.hash => true,
                Some((_, claimed_at, done)) => !done && *claimed_at < f.claimed_at - lease_s,
            };
            if claim {
                tx.execute(
                    "INSERT INTO drop_files (handle, path, size, mtime_ms, hash, claimed_at, done)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
                     ON CONFLICT(handle, path) DO UPDATE SET size = excluded.size,
                        mtime_ms = excluded.mtime_ms, hash = excluded.hash,
                        claimed_at = excluded.claimed_at, done = 0",
                    params![handle, f.path, size, f.mtime_ms, f.hash, f.claimed_at],
                )
                .map_err(backend)?;
            } else {
                tx.execute(
                    "UPDATE drop_files SET size = ?3, mtime_ms = ?4
                     WHERE handle = ?1 AND path = ?2",
                    params![handle, f.path, size, f.mtime_ms],
                )
                .map_err(backend)?;
            }
            Ok(claim)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn finish_drop_file(&self, handle: &str, path: &str, hash: &str) -> StoreResult<()> {
        let (handle, path, hash) = (handle.to_owned(), path.to_owned(), hash.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE drop_files SET done = 1 WHERE handle = ?1 AND path = ?2 AND hash = ?3",
                params![handle, path, hash],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn record_sync_run(&self, run: &SyncRun, keep: usize) -> StoreResult<()> {
        let run = run.clone();
        let items = serde_json::to_string(&run.items)
            .map_err(|e| StoreError::Backend(format!("encoding sync run items: {e}")))?;
        let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
        self.write(move |tx| {
            if !user_exists(tx, &run.handle)? {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO sync_runs (id, handle, source, started_at, finished_at,
                    imported, duplicates, errors, items)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.id,
                    run.handle,
                    run.source,
                    run.started_at,
                    run.finished_at,
                    run.imported,
                    run.duplicates,
                    run.errors,
                    items
                ],
            )
            .map_err(|e| {
                if crate::pool::is_unique_violation(&e) {
                    StoreError::Conflict(format!("sync run {}", run.id))
                } else {
                    backend(e)
                }
            })?;
            tx.execute(
                "DELETE FROM sync_runs WHERE handle = ?1 AND id NOT IN (
                    SELECT id FROM sync_runs WHERE handle = ?1
                    ORDER BY started_at DESC, id DESC LIMIT ?2)",
                params![run.handle, keep],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn sync_runs(&self, handle: &str, limit: usize) -> StoreResult<Vec<SyncRun>> {
        let handle = handle.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT id, handle, source, started_at, finished_at, imported, duplicates,
                        errors, items FROM sync_runs WHERE handle = ?1
                     ORDER BY started_at DESC, id DESC LIMIT ?2",
                )
                .map_err(backend)?;
            let rows: Vec<(SyncRun, String)> = s
                .query_map(params![handle, limit], |r| {
                    Ok((
                        SyncRun {
                            id: r.get(0)?,
                            handle: r.get(1)?,
                            source: r.get(2)?,
                            started_at: r.get(3)?,
                            finished_at: r.get(4)?,
                            imported: count(r.get(5)?),
                            duplicates: count(r.get(6)?),
                            errors: count(r.get(7)?),
                            items: Vec::new(),
                        },
                        r.get(8)?,
                    ))
                })
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            rows.into_iter()
                .map(|(mut run, items)| {
                    run.items = serde_json::from_str::<Vec<SyncItem>>(&items).map_err(|e| {
                        StoreError::Corrupt(format!("sync_runs.items of {}: {e}", run.id))
                    })?;
                    Ok(run)
                })
                .collect()
        })
        .await
    }
}
