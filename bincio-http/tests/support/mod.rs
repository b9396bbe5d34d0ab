//! The one test harness of the HTTP suites (also used by the root tests
//! that span crates, through `#[path]`): backends, an in-process client
//! ([`http`]), the CCIP fixture event on top of it ([`ccip`]), and
//! synthetic records.
//!
//! Every HTTP and conformance test body takes `&dyn Backend`, so the same
//! body runs on every backend (see [`backend_tests!`]).
#![allow(dead_code)]

pub mod ccip;
pub mod http;
pub mod mongo;
pub mod records;

use std::path::{Path, PathBuf};

/// SQLite: a fresh database file in its own temp dir per call.
pub use bincio_store_sqlite::testkit::Sqlite;

/// The repository root (the directory of `Cargo.lock`), whichever crate's
/// tests include this harness: shared fixtures live in its `tests/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("Cargo.lock").is_file())
        .expect("repository root above CARGO_MANIFEST_DIR")
        .to_path_buf()
}

/// The `id`s of a document's `activities` array, in order (empty when
/// there is none).
pub fn activity_ids(doc: &serde_json::Value) -> Vec<String> {
    doc["activities"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Expands to one `#[tokio::test]` per listed case `fn(&dyn Backend)`,
/// run with the given backend expression.
#[macro_export]
macro_rules! backend_tests {
    ($backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let backend = $backend;
                super::$case(&backend).await;
            }
        )*
    };
}
