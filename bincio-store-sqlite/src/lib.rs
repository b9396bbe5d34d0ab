//! SQLite backend of the bincio store traits (rusqlite, bundled SQLite).
//!
//! * WAL journal, `busy_timeout`, foreign keys on, named migrations applied
//!   once in order (see [`migrations`]).
//! * One writer connection and a few reader connections; every call runs on
//!   tokio's blocking pool so the async runtime is never blocked.
//! * Race-prone operations run in `BEGIN IMMEDIATE` transactions: the write
//!   lock is taken before the first read, so check-and-write is atomic across
//!   threads *and* processes sharing the file.
//! * Table names and columns of BincioActivity's `instance.db` are kept, so an
//!   old database opens (and its plaintext session tokens are hashed once).
#![forbid(unsafe_code)]

mod activity;
mod archive;
mod athlete;
mod attendee;
mod audit;
pub mod backup;
mod connection;
mod coord;
pub mod migrations;
mod pool;
mod puzzle;
mod source;
mod user;

#[cfg(feature = "testkit")]
pub mod testkit;

use std::path::Path;

pub use pool::SqliteStore;

/// Errors opening a database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// SQLite refused to open or migrate the file.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database path.
        path: String,
        /// Driver error.
        source: rusqlite::Error,
    },
    /// A migration failed.
    #[error("{path}: migration {id}: {message}")]
    Migration {
        /// The database path.
        path: String,
        /// Migration id.
        id: String,
        /// What went wrong.
        message: String,
    },
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and migrate it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        pool::open(path.as_ref(), 4)
    }
}
