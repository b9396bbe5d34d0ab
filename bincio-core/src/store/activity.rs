//! `ActivityStore`: activities (summary + detail + edits), their large
//! documents (timeseries, GeoJSON), original files and photos, feeds and
//! dedup look-ups.
//!
//! Invariants every backend keeps (checked by the conformance suite):
//! * `(handle, id)` and `(handle, source_hash)` are unique: inserting a file
//!   already stored is reported, atomically, never stored twice;
//! * edits are merged field by field in one atomic step (two concurrent
//!   edits of different fields both survive);
//! * feeds are ordered newest first by `(started_at, id)` and paged by a
//!   cursor, so pages never overlap or skip under inserts;
//! * "listed" means the *effective* privacy (edit, else extracted) is
//!   public, `no_gps` or `blur_start`;
//! * binaries live in the store, never in any exported tree.

use super::StoreResult;
use crate::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, FeedCursor, Orphans, RawTracks,
    StorageUsage,
};

/// Outcome of [`ActivityStore::insert_activity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored.
    Inserted,
    /// The same file (same `source_hash`) is stored under this id.
    DuplicateHash(String),
    /// Another activity already uses this id.
    IdTaken,
}

/// Which activities a feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// One owner, or everyone.
    pub handle: Option<String>,
    /// Only listed activities (for anyone but the owner).
    pub listed_only: bool,
    /// Strictly older than this.
    pub before: Option<FeedCursor>,
    /// Page size (backends cap it at 1000).
    pub limit: usize,
}

/// Largest page of [`ActivityStore::summaries`] (backends cap `limit` at it).
pub const MAX_SUMMARY_PAGE: usize = 5000;

/// Which activities [`ActivityStore::summaries`] returns: like a
/// [`FeedQuery`], plus a start-time window. Newest first by
/// `(started_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SummaryQuery {
    /// One owner, or everyone.
    pub handle: Option<String>,
    /// Only listed activities (effective privacy public, `no_gps` or
    /// `blur_start`).
    pub listed_only: bool,
    /// Only activities with `started_at >= since` (inclusive).
    pub since: Option<i64>,
    /// Only activities with `started_at < until` (exclusive).
    pub until: Option<i64>,
    /// Strictly older than this `(started_at, id)` (paging, as in feeds).
    pub before: Option<FeedCursor>,
    /// Page size (capped at [`MAX_SUMMARY_PAGE`]; 0 reads as 1).
    pub limit: usize,
    /// Leave the track preview (`preview_coords`, most of a summary's
    /// bytes) out of each summary, as [`crate::model::parse_lean_summary`]
    /// does: for readers of totals, curves and records, which never draw
    /// a card.
    pub lean: bool,
}

