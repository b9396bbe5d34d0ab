//! `PuzzleStore` on MongoDB (its methods arrive with their own issue).

use bincio_core::store::PuzzleStore;

use crate::MongoStore;

#[async_trait::async_trait]
impl PuzzleStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }
}
