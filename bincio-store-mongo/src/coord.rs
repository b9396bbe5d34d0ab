//! Cross-process coordination on MongoDB: collections `coord_jobs`
//! (`_id` = the job id), `coord_failures` (`_id` = the limiter's key) and
//! `coord_leases` (`_id` = the lease name). No transactions: every decision
//! is one single-document operation, atomic on the server.
//!
//! * A failure count tries, in turn: `$inc` of a current window (filter
//!   `started > now - window`); a reset of a stale one (filter
//!   `started <= now - window`, so among concurrent resetters one matches
//!   and the others find a current window on their next turn); an insert
//!   (a duplicate key means another process inserted first: go round
//!   again). Every step that changes the document counts exactly one.
//! * A lease is an upsert whose filter holds the condition (ours, or
//!   expired): when a document exists but the condition fails, the
//!   upsert's insert hits the `_id` and is refused (E11000) — not acquired.
//! * A job row is upserted under `{_id, owner}`: a row of another owner
//!   with the same id makes the insert fail on `_id`, and is left alone.
//! * A staged file is its bytes in `coord_staged_chunks` (`_id` =
//!   `"<id>/<n>"`, at most [`STAGED_CHUNK`] bytes each: a document holds
//!   16 MiB, a staged CSV up to 32 MiB) written *before* its manifest in
//!   `coord_staged` (`_id` = the id), so nothing is visible before all of
//!   it; `take` is a `find_one_and_delete` of the manifest (one taker
//!   wins), then the chunks are read and dropped. Chunks carry the
//!   expiry too, so a writer that died before its manifest leaves nothing
//!   a purge does not remove.

use bincio_core::jobs::JobInfo;
use bincio_core::store::{CoordStore, FailureWindow, JobRow, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, spec::BinarySubtype, Binary, Bson, Document};
use mongodb::options::ReturnDocument;

use crate::bsonx::{i64_field, str_field};
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

pub(crate) const JOBS: &str = "coord_jobs";
pub(crate) const FAILURES: &str = "coord_failures";
pub(crate) const LEASES: &str = "coord_leases";
pub(crate) const STAGED: &str = "coord_staged";
pub(crate) const STAGED_CHUNKS: &str = "coord_staged_chunks";

/// Bytes per staged-file chunk (well under the 16 MiB document limit).
const STAGED_CHUNK: usize = 8 * 1024 * 1024;

/// Rounds of a failure count before giving up (each lost round means
/// another process changed the window meanwhile).
const COUNT_TRIES: usize = 8;

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn job_row(d: &Document) -> StoreResult<JobRow> {
    let num = |f: &str| i64_field(d, JOBS, f).map(|n| u64::try_from(n).unwrap_or(0));
    Ok(JobRow {
        info: JobInfo {
            id: str_field(d, JOBS, "_id")?,
            user: str_field(d, JOBS, "user")?,
            kind: str_field(d, JOBS, "kind")?,
            started_at: i64_field(d, JOBS, "started_at")?,
            total: num("total")?,
            done: num("done")?,
            current: str_field(d, JOBS, "current")?,
        },
        owner: str_field(d, JOBS, "owner")?,
        expires_at: i64_field(d, JOBS, "expires_at")?,
    })
}

fn window(d: &Document) -> StoreResult<FailureWindow> {
    Ok(FailureWindow {
        started: i64_field(d, FAILURES, "started")?,
        failures: u32::try_from(i64_field(d, FAILURES, "failures")?).unwrap_or(u32::MAX),
    })
}

