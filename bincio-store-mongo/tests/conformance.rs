//! The store conformance suite on MongoDB (one fresh database per case).
//!
//! Needs `BINCIO_TEST_MONGO_URL` (see `bincio_store_mongo::testkit`;
//! `bash scripts/test.sh` starts a server and sets it).

bincio_store_conformance::conformance_tests!(bincio_store_mongo::mongo_backend!());
