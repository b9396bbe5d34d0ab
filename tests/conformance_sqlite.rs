//! The store conformance suite on SQLite (one fresh database file per case).

use std::sync::Arc;

use bincio_core::conformance::{Backend, Stores};
use bincio_store_sqlite::SqliteStore;

struct Sqlite;

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

bincio_core::conformance_tests!(Sqlite);
