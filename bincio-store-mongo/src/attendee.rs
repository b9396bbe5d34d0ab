//! `AttendeeStore` on MongoDB (its methods arrive with their own issue).

use bincio_core::store::AttendeeStore;

use crate::MongoStore;

#[async_trait::async_trait]
impl AttendeeStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }
}