/// Storage of activities.
#[async_trait::async_trait]
pub trait ActivityStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;

    /// Store a new activity with its tracks, atomically refusing a duplicate
    /// file or a taken id.
    async fn insert_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<InsertOutcome>;

    /// Replace the extracted documents of an existing activity (re-upload
    /// with overwrite, re-extraction); edits, photos and originals are kept.
    /// False if absent.
    async fn replace_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<bool>;

    /// One activity (without its tracks).
    async fn get_activity(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityRecord>>;

    /// The tracks of one activity.
    async fn get_tracks(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityTracks>>;

    /// The tracks as stored, compact JSON text, byte-identical to
    /// `serde_json::to_vec` of [`Self::get_tracks`]'s values (checked by the
    /// conformance suite). The render writes public tracks through it
    /// without a parse and a print per activity.
    async fn get_tracks_raw(&self, handle: &str, id: &str) -> StoreResult<Option<RawTracks>>;

    /// Merge `patch` into the edits atomically; returns the new edits, or
    /// `None` if the activity does not exist.
    async fn patch_edits(
        &self,
        handle: &str,
        id: &str,
        patch: ActivityEdits,
    ) -> StoreResult<Option<ActivityEdits>>;

    /// Set or clear `duplicate_of`; false if absent.
    async fn set_duplicate_of(
        &self,
        handle: &str,
        id: &str,
        duplicate_of: Option<&str>,
    ) -> StoreResult<bool>;

    /// Delete one activity with its tracks, original and photos.
    async fn delete_activity(&self, handle: &str, id: &str) -> StoreResult<bool>;

    /// Delete every activity of a user (with tracks, originals, photos);
    /// returns how many activities were deleted.
    async fn delete_user_activities(&self, handle: &str) -> StoreResult<u64>;

    /// A page of a feed, newest first.
    async fn feed(&self, q: FeedQuery) -> StoreResult<Vec<ActivityRecord>>;

    /// A page of records *without* their detail document (`detail` is
    /// `Value::Null`; everything else — summary, edits, privacy,
    /// `duplicate_of` — as [`Self::get_activity`] returns it, the summary
    /// without `preview_coords` when `q.lean`): the light
    /// read of feeds, stats, leaderboards and power curves. Same order and
    /// cursor rule as [`Self::feed`], with `since <= started_at < until`.
    async fn summaries(&self, q: SummaryQuery) -> StoreResult<Vec<ActivityRecord>>;

    /// Id of the activity of `handle` stored from the file with this hash.
    async fn find_by_hash(&self, handle: &str, source_hash: &str) -> StoreResult<Option<String>>;

    /// Activities of `handle` starting within `window_s` seconds of
    /// `started_at` (near-duplicate candidates), oldest first.
    async fn find_near(
        &self,
        handle: &str,
        started_at: i64,
        window_s: i64,
    ) -> StoreResult<Vec<ActivityRecord>>;

    /// Handles that own at least one activity, sorted.
    async fn activity_owners(&self) -> StoreResult<Vec<String>>;

    /// Keep the original file of an activity (replaces a previous one).
    async fn put_original(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()>;

    /// The original file of an activity.
    async fn get_original(&self, handle: &str, id: &str) -> StoreResult<Option<Blob>>;

    /// Drop every original file of a user; returns the bytes freed.
    async fn delete_originals(&self, handle: &str) -> StoreResult<u64>;

    /// Store a photo; `StoreError::Conflict` if the name exists for this
    /// activity, `StoreError::NotFound` if the activity does not exist.
    async fn put_image(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()>;

    /// Photo names of an activity, sorted.
    async fn list_images(&self, handle: &str, id: &str) -> StoreResult<Vec<String>>;

    /// One photo.
    async fn get_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<Option<Blob>>;

    /// Delete one photo; false if absent.
    async fn delete_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<bool>;

    /// Bytes used by a user.
    async fn storage_usage(&self, handle: &str) -> StoreResult<StorageUsage>;

    /// The combined feed: listed activities of every user, newest first by
    /// `(started_at, id, handle)`, skipping `offset`, at most `limit` (capped
    /// at 1000), with the number of listed activities in all. For pages of
    /// `feed-N.json`, which are addressed by number, not by cursor.
    async fn listed_page(
        &self,
        offset: u64,
        limit: usize,
    ) -> StoreResult<(Vec<ActivityRecord>, u64)>;

    /// Every photo of a user as `(activity id, name)`, sorted by id then
    /// name: one round trip instead of one [`Self::list_images`] per
    /// activity (the render lists them all).
    async fn list_user_images(&self, handle: &str) -> StoreResult<Vec<(String, String)>>;

    /// Per handle, a counter that grows after every change to what a
    /// rendered tree shows of that user: activities inserted, replaced,
    /// edited, marked duplicate or deleted, tracks rewritten, photos added
    /// or removed. Handles never changed are absent (read as 0).
    ///
    /// Invariants: a counter never goes back, not even when the account and
    /// its activities are deleted (a handle registered again continues from
    /// where it was), and it is bumped *after* the change is visible to
    /// readers. So a reader that takes the counter first and the documents
    /// second may see newer documents than the counter says, never older —
    /// the render can skip a user whose counter did not move since its last
    /// run.
    async fn activity_generations(&self) -> StoreResult<Vec<(String, u64)>>;

    /// Stored pieces no activity reaches: tracks, photos, originals or
    /// payload chunks whose activity is gone, and tracks or chunks that no
    /// live document names. Writes and deletions never leave them behind
    /// on their own (see each backend); a process killed between the steps
    /// of a write on a backend without multi-document transactions can.
    /// They are unreachable (no read returns them) but take space.
    ///
    /// Counted, and removed when `remove`. Pieces a writer may still be
    /// finishing — created at or after `cutoff` (unix seconds), where the
    /// backend knows when a piece was created — are left alone, so running
    /// this on a live instance never undoes a write in progress.
    async fn orphans(&self, remove: bool, cutoff: i64) -> StoreResult<Orphans>;
}
