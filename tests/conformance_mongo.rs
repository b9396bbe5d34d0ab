//! The store conformance suite on MongoDB (one fresh database per case).
//!
//! Needs `BINCIO_TEST_MONGO_URL` (see `tests/support/mongo.rs`;
//! `bash scripts/test.sh` starts a server and sets it).

mod support;

// The event group (`attendee_*`, `puzzle_*`) joins with the MongoDB
// check-in issue, when `MongoStore` implements `AttendeeStore` /
// `PuzzleStore`; then this becomes `conformance_tests!(mongo_backend!())`.
bincio_core::conformance_tests!(accounts: crate::mongo_backend!());
