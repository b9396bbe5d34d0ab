//! The portable instance archive: `bincio export --out DIR` and
//! `bincio import instance --from DIR`.
//!
//! One exporter and one importer, written against the store traits only
//! (no backend code), so an instance moves between any two backends —
//! SQLite → MongoDB and back — with every record kept. The format is
//! documented in `docs/archive.md` and versioned by [`format::Manifest`]
//! (`format = "bincio-instance"`, `version = 1`).
//!
//! What is *not* in an archive, on purpose: sessions (members sign in
//! again), unused password-reset codes (short-lived, and secrets), the
//! one-time set-up code, the per-handle render generations (derived; the
//! next render writes everything), running jobs, rate-limit counters and
//! leases (transient), and the key file `keys/secrets.key`. What *is* in
//! it and must be kept private: password hashes, invite codes, attendee
//! tokens and the sealed (encrypted) Strava tokens, which only the
//! source's key file opens.

mod error;
pub mod export;
pub mod format;
pub mod import;

use std::sync::Arc;

use crate::store::{
    ActivityStore, ArchiveStore, AttendeeStore, ConnectionStore, PuzzleStore, SourceStore,
    UserStore,
};

pub use error::ArchiveError;
pub use export::{export_instance, ExportSummary};
pub use import::{import_instance, ImportSummary};

/// Every store of one instance (one backend).
#[derive(Clone)]
pub struct InstanceStores {
    pub users: Arc<dyn UserStore>,
    pub activities: Arc<dyn ActivityStore>,
    pub attendees: Arc<dyn AttendeeStore>,
    pub puzzles: Arc<dyn PuzzleStore>,
    pub sources: Arc<dyn SourceStore>,
    pub connections: Arc<dyn ConnectionStore>,
    pub archive: Arc<dyn ArchiveStore>,
}

/// The providers whose connections an archive carries.
pub const PROVIDERS: &[&str] = &["strava"];
