//! The store conformance suite on MongoDB (one fresh database per case).
//!
//! Needs `BINCIO_TEST_MONGO_URL` (see `tests/common/mongo.rs`;
//! `bash scripts/test.sh` starts a server and sets it).

mod common;

use common::mongo::MongoBackend;

// `return` ends the test early only when `BINCIO_SKIP_MONGO=1` asked for it
// (a notice is printed); an unset URL otherwise fails the test.
bincio_core::conformance_tests!(match MongoBackend::from_env(module_path!()) {
    Some(b) => b,
    None => return,
});
