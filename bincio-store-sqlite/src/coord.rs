//! Cross-process coordination on SQLite: tables `coord_jobs`,
//! `coord_failures` and `coord_leases` (migration `0500_coord`), and
//! `coord_staged` (`0510_coord_staged`: a staged file is one row, taken
//! by one `DELETE … RETURNING`).
//!
//! Each deciding operation is one statement inside the writer's
//! `BEGIN IMMEDIATE` transaction, so processes sharing the file serialise
//! on SQLite's write lock: a failure count is one
//! `INSERT … ON CONFLICT DO UPDATE … RETURNING` (the window restarts or
//! grows in the same statement), a lease is an upsert whose `DO UPDATE`
//! applies only when the lease is free, expired or already the caller's
//! (one changed row ⇔ acquired).

use bincio_core::jobs::JobInfo;
use bincio_core::store::{CoordStore, FailureWindow, JobRow, StoreError, StoreResult};
use rusqlite::{params, OptionalExtension};

use crate::pool::{backend, is_unique_violation};
use crate::SqliteStore;

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn window(started: i64, failures: i64) -> FailureWindow {
    FailureWindow {
        started,
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
    }
}

#[async_trait::async_trait]
impl CoordStore for SqliteStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_job(&self, job: &JobRow) -> StoreResult<()> {
        let j = job.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO coord_jobs
                   (id, owner, user, kind, started_at, total, done, current, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(id) DO UPDATE SET
                   user = excluded.user, kind = excluded.kind,
                   started_at = excluded.started_at, total = excluded.total,
                   done = excluded.done, current = excluded.current,
                   expires_at = excluded.expires_at
                 WHERE coord_jobs.owner = excluded.owner",
                params![
                    j.info.id,
                    j.owner,
                    j.info.user,
                    j.info.kind,
                    j.info.started_at,
                    i64_of(j.info.total),
                    i64_of(j.info.done),
                    j.info.current,
                    j.expires_at
                ],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_job(&self, id: &str, owner: &str) -> StoreResult<bool> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM coord_jobs WHERE id = ?1 AND owner = ?2",
                params![id, owner],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_jobs(&self, now: i64) -> StoreResult<Vec<JobRow>> {
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT id, owner, user, kind, started_at, total, done, current, expires_at
                     FROM coord_jobs WHERE expires_at > ?1 ORDER BY started_at, id",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([now], |r| {
                    Ok(JobRow {
                        info: JobInfo {
                            id: r.get(0)?,
                            user: r.get(2)?,
                            kind: r.get(3)?,
                            started_at: r.get(4)?,
                            total: u64_of(r.get(5)?),
                            done: u64_of(r.get(6)?),
                            current: r.get(7)?,
                        },
                        owner: r.get(1)?,
                        expires_at: r.get(8)?,
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
    async fn purge_jobs(&self, now: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            tx.execute("DELETE FROM coord_jobs WHERE expires_at <= ?1", [now])
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn count_failure(
        &self,
        key: &str,
        now: i64,
        window_s: i64,
    ) -> StoreResult<FailureWindow> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.query_row(
                "INSERT INTO coord_failures (key, started, failures) VALUES (?1, ?2, 1)
                 ON CONFLICT(key) DO UPDATE SET
                   started = CASE WHEN started <= ?2 - ?3 THEN ?2 ELSE started END,
                   failures = CASE WHEN started <= ?2 - ?3 THEN 1 ELSE failures + 1 END
                 RETURNING started, failures",
                params![key, now, window_s],
                |r| Ok(window(r.get(0)?, r.get(1)?)),
            )
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn failure_windows(
        &self,
        keys: &[String],
        now: i64,
        window_s: i64,
    ) -> StoreResult<Vec<Option<FailureWindow>>> {
        let keys = keys.to_vec();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT started, failures FROM coord_failures
                     WHERE key = ?1 AND started > ?2 - ?3",
                )
                .map_err(backend)?;
            keys.iter()
                .map(|k| {
                    s.query_row(params![k, now, window_s], |r| {
                        Ok(window(r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(backend)
                })
                .collect()
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_failures(&self, now: i64, window_s: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM coord_failures WHERE started <= ?1 - ?2",
                [now, window_s],
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        ttl_s: i64,
    ) -> StoreResult<bool> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO coord_leases (name, owner, expires_at) VALUES (?1, ?2, ?3 + ?4)
                 ON CONFLICT(name) DO UPDATE SET
                   owner = excluded.owner, expires_at = excluded.expires_at
                 WHERE coord_leases.owner = excluded.owner OR coord_leases.expires_at <= ?3",
                params![name, owner, now, ttl_s],
            )
            .map(|n| n == 1)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn lease(&self, name: &str, now: i64) -> StoreResult<Option<(String, i64)>> {
        let name = name.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT owner, expires_at FROM coord_leases WHERE name = ?1 AND expires_at > ?2",
                params![name, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn release_lease(&self, name: &str, owner: &str) -> StoreResult<bool> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM coord_leases WHERE name = ?1 AND owner = ?2",
                params![name, owner],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_staged(
        &self,
        id: &str,
        label: &str,
        bytes: &[u8],
        expires_at: i64,
    ) -> StoreResult<()> {
        let (id, label, bytes) = (id.to_owned(), label.to_owned(), bytes.to_vec());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO coord_staged (id, label, bytes, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, label, bytes, expires_at],
            )
            .map(|_| ())
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("staged file {id}"))
                } else {
                    backend(e)
                }
            })
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn take_staged(&self, id: &str, now: i64) -> StoreResult<Option<(String, Vec<u8>)>> {
        let id = id.to_owned();
        self.write(move |tx| {
            let row: Option<(String, Vec<u8>, i64)> = tx
                .query_row(
                    "DELETE FROM coord_staged WHERE id = ?1 RETURNING label, bytes, expires_at",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(backend)?;
            Ok(row
                .filter(|(_, _, exp)| *exp > now)
                .map(|(label, bytes, _)| (label, bytes)))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_staged(&self, now: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            tx.execute("DELETE FROM coord_staged WHERE expires_at <= ?1", [now])
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }
}
