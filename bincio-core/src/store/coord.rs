//! `CoordStore`: what several `bincio serve` processes on one database
//! share so that any of them answers alike — the running jobs, the
//! failed-attempt counters of the rate limiter, and named leases that let
//! exactly one process run a scheduled task (a drop-folder scan, a Strava
//! round) or refresh a member's token, and files staged by one request for
//! a later one (the event import page's checked CSV).
//!
//! It is a supertrait of [`UserStore`](super::UserStore): whoever holds the
//! accounts store can coordinate, so no service needs a seventh handle.
//!
//! Invariants every backend keeps (checked by the conformance suite):
//! * [`CoordStore::count_failure`] is one atomic increment-in-window: N
//!   concurrent failures of one key (threads or processes) count N, and a
//!   window older than `window_s` restarts at the failure that finds it;
//! * [`CoordStore::acquire_lease`] is atomic: among concurrent acquirers of
//!   a free (or expired) lease exactly one gets `true`; the holder renews
//!   its own lease; nobody else gets it before `expires_at`;
//! * a job row lives until deleted or until its `expires_at`: rows whose
//!   owner died (no heartbeat) stop being listed after that bound.

use super::StoreResult;
use crate::jobs::JobInfo;

/// A job as the store keeps it: what `/api/admin/jobs` shows, the process
/// that runs it, and until when it counts as alive (its owner pushes this
/// forward while it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    /// The listed job.
    pub info: JobInfo,
    /// Id of the process that runs it.
    pub owner: String,
    /// Unix seconds after which the job is dropped unless renewed.
    pub expires_at: i64,
}

/// One key's current fixed window of failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    /// Unix seconds of the window's first failure.
    pub started: i64,
    /// Failures counted in it.
    pub failures: u32,
}

/// Storage of cross-process coordination.
#[async_trait::async_trait]
pub trait CoordStore: Send + Sync + 'static {
    // ---- jobs ----

    /// Insert or replace the job `job.info.id` (a row of another owner with
    /// the same id is left alone).
    async fn put_job(&self, job: &JobRow) -> StoreResult<()>;

    /// Delete the job `id` of `owner`; true if it existed.
    async fn delete_job(&self, id: &str, owner: &str) -> StoreResult<bool>;

    /// Every job with `expires_at > now`, oldest first (`started_at`, then
    /// id).
    async fn list_jobs(&self, now: i64) -> StoreResult<Vec<JobRow>>;

    /// Delete the jobs with `expires_at <= now`; returns how many.
    async fn purge_jobs(&self, now: i64) -> StoreResult<u64>;

    // ---- failure counters ----

    /// Atomically count one failure of `key` at `now` and return the window
    /// after it: a key without a window, or whose window started at or
    /// before `now - window_s`, starts a new one (`started = now`,
    /// `failures = 1`); otherwise its failures grow by one.
    async fn count_failure(&self, key: &str, now: i64, window_s: i64)
        -> StoreResult<FailureWindow>;

    /// The current windows of `keys`, in the same order: `None` for a key
    /// without one or whose window started at or before `now - window_s`.
    async fn failure_windows(
        &self,
        keys: &[String],
        now: i64,
        window_s: i64,
    ) -> StoreResult<Vec<Option<FailureWindow>>>;

    /// Delete the windows that started at or before `now - window_s`;
    /// returns how many.
    async fn purge_failures(&self, now: i64, window_s: i64) -> StoreResult<u64>;

    // ---- leases ----

    /// Atomically take or renew the lease `name` for `owner` until
    /// `now + ttl_s`: true when it was free, expired (`expires_at <= now`)
    /// or already `owner`'s; false while another owner holds it.
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        now: i64,
        ttl_s: i64,
    ) -> StoreResult<bool>;

    /// The holder of lease `name` and its expiry, while `expires_at > now`.
    async fn lease(&self, name: &str, now: i64) -> StoreResult<Option<(String, i64)>>;

    /// Give up `owner`'s lease `name`; true if it held it.
    async fn release_lease(&self, name: &str, owner: &str) -> StoreResult<bool>;

    // ---- staged files ----

    /// Keep `bytes` with `label` under the fresh `id` until `expires_at`:
    /// a file one request checked and a later one confirms, which any
    /// process may receive (the event import page's dry run, up to 32 MiB).
    /// `Conflict` if `id` is taken; nothing is visible under `id` before
    /// all of `bytes` is.
    async fn put_staged(
        &self,
        id: &str,
        label: &str,
        bytes: &[u8],
        expires_at: i64,
    ) -> StoreResult<()>;

    /// Atomically take the staged file `id` — read and delete it — while
    /// `expires_at > now`: among concurrent takers exactly one gets it.
    async fn take_staged(&self, id: &str, now: i64) -> StoreResult<Option<(String, Vec<u8>)>>;

    /// Delete the staged files with `expires_at <= now` (and any piece of
    /// one whose writer died); returns how many files.
    async fn purge_staged(&self, now: i64) -> StoreResult<u64>;
}
