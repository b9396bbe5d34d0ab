//! The one place that decides how a test reaches MongoDB.
//!
//! * `BINCIO_TEST_MONGO_URL` (e.g. `mongodb://127.0.0.1:27017`, no database
//!   name): every call of [`MongoBackend::fresh`] connects to a new database
//!   `bincio_test_<pid>_<n>_<random>`, dropped when the stores are dropped.
//! * unset and `BINCIO_SKIP_MONGO=1`: the test prints a notice and returns
//!   (the one allowed skip, asked for explicitly).
//! * unset otherwise: the test **fails** with a message saying how to start
//!   a server.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bincio_core::conformance::{Backend, Stores};
use bincio_store_mongo::MongoStore;

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
/// it works from any runtime flavour and outside one).
pub struct DropDb {
    base: String,
    name: String,
}

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
                let client = bincio_store_mongo::mongodb::Client::with_uri_str(&url)
                    .await
                    .ok()?;
                client.database(&name).drop().await.ok()
            })
        });
        let _ = t.join();
    }
}

/// A connected store on a fresh database, with the guard that drops it.
pub async fn fresh_store(base: &str) -> (MongoStore, DropDb) {
    let name = unique_db_name();
    let store = MongoStore::connect(&url_with_db(base, &name))
        .await
        .unwrap_or_else(|e| panic!("connect to {URL_VAR}={base}: {e}"));
    (
        store,
        DropDb {
            base: base.to_owned(),
            name,
        },
    )
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
