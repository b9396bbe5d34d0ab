//! How a CLI test reaches MongoDB: the same rule as `tests/support/mongo.rs`
//! of the facade (which this crate cannot import).
//!
//! * `BINCIO_TEST_MONGO_URL` set: a fresh database per call, dropped after;
//! * unset and `BINCIO_SKIP_MONGO=1`: a notice, the test returns;
//! * unset otherwise: the test fails, saying how to start a server.
#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

pub const URL_VAR: &str = "BINCIO_TEST_MONGO_URL";
pub const SKIP_VAR: &str = "BINCIO_SKIP_MONGO";

/// The server URL, `None` when skipping was asked for.
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
        "bincio_cli_{}_{n}_{:08x}",
        std::process::id(),
        h.finish() as u32
    )
}

/// `base` with the database `name` in its path (query kept).
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

/// A fresh database URL; the database is dropped with the guard.
pub struct TestDb {
    pub url: String,
    name: String,
}

impl TestDb {
    pub fn new(base: &str) -> Self {
        let name = unique_db_name();
        Self {
            url: url_with_db(base, &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
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
