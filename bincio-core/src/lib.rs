//! `bincio-core`: domain types, the four storage traits, the business rules
//! (services), render, import and sync. The pure extraction engine is the
//! `bincio-extract` crate, re-exported here as [`extract`] so
//! `bincio_core::extract::…` paths keep working.
//!
//! Invariants of this crate:
//! * it knows no database and no HTTP: backends implement [`store`] traits,
//!   adapters (HTTP, CLI) call services;
//! * every race-prone decision is delegated to one atomic store call, never a
//!   read-check-write in a service;
//! * time comes from an injectable [`clock::Clock`] so rules are testable.
pub mod accounts;
pub mod activities;
pub mod clock;
pub mod error;
pub mod event;
pub mod generation_cache;
/// The extraction engine (the `bincio-extract` crate).
pub use bincio_extract as extract;
pub mod import;
pub mod instance;
pub mod jobs;
pub mod lease;
pub mod model;
pub mod ratelimit;
pub mod sources;
pub mod staged;
pub mod store;
pub mod sync;
pub mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::CoreError;
