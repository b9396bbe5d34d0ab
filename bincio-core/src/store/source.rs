//! `SourceStore`: what the activity sources keep per member — the drop
//! folder's settings, the file versions its scans claimed, and a bounded
//! history of sync runs.
//!
//! Invariants every backend keeps (checked by the conformance suite):
//! * [`SourceStore::claim_drop_file`] decides atomically which scan
//!   ingests one version of a file: among any number of concurrent scans
//!   (threads or processes on one database) exactly one gets `true`, so a
//!   file is never ingested twice;
//! * a claim whose scan died (not `done` after `lease_s`) can be taken over,
//!   so a crash never hides a file for good;
//! * [`SourceStore::record_sync_run`] keeps at most `keep` runs per member
//!   (the newest by `(started_at, id)`);
//! * rows go with the member (`delete_user`).

use super::StoreResult;
use crate::model::{DropConfig, DropFile, SyncRun};

/// Storage of the activity sources' state.
#[async_trait::async_trait]
pub trait SourceStore: Send + Sync + 'static {
    /// The member's drop-folder settings (defaults when never set).
    async fn drop_config(&self, handle: &str) -> StoreResult<DropConfig>;

    /// Set (`Some`) or reset to the default (`None`) the member's drop
    /// folder; false if the user does not exist.
    async fn set_drop_folder(&self, handle: &str, folder: Option<&str>) -> StoreResult<bool>;

    /// Record that the member's folder was scanned at `at`.
    async fn mark_drop_scanned(&self, handle: &str, at: i64) -> StoreResult<()>;

    /// Every file version claimed in the member's folder, by path.
    async fn drop_files(&self, handle: &str) -> StoreResult<Vec<DropFile>>;

    /// Atomically claim `file` (its `claimed_at` is now, `done` ignored)
    /// for ingestion. True — the caller ingests it — when the path is new,
    /// its stored hash differs, or its stored claim is not done and older
    /// than `file.claimed_at - lease_s`. Otherwise false, and the stored
    /// size and mtime are brought up to `file`'s (same content, touched),
    /// so the next scan skips it unread.
    async fn claim_drop_file(
        &self,
        handle: &str,
        file: &DropFile,
        lease_s: i64,
    ) -> StoreResult<bool>;

    /// Mark the claimed version `(path, hash)` done; a no-op when the
    /// path has been claimed again with another hash since.
    async fn finish_drop_file(&self, handle: &str, path: &str, hash: &str) -> StoreResult<()>;

    /// Add a run to the member's history, keeping only the newest `keep`
    /// (at least one).
    async fn record_sync_run(&self, run: &SyncRun, keep: usize) -> StoreResult<()>;

    /// The member's newest runs, newest first by `(started_at, id)`, at
    /// most `limit`.
    async fn sync_runs(&self, handle: &str, limit: usize) -> StoreResult<Vec<SyncRun>>;
}
