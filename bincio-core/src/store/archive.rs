//! `ArchiveStore`: the few whole-instance reads and verbatim writes that
//! the other traits lack, for the portable instance archive
//! ([`crate::instance`]: `bincio export` / `bincio import instance`).
//!
//! Everything else the archive holds is read and written through the
//! ordinary traits (users, invites, settings, prefs, activities and their
//! blobs, connections, sources, announcements, counters read, audit read).
//! These methods exist because the ordinary writes *decide* state (an
//! import merges attendees, a delivery appends to a bucket, a counter
//! starts at zero, an audit entry is written by the change it records),
//! while a restore must put state back exactly as it was.
//!
//! Contract (checked by the conformance suite on every backend):
//! * the `archive_*` reads return every record, in a stable order
//!   (attendees in insertion order, announcements oldest first, buckets by
//!   public token);
//! * the `restore_*` writes store the records verbatim (ids, timestamps,
//!   used scenarios, pieces, deliverers, counters), each call all or
//!   nothing, and refuse a record whose key exists with
//!   `StoreError::Conflict` (a restore never overwrites);
//! * [`ArchiveStore::restore_audit`] also rebuilds whatever look-ups the
//!   backend keeps beside the log (nonce claims, the newest use of each
//!   scenario), so after a restore a replayed nonce answers its first
//!   outcome and an undo finds its use, as before the move.

use super::StoreResult;
use crate::event::audit::AuditEntry;
use crate::event::model::{Announcement, Attendee, PuzzleBucket, PuzzleCounter};

/// Whole-instance reads and verbatim restores of event state.
#[async_trait::async_trait]
pub trait ArchiveStore: Send + Sync + 'static {
    /// Every attendee of every role, in insertion order.
    async fn archive_attendees(&self) -> StoreResult<Vec<Attendee>>;

    /// Every announcement (whatever its roles), oldest first.
    async fn archive_announcements(&self) -> StoreResult<Vec<Announcement>>;

    /// Every puzzle bucket, sorted by public token.
    async fn archive_buckets(&self) -> StoreResult<Vec<PuzzleBucket>>;

    /// Insert attendees as they are (id, token, first use, scenarios with
    /// their use state), after any stored, in the given order; all or
    /// none. `Conflict` when a token or id exists.
    async fn restore_attendees(&self, batch: Vec<Attendee>) -> StoreResult<()>;

    /// Insert puzzle buckets as they are; all or none. `Conflict` when a
    /// public token exists.
    async fn restore_buckets(&self, batch: Vec<PuzzleBucket>) -> StoreResult<()>;

    /// Insert puzzle counters as they are (id, quantity, currency), in the
    /// given order; all or none. `Conflict` when a counter of that name
    /// exists.
    async fn restore_counters(&self, batch: Vec<PuzzleCounter>) -> StoreResult<()>;

    /// Append audit entries as they are, oldest first, with the look-ups
    /// the backend derives from them (see the module docs); all or none.
    /// `Conflict` when an id exists.
    async fn restore_audit(&self, batch: Vec<AuditEntry>) -> StoreResult<()>;
}
