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
    /// An index already in the database contradicts one bincio needs
    /// (never dropped by bincio: the operator decides).
    #[error(
        "MongoDB collection `{collection}`: bincio needs the index {needed}, but the existing \
         index {existing} contradicts it: {why}. To fix: {fix}"
    )]
    IndexConflict {
        /// Collection.
        collection: String,
        /// The needed index (key pattern and uniqueness).
        needed: String,
        /// The existing index as the server lists it.
        existing: String,
        /// Why they cannot both hold.
        why: String,
        /// What to run.
        fix: String,
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

/// Whether the server answered with error `code`, whatever operation
/// reported it.
pub(crate) fn has_code(e: &mongodb::error::Error, code: i32) -> bool {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == code,
        ErrorKind::Command(c) => c.code == code,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .as_ref()
            .is_some_and(|ws| ws.iter().any(|w| w.code == code)),
        _ => false,
    }
}

/// Duplicate key (E11000), whatever operation reported it.
pub(crate) fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    has_code(e, 11000)
}

/// Any driver failure as a store error.
pub(crate) fn backend(e: mongodb::error::Error) -> StoreError {
    StoreError::Backend(format!("mongodb: {e}"))
}
