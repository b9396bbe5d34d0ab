//! The one place that decides how a test reaches MongoDB.
//!
//! * `BINCIO_TEST_MONGO_URL` (e.g. `mongodb://127.0.0.1:27017`, no database
//!   name): every call of [`MongoBackend::fresh`] connects to a new database
//!   `bincio_test_<pid>_<n>_<random>`, dropped when the stores are dropped.
//! * unset and `BINCIO_SKIP_MONGO=1`: the test prints a notice and returns
//!   (the one allowed skip, asked for explicitly).
//! * unset otherwise: the test **fails** with a message saying how to start
//!   a server.

use std::sync::Arc;

use bincio_core::conformance::{Backend, Stores};
pub use bincio_store_mongo::testkit::{base_url, unique_db_name, url_with_db, DropDb, URL_VAR};
use bincio_store_mongo::MongoStore;

/// A connected store on a fresh database, with the guard that drops it.
pub async fn fresh_store(base: &str) -> (MongoStore, DropDb) {
    let (url, guard) = DropDb::fresh(base);
    let store = MongoStore::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to {URL_VAR}={base}: {e}"));
    (store, guard)
}

/// The MongoDB [`MongoBackend`] for a test body, or `return` from the
/// calling test when `BINCIO_SKIP_MONGO=1` asked to skip (a notice is
/// printed). Panics when `BINCIO_TEST_MONGO_URL` is unset otherwise.
///
/// ```ignore
/// bincio_core::conformance_tests!(crate::mongo_backend!());
/// ```
#[macro_export]
macro_rules! mongo_backend {
    () => {
        match $crate::support::mongo::MongoBackend::from_env(module_path!()) {
            Some(b) => b,
            None => return,
        }
    };
}

/// The conformance [`Backend`] on MongoDB.
pub struct MongoBackend {
    base: String,
}

impl MongoBackend {
    /// From the environment; `None` = skip (see [`base_url`]).
    pub fn from_env(test: &str) -> Option<Self> {
        base_url(test).map(|base| Self { base })
    }
}

#[async_trait::async_trait]
impl Backend for MongoBackend {
    async fn fresh(&self) -> Stores {
        let (store, guard) = fresh_store(&self.base).await;
        let s = Arc::new(store);
        Stores {
            users: s.clone(),
            activities: s.clone(),
            attendees: s.clone(),
            puzzles: s,
            guard: Some(Arc::new(guard)),
        }
    }
}

/// One database shared by every [`Backend::fresh`] call: each call opens a
/// **new client** (`MongoStore::connect`) on the same database, as separate
/// `bincio serve` processes would. The database is dropped when the last
/// handle (this value and the stores it handed out) is gone.
pub struct SharedDb {
    base: String,
    name: String,
    guard: Arc<DropDb>,
}

impl SharedDb {
    /// From the environment; `None` = skip (see [`base_url`]).
    pub fn from_env(test: &str) -> Option<Self> {
        base_url(test).map(|base| {
            let name = unique_db_name();
            Self {
                guard: Arc::new(DropDb {
                    base: base.clone(),
                    name: name.clone(),
                }),
                base,
                name,
            }
        })
    }

    /// The database through the plain driver (to write or inspect raw
    /// documents).
    pub async fn raw(&self) -> bincio_store_mongo::mongodb::Database {
        bincio_store_mongo::mongodb::Client::with_uri_str(url_with_db(&self.base, &self.name))
            .await
            .expect("driver client")
            .database(&self.name)
    }

    /// The connection string of the shared database.
    pub fn url(&self) -> String {
        url_with_db(&self.base, &self.name)
    }

    /// A new `MongoStore` client on the shared database.
    pub async fn connect(&self) -> MongoStore {
        MongoStore::connect(&url_with_db(&self.base, &self.name))
            .await
            .unwrap_or_else(|e| panic!("connect to {URL_VAR}={}: {e}", self.base))
    }
}

#[async_trait::async_trait]
impl Backend for SharedDb {
    async fn fresh(&self) -> Stores {
        let s = Arc::new(self.connect().await);
        Stores {
            users: s.clone(),
            activities: s.clone(),
            attendees: s.clone(),
            puzzles: s,
            guard: Some(self.guard.clone()),
        }
    }
}

/// A [`SharedDb`] for a test body, or `return` when skipping (as
/// [`mongo_backend!`]).
#[macro_export]
macro_rules! mongo_shared_db {
    () => {
        match $crate::support::mongo::SharedDb::from_env(module_path!()) {
            Some(b) => b,
            None => return,
        }
    };
}
