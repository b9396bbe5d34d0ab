//! How a test reaches MongoDB: the rule and the backends live in
//! `bincio_store_mongo::testkit` (one place for every test crate: its
//! `MongoBackend`, `SharedDb`); this module names its macros at this
//! crate's root, as the test bodies call them (`crate::mongo_backend!()`).
//!
//! * `BINCIO_TEST_MONGO_URL` (e.g. `mongodb://127.0.0.1:27017`, no database
//!   name): every call of `MongoBackend::fresh` connects to a new database
//!   `bincio_test_<pid>_<n>_<random>`, dropped when the stores are dropped.
//! * unset and `BINCIO_SKIP_MONGO=1`: the test prints a notice and returns
//!   (the one allowed skip, asked for explicitly).
//! * unset otherwise: the test **fails** with a message saying how to start
//!   a server.

/// The MongoDB `MongoBackend` for a test body, or `return` from the
/// calling test when `BINCIO_SKIP_MONGO=1` asked to skip
/// (`bincio_store_mongo::mongo_backend!`).
#[macro_export]
macro_rules! mongo_backend {
    () => {
        bincio_store_mongo::mongo_backend!()
    };
}

/// A `SharedDb` for a test body, or `return` when skipping
/// (`bincio_store_mongo::mongo_shared_db!`).
#[macro_export]
macro_rules! mongo_shared_db {
    () => {
        bincio_store_mongo::mongo_shared_db!()
    };
}
