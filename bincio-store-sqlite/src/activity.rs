//! `ActivityStore` on SQLite (extended by the activities issue).

use bincio_core::store::ActivityStore;

use crate::SqliteStore;

#[async_trait::async_trait]
impl ActivityStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}
