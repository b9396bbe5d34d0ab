//! Shared test support: backends and an in-process HTTP client.
//!
//! Every HTTP and conformance test body takes `&dyn Backend`, so the same
//! body runs on every backend (see [`backend_tests!`]).
#![allow(dead_code)]

pub mod http;
pub mod legacy;
pub mod mongo;
pub mod records;

use std::sync::Arc;

use bincio_core::conformance::{Backend, Stores};
use bincio_store_sqlite::SqliteStore;

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

/// SQLite: a fresh database file in its own temp dir per call.
pub struct Sqlite;

#[async_trait::async_trait]
impl Backend for Sqlite {
    async fn fresh(&self) -> Stores {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("instance.db")).expect("open sqlite");
        let s = Arc::new(store);
        Stores {
            users: s.clone(),
            activities: s.clone(),
            attendees: s.clone(),
            puzzles: s,
            guard: Some(Arc::new(dir)),
        }
    }
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
