//! `bincio`: the facade. Re-exports the workspace crates so an embedding app
//! depends on one package; owns the cross-crate `examples/` and `tests/`.
#![forbid(unsafe_code)]

pub use bincio_core as core;
pub use bincio_extract as extract;
pub use bincio_http as http;
pub use bincio_store_mongo as store_mongo;
pub use bincio_store_sqlite as store_sqlite;
