//! How tests reach a MongoDB server — one rule for every test crate
//! (compiled only with the `testkit` feature):
//!
//! * `BINCIO_TEST_MONGO_URL` set (a server URL without database): each test
//!   gets a database of its own ([`unique_db_name`]), dropped by
//!   [`DropDb`];
//! * unset and `BINCIO_SKIP_MONGO=1`: a notice is printed and the test
//!   returns — the one allowed skip, asked for explicitly;
//! * unset otherwise: the test fails, saying how to start a server.
//!
//! It also provides the conformance [`Backend`]s on MongoDB
//! ([`MongoBackend`]: a fresh database per call; [`SharedDb`]: one database,
//! a new client per call, as separate `bincio serve` processes) and the
//! [`mongo_backend!`](crate::mongo_backend) /
//! [`mongo_shared_db!`](crate::mongo_shared_db) macros that hand one to a
//! test body (or return when skipping).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bincio_store_conformance::{Backend, Stores};

use crate::MongoStore;

/// Environment variable holding the server URL.
pub const URL_VAR: &str = "BINCIO_TEST_MONGO_URL";
/// Environment variable that allows skipping when no server is configured.
pub const SKIP_VAR: &str = "BINCIO_SKIP_MONGO";

/// The base URL of the test server, `None` when skipping was asked for
/// (after printing a notice). Panics when neither is set.
pub fn base_url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") => {
            eprintln!(
                "NOTICE: {test}: MongoDB test NOT RUN ({SKIP_VAR}=1 and {URL_VAR} unset); \
                 run `bash scripts/test.sh` to test the MongoDB backend"
            );
            None
        }
        _ => panic!(
            "{test}: {URL_VAR} is not set, so the MongoDB backend cannot be tested.\n\
             Run all tests with a throw-away server: `bash scripts/test.sh`\n\
             or start one yourself:\n  \
               python3 -m venv .venv-mongo && .venv-mongo/bin/pip install SecantusDB==0.7.0b3\n  \
               .venv-mongo/bin/secantusd-py --host 127.0.0.1 --port 27017 --storage-path :memory:\n  \
               export {URL_VAR}=mongodb://127.0.0.1:27017\n\
             (or set {SKIP_VAR}=1 to skip the MongoDB tests explicitly)"
        ),
    }
}

/// A database name no other test (or test process) uses.
pub fn unique_db_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(n);
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!(
        "bincio_test_{}_{n}_{:08x}",
        std::process::id(),
        h.finish() as u32
    )
}

/// `base` with the database `name` put in its path (query kept).
pub fn url_with_db(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let head = head.trim_end_matches('/');
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

/// Drops its database when dropped (best effort, on a thread of its own so
/// it works from any runtime flavour and outside one, and bounded by
/// [`DROP_TIMEOUT`]: SecantusDB once spun for minutes on a drop after a
/// test had killed processes mid-transaction, holding the test up).
pub struct DropDb {
    /// Server URL without database.
    pub base: String,
    /// Database name.
    pub name: String,
}

impl DropDb {
    /// A fresh database on `base`: its URL and the guard that drops it.
    pub fn fresh(base: &str) -> (String, Self) {
        let name = unique_db_name();
        (
            url_with_db(base, &name),
            Self {
                base: base.to_owned(),
                name,
            },
        )
    }
}

/// How long a [`DropDb`] waits for the server to drop its database.
pub const DROP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

impl Drop for DropDb {
    fn drop(&mut self) {
        let url = url_with_db(&self.base, &self.name);
        let name = self.name.clone();
        let t = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                tokio::time::timeout(DROP_TIMEOUT, async {
                    let client = mongodb::Client::with_uri_str(&url).await.ok()?;
                    client.database(&name).drop().await.ok()
                })
                .await
                .ok()
                .flatten()
            })
        });
        let _ = t.join();
    }
}

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
/// ```text
/// bincio_store_conformance::conformance_tests!(bincio_store_mongo::mongo_backend!());
/// ```
#[macro_export]
macro_rules! mongo_backend {
    () => {
        match $crate::testkit::MongoBackend::from_env(module_path!()) {
            Some(b) => b,
            None => return,
        }
    };
}

/// A [`SharedDb`] for a test body, or `return` when skipping (as
/// [`mongo_backend!`](crate::mongo_backend)).
#[macro_export]
macro_rules! mongo_shared_db {
    () => {
        match $crate::testkit::SharedDb::from_env(module_path!()) {
            Some(b) => b,
            None => return,
        }
    };
}

/// The conformance [`Backend`] on MongoDB: a fresh database per call.
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
        Stores::all(Arc::new(store), Arc::new(guard))
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
    pub async fn raw(&self) -> mongodb::Database {
        mongodb::Client::with_uri_str(url_with_db(&self.base, &self.name))
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
        Stores::all(Arc::new(self.connect().await), self.guard.clone())
    }
}
