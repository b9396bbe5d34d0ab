//! The store conformance suite on MongoDB (one fresh database per case).
//!
//! Needs `BINCIO_TEST_MONGO_URL` (see `tests/support/mongo.rs`;
//! `bash scripts/test.sh` starts a server and sets it).

mod support;

bincio_core::conformance_tests!(crate::mongo_backend!());
