//! `AttendeeStore` on MongoDB: not implemented yet (the MongoDB check-in
//! issue). Every method answers a backend error, so serving an event on
//! MongoDB fails loudly (JSON 500) instead of misbehaving. The layout to
//! implement is CCIP-Server's (`ccip.md` §2); the transitions are
//! `bincio_core::event::rules` (see the trait docs for the atomic steps).

use bincio_core::event::model::{Announcement, Attendee};
use bincio_core::event::rules::{ImportAttendee, UseRefusal, UseRequest};
use bincio_core::store::{AttendeeStore, ImportCounts, StoreError, StoreResult};

use crate::MongoStore;

fn todo<T>() -> StoreResult<T> {
    Err(StoreError::Backend(
        "event check-in is not implemented on MongoDB yet".to_owned(),
    ))
}

#[async_trait::async_trait]
impl AttendeeStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    async fn import_attendees(&self, _batch: Vec<ImportAttendee>) -> StoreResult<ImportCounts> {
        todo()
    }

    async fn get_attendee(&self, _token: &str) -> StoreResult<Option<Attendee>> {
        todo()
    }

    async fn get_attendee_by_id(&self, _id: &str) -> StoreResult<Option<Attendee>> {
        todo()
    }

    async fn mark_first_use(
        &self,
        _token: &str,
        _now: i64,
    ) -> StoreResult<Option<(Attendee, bool)>> {
        todo()
    }

    async fn use_scenario(&self, _req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>> {
        todo()
    }

    async fn list_attendees(&self, _role: &str) -> StoreResult<Vec<Attendee>> {
        todo()
    }

    async fn add_announcement(&self, _a: Announcement) -> StoreResult<()> {
        todo()
    }

    async fn announcements(&self, _role: &str) -> StoreResult<Vec<Announcement>> {
        todo()
    }
}
