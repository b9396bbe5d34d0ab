//! `bincio-core`: domain types, the four storage traits, the business rules
//! (services) and the pure engines (extraction, BAS export).
//!
//! Invariants of this crate:
//! * it knows no database and no HTTP: backends implement [`store`] traits,
//!   adapters (HTTP, CLI) call services;
//! * every race-prone decision is delegated to one atomic store call, never a
//!   read-check-write in a service;
//! * time comes from an injectable [`clock::Clock`] so rules are testable.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod activities;
pub mod clock;
pub mod error;
pub mod event;
pub mod extract;
pub mod import;
pub mod jobs;
pub mod model;
pub mod ratelimit;
pub mod store;
pub mod validate;

#[cfg(feature = "testkit")]
pub mod conformance;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::CoreError;
