//! Errors of the Mongo backend and the mapping of driver errors to
//! [`StoreError`].

use bincio_core::store::StoreError;
use mongodb::error::{ErrorKind, WriteFailure};

/// Why [`MongoStore::connect`](crate::MongoStore::connect) failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not a MongoDB connection string.
    #[error("invalid MongoDB URL: {0}")]
    InvalidUrl(String),
    /// The URL names no database (`mongodb://host:port/dbname` is required).
    #[error("the MongoDB URL must name a database: mongodb://host:port/dbname")]
    MissingDatabase,
    /// The database name is not allowed by MongoDB.
    #[error("invalid MongoDB database name {name:?}: {reason}")]
    InvalidDatabase {
        /// The name from the URL.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The server could not be reached or refused a set-up command.
    #[error("MongoDB at {hosts}: {message}")]
    Server {
        /// Hosts of the URL (credentials are never shown).
        hosts: String,
        /// Driver message.
        message: String,
    },
}

/// Duplicate key (E11000), whatever operation reported it.
pub(crate) fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    const DUP: i32 = 11000;
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUP,
        ErrorKind::Command(c) => c.code == DUP,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()
            .is_some_and(|ws| ws.iter().any(|w| w.code == DUP)),
        _ => false,
    }
}

/// Any driver failure as a store error.
pub(crate) fn backend(e: mongodb::error::Error) -> StoreError {
    StoreError::Backend(format!("mongodb: {e}"))
}
