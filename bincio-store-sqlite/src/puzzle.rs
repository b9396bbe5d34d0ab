//! `PuzzleStore` on SQLite (extended by the check-in issue).

use bincio_core::store::PuzzleStore;

use crate::SqliteStore;

#[async_trait::async_trait]
impl PuzzleStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}
