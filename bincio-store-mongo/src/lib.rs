//! MongoDB backend of the bincio store traits (official `mongodb` driver 3.x,
//! rustls, no OpenSSL).
//!
//! * [`MongoStore::connect`] takes `mongodb://host:port/dbname` (the database
//!   name is required) and adopts or creates the indexes it needs
//!   (`indexes.rs`: an operator's or CCIP-Server's existing indexes are
//!   adopted by key, never dropped; a contradicting one stops the start
//!   with a message saying what to run).
//! * **Accounts and activities: atomic without transactions.** Every
//!   race-prone step is one single-document conditional update
//!   (`find_one_and_update` with the condition in the filter) or an
//!   idempotent upsert. Where a method needs more than one write, the
//!   deciding write comes first and the others follow (or are compensated
//!   on failure); each such place says in a comment why that is safe across
//!   processes. These work on a standalone `mongod`.
//! * **Event data: multi-document transactions** (`txn.rs`), because a
//!   check-in and its puzzle pieces, a delivery and its counters, and an
//!   import must each be one outcome after any crash, and CCIP-Server's
//!   layout leaves no room to record a half-done step. The event service
//!   therefore needs a replica set (one node is enough) and says so at
//!   start.
//! * Collections used by the accounts part: `users`, `sessions`, `invites`,
//!   `reset_codes`, `settings`, `user_prefs`, `counters`. Event data uses
//!   CCIP-Server's own layout (`attendee`, `announcement`, `puzzle_status`,
//!   `puzzle_bucket`; see `attendee.rs` and `puzzle.rs`), so a CCIP-Server
//!   database can be served and handed back.
#![forbid(unsafe_code)]

mod activity;
mod archive;
mod athlete;
mod attendee;
mod audit;
mod bsonx;
mod connect;
mod connection;
mod coord;
mod error;
mod indexes;
mod puzzle;
mod source;
mod txn;
mod user;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use connect::MongoStore;
pub use error::ConnectError;

/// The driver, for callers that build BSON or use the database directly.
pub use mongodb;
