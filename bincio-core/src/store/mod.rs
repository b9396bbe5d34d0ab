//! The storage traits. Each is object safe (`Arc<dyn …>`) and async.
//!
//! Contract shared by every backend (checked by the conformance suite):
//! * a method that decides something race-prone (redeem an invite, use a
//!   scenario, deliver a puzzle piece, bump a counter) decides it atomically
//!   inside the store, so many processes on one database stay correct;
//! * timestamps are Unix seconds (`i64`) unless a field says otherwise;
//! * secrets (session tokens, reset codes) reach the store only as hashes.

mod activity;
mod archive;
mod attendee;
mod connection;
mod coord;
mod puzzle;
mod source;
mod user;

pub use activity::{ActivityStore, FeedQuery, InsertOutcome, SummaryQuery, MAX_SUMMARY_PAGE};
pub use archive::ArchiveStore;
pub use attendee::{AttendeeStore, ImportCounts, ImportRows};
pub use connection::{Connection, ConnectionPatch, ConnectionStore};
pub use coord::{CoordStore, FailureWindow, JobRow};
pub use puzzle::{DeliverOutcome, Delivery, PuzzleStore, RevokeOutcome};
pub use source::SourceStore;
pub use user::{RegisterClaim, RegisterError, UserStore};

/// Errors a store reports. Business outcomes that callers branch on
/// (e.g. "invite already used") are modelled in method return types, not here.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint was violated (e.g. the handle exists).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A per-owner limit was reached (e.g. invites per user).
    #[error("limit reached: {0}")]
    LimitReached(String),
    /// The referenced record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Stored data could not be decoded.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The driver failed (I/O, connection, SQL, …).
    #[error("backend: {0}")]
    Backend(String),
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;
