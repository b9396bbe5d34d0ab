//! The store conformance suite on SQLite (one fresh database file per case).

mod support;

bincio_core::conformance_tests!(support::Sqlite);
