//! Event check-in (CCIP / OPass): configuration, attendee import, the route
//! rules, puzzle delivery and the exact CCIP wire format.
//!
//! * [`config`] loads `event.toml` and the CCIP files, validated;
//! * [`import`] binds attendee CSVs (all-or-nothing, line-numbered errors);
//! * [`rules`] holds the pure transitions stores apply atomically;
//! * [`audit`] the audit log, idempotent scans (nonces) and exact undo;
//! * [`service`] is the one place route rules live ([`announcement`] holds
//!   the bounds of a posted announcement);
//! * [`wire`] renders CS's JSON byte-for-byte.

pub mod announcement;
pub mod audit;
pub mod config;
pub mod desk;
pub mod import;
pub mod model;
pub mod oid;
pub mod ordered;
pub mod puzzle;
pub mod rules;
pub mod service;
pub mod time;
pub mod wire;

pub use config::{ConfigError, EventConfig};
pub use service::{EventService, NewAnnouncement};
