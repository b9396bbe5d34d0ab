//! `ActivityStore` on MongoDB (its methods arrive with their own issue).

use bincio_core::store::ActivityStore;

use crate::MongoStore;

#[async_trait::async_trait]
impl ActivityStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }
}
