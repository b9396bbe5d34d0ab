//! `PuzzleStore`: puzzle buckets and counters (`puzzle_bucket`,
//! `puzzle_status` in MongoDB).
//!
//! Atomicity contract:
//! * [`PuzzleStore::deliver`] — deliverer dedupe, bucket creation, piece and
//!   deliverer append and the four counter increments in one step (SQLite:
//!   one transaction; MongoDB, without transactions: the deciding write is
//!   one update filtered on `deliverer.deliverer != name` that `$push`es
//!   stamp and piece together, then `$inc` upserts on the counters);
//! * [`PuzzleStore::revoke`] — conditional on `valid` being unset, so a
//!   second revoke changes nothing;
//! * counters are upserted: created on first need, never duplicated.
//!
//! The `*_logged` methods take an [`ActionDraft`]: with `Some`, the store
//! writes the action's audit entry ([`crate::event::audit`]) in the same
//! atomic step as the change (a refusal it decides is logged alone), into
//! the log that [`super::AttendeeStore::list_audit`] of the same backend
//! reads. The plain methods are the `_logged` ones without an entry.

use super::StoreResult;
use crate::event::audit::ActionDraft;
use crate::event::model::{DelivererStamp, PuzzleBucket, PuzzleCounter};

/// One piece delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Receiving attendee's id (for a bucket created by this delivery).
    pub attendee_id: String,
    /// Receiving attendee's public token (the bucket key).
    pub public_token: String,
    /// The piece; `None` records the deliverer only (no pieces configured).
    pub piece: Option<String>,
    /// Booth delivery: refused when the bucket already has this name.
    pub deliverer: Option<DelivererStamp>,
    /// Unix seconds (ids of created records).
    pub now: i64,
}

/// Result of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverOutcome {
    /// Appended and counted.
    Delivered,
    /// The deliverer name is already in the bucket; nothing changed.
    AlreadyFromDeliverer,
}

/// Result of a revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// No bucket for the token.
    NoBucket,
    /// `valid = now`, `coupon = 0`, pieces taken out of circulation.
    Revoked,
    /// Already revoked; nothing changed.
    AlreadyRevoked,
}

/// Storage of the booth puzzle game.
#[async_trait::async_trait]
pub trait PuzzleStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;

    /// Create missing counters for `pieces` and `total` at zero
    /// (idempotent upsert; existing counters untouched).
    async fn ensure_counters(&self, pieces: &[String], now: i64) -> StoreResult<()>;

    /// Every counter: pieces in creation order, `total` last.
    async fn counters(&self) -> StoreResult<Vec<PuzzleCounter>>;

    /// Create the bucket of `public_token` if absent (idempotent; safe when
    /// concurrent).
    async fn ensure_bucket(
        &self,
        attendee_id: &str,
        public_token: &str,
        now: i64,
    ) -> StoreResult<()>;

    /// The bucket of `public_token`.
    async fn bucket(&self, public_token: &str) -> StoreResult<Option<PuzzleBucket>>;

    /// Deliver atomically (see the module docs), unlogged.
    async fn deliver(&self, d: Delivery) -> StoreResult<DeliverOutcome> {
        self.deliver_logged(d, None).await
    }

    /// Deliver atomically (see the module docs); with `audit`, its entry
    /// ([`crate::event::audit::deliver_entry`]: the piece, or the refusal
    /// `AlreadyFromDeliverer`) in the same step.
    async fn deliver_logged(
        &self,
        d: Delivery,
        audit: Option<ActionDraft>,
    ) -> StoreResult<DeliverOutcome>;

    /// Revoke the bucket once: `valid = now`, `coupon = 0`, `currency` of
    /// each held piece and of `total` decremented (per piece held).
    /// Unlogged.
    async fn revoke(&self, public_token: &str, now: i64) -> StoreResult<RevokeOutcome> {
        self.revoke_logged(public_token, now, None).await
    }

    /// [`PuzzleStore::revoke`]; with `audit`, its entry
    /// ([`crate::event::audit::revoke_entry`], with the number of pieces
    /// taken out of circulation; `NoBucket` / `AlreadyRevoked` logged as
    /// not done) in the same step.
    async fn revoke_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<RevokeOutcome>;

    /// `coupon = now`; false when there is no bucket. Unlogged.
    async fn use_coupon(&self, public_token: &str, now: i64) -> StoreResult<bool> {
        self.use_coupon_logged(public_token, now, None).await
    }

    /// [`PuzzleStore::use_coupon`]; with `audit`, its entry
    /// ([`crate::event::audit::coupon_entry`]) in the same step.
    async fn use_coupon_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<bool>;
}
