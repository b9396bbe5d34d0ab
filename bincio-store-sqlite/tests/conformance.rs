//! The store conformance suite on SQLite (one fresh database file per case).

bincio_store_conformance::conformance_tests!(bincio_store_sqlite::testkit::Sqlite);