#[async_trait::async_trait]
impl CoordStore for MongoStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_job(&self, job: &JobRow) -> StoreResult<()> {
        let j = &job.info;
        let r = self
            .coll(JOBS)
            .update_one(
                doc! { "_id": &j.id, "owner": &job.owner },
                doc! { "$set": {
                    "user": &j.user, "kind": &j.kind, "started_at": j.started_at,
                    "total": i64_of(j.total), "done": i64_of(j.done),
                    "current": &j.current, "expires_at": job.expires_at,
                } },
            )
            .upsert(true)
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_job(&self, id: &str, owner: &str) -> StoreResult<bool> {
        let r = self
            .coll(JOBS)
            .delete_one(doc! { "_id": id, "owner": owner })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_jobs(&self, now: i64) -> StoreResult<Vec<JobRow>> {
        let docs: Vec<Document> = self
            .coll(JOBS)
            .find(doc! { "expires_at": { "$gt": now } })
            .sort(doc! { "started_at": 1, "_id": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(job_row).collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_jobs(&self, now: i64) -> StoreResult<u64> {
        let r = self
            .coll(JOBS)
            .delete_many(doc! { "expires_at": { "$lte": now } })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn count_failure(
        &self,
        key: &str,
        now: i64,
        window_s: i64,
    ) -> StoreResult<FailureWindow> {
        let c = self.coll(FAILURES);
        let cut = now.saturating_sub(window_s);
        for _ in 0..COUNT_TRIES {
            let grown = c
                .find_one_and_update(
                    doc! { "_id": key, "started": { "$gt": cut } },
                    doc! { "$inc": { "failures": 1_i64 } },
                )
                .return_document(ReturnDocument::After)
                .await
                .map_err(backend)?;
            if let Some(d) = grown {
                return window(&d);
            }
            let reset = c
                .update_one(
                    doc! { "_id": key, "started": { "$lte": cut } },
                    doc! { "$set": { "started": now, "failures": 1_i64 } },
                )
                .await
                .map_err(backend)?;
            if reset.modified_count > 0 {
                return Ok(FailureWindow {
                    started: now,
                    failures: 1,
                });
            }
            if reset.matched_count > 0 {
                // Matched but not modified: another reset wrote the very
                // same values at the same second; ours did not count.
                continue;
            }
            match c
                .insert_one(doc! { "_id": key, "started": now, "failures": 1_i64 })
                .await
            {
                Ok(_) => {
                    return Ok(FailureWindow {
                        started: now,
                        failures: 1,
                    })
                }
                Err(e) if is_duplicate_key(&e) => continue,
                Err(e) => return Err(backend(e)),
            }
        }
        Err(StoreError::Backend(format!(
            "counting a failure of {key}: the window kept changing"
        )))
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn failure_windows(
        &self,
        keys: &[String],
        now: i64,
        window_s: i64,
    ) -> StoreResult<Vec<Option<FailureWindow>>> {
        let docs: Vec<Document> = self
            .coll(FAILURES)
            .find(doc! {
                "_id": { "$in": keys },
                "started": { "$gt": now.saturating_sub(window_s) },
            })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        keys.iter()
            .map(|k| {
                docs.iter()
                    .find(|d| d.get_str("_id").ok() == Some(k.as_str()))
                    .map(window)
                    .transpose()
            })
            .collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_failures(&self, now: i64, window_s: i64) -> StoreResult<u64> {
        let r = self
            .coll(FAILURES)
            .delete_many(doc! { "started": { "$lte": now.saturating_sub(window_s) } })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        ttl_s: i64,
    ) -> StoreResult<bool> {
        let r = self
            .coll(LEASES)
            .update_one(
                doc! {
                    "_id": name,
                    "$or": [ { "owner": owner }, { "expires_at": { "$lte": now } } ],
                },
                doc! { "$set": { "owner": owner, "expires_at": now.saturating_add(ttl_s) } },
            )
            .upsert(true)
            .await;
        match r {
            Ok(r) => Ok(r.matched_count > 0 || r.upserted_id.is_some()),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn lease(&self, name: &str, now: i64) -> StoreResult<Option<(String, i64)>> {
        let d = self
            .coll(LEASES)
            .find_one(doc! { "_id": name, "expires_at": { "$gt": now } })
            .await
            .map_err(backend)?;
        d.map(|d| {
            Ok((
                str_field(&d, LEASES, "owner")?,
                i64_field(&d, LEASES, "expires_at")?,
            ))
        })
        .transpose()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn release_lease(&self, name: &str, owner: &str) -> StoreResult<bool> {
        let r = self
            .coll(LEASES)
            .delete_one(doc! { "_id": name, "owner": owner })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_staged(
        &self,
        id: &str,
        label: &str,
        bytes: &[u8],
        expires_at: i64,
    ) -> StoreResult<()> {
        let chunks = self.coll(STAGED_CHUNKS);
        let mut n = 0_i64;
        let taken = || StoreError::Conflict(format!("staged file {id}"));
        for part in bytes.chunks(STAGED_CHUNK) {
            // Inserts, never replaces: the chunks of a staged file under
            // the same id are left alone (the manifest insert below would
            // be refused anyway).
            let chunk = doc! {
                "_id": format!("{id}/{n}"), "sid": id, "n": n,
                "data": Binary { subtype: BinarySubtype::Generic, bytes: part.to_vec() },
                "expires_at": expires_at,
            };
            match chunks.insert_one(chunk).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Err(taken()),
                Err(e) => return Err(backend(e)),
            }
            n += 1;
        }
        let manifest = doc! {
            "_id": id, "label": label, "size": i64_of(bytes.len() as u64), "nchunks": n,
            "expires_at": expires_at,
        };
        match self.coll(STAGED).insert_one(manifest).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(taken()),
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn take_staged(&self, id: &str, now: i64) -> StoreResult<Option<(String, Vec<u8>)>> {
        let Some(m) = self
            .coll(STAGED)
            .find_one_and_delete(doc! { "_id": id })
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let parts: Vec<Document> = self
            .coll(STAGED_CHUNKS)
            .find(doc! { "sid": id })
            .sort(doc! { "n": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        self.coll(STAGED_CHUNKS)
            .delete_many(doc! { "sid": id })
            .await
            .map_err(backend)?;
        if i64_field(&m, STAGED, "expires_at")? <= now {
            return Ok(None);
        }
        let size = usize::try_from(i64_field(&m, STAGED, "size")?).unwrap_or(0);
        let mut bytes = Vec::with_capacity(size);
        for (i, p) in parts.iter().enumerate() {
            match (p.get("n"), p.get("data")) {
                (Some(Bson::Int64(n)), Some(Bson::Binary(b))) if *n == i as i64 => {
                    bytes.extend_from_slice(&b.bytes);
                }
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "{STAGED_CHUNKS}: {id} chunk {i}"
                    )))
                }
            }
        }
        if bytes.len() != size {
            return Err(StoreError::Corrupt(format!(
                "{STAGED}: {id} holds {} of {size} bytes",
                bytes.len()
            )));
        }
        Ok(Some((str_field(&m, STAGED, "label")?, bytes)))
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_staged(&self, now: i64) -> StoreResult<u64> {
        let old = doc! { "expires_at": { "$lte": now } };
        let r = self
            .coll(STAGED)
            .delete_many(old.clone())
            .await
            .map_err(backend)?;
        self.coll(STAGED_CHUNKS)
            .delete_many(old)
            .await
            .map_err(backend)?;
        Ok(r.deleted_count)
    }
}
