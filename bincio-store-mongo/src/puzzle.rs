//! `PuzzleStore` on MongoDB: not implemented yet (the MongoDB check-in
//! issue); every method answers a backend error. See the trait docs for the
//! atomic steps to implement on `puzzle_bucket` / `puzzle_status`.

use bincio_core::event::model::{PuzzleBucket, PuzzleCounter};
use bincio_core::store::{
    DeliverOutcome, Delivery, PuzzleStore, RevokeOutcome, StoreError, StoreResult,
};

use crate::MongoStore;

fn todo<T>() -> StoreResult<T> {
    Err(StoreError::Backend(
        "the puzzle game is not implemented on MongoDB yet".to_owned(),
    ))
}

#[async_trait::async_trait]
impl PuzzleStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    async fn ensure_counters(&self, _pieces: &[String], _now: i64) -> StoreResult<()> {
        todo()
    }

    async fn counters(&self) -> StoreResult<Vec<PuzzleCounter>> {
        todo()
    }

    async fn ensure_bucket(
        &self,
        _attendee_id: &str,
        _public_token: &str,
        _now: i64,
    ) -> StoreResult<()> {
        todo()
    }

    async fn bucket(&self, _public_token: &str) -> StoreResult<Option<PuzzleBucket>> {
        todo()
    }

    async fn deliver(&self, _d: Delivery) -> StoreResult<DeliverOutcome> {
        todo()
    }

    async fn revoke(&self, _public_token: &str, _now: i64) -> StoreResult<RevokeOutcome> {
        todo()
    }

    async fn use_coupon(&self, _public_token: &str, _now: i64) -> StoreResult<bool> {
        todo()
    }
}
