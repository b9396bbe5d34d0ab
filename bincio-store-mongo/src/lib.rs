//! MongoDB backend of the bincio store traits (official `mongodb` driver 3.x,
//! rustls, no OpenSSL).
//!
//! * [`MongoStore::connect`] takes `mongodb://host:port/dbname` (the database
//!   name is required) and creates the indexes it needs (idempotent).
//! * **Atomic without transactions.** A standalone `mongod` (or SecantusDB)
//!   offers no multi-document transactions we can count on, so every
//!   race-prone step is one single-document conditional update
//!   (`find_one_and_update` with the condition in the filter) or an
//!   idempotent upsert. Where a method needs more than one write, the
//!   deciding write comes first and the others follow (or are compensated
//!   on failure); each such place says in a comment why that is safe across
//!   processes.
//! * Collections used by the accounts part: `users`, `sessions`, `invites`,
//!   `reset_codes`, `settings`, `user_prefs`, `counters`. Event data uses
//!   CCIP-Server's own layout (`attendee`, `announcement`, `puzzle_status`,
//!   `puzzle_bucket`; see `attendee.rs` and `puzzle.rs`), so a CCIP-Server
//!   database can be served and handed back.
#![forbid(unsafe_code)]

mod activity;
mod athlete;
mod attendee;
mod bsonx;
mod connect;
mod error;
mod puzzle;
mod user;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use connect::MongoStore;
pub use error::ConnectError;

/// The driver, for callers that build BSON or use the database directly.
pub use mongodb;
