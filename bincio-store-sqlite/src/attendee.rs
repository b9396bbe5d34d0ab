//! `AttendeeStore` on SQLite (extended by the check-in issue).

use bincio_core::store::AttendeeStore;

use crate::SqliteStore;

#[async_trait::async_trait]
impl AttendeeStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}
