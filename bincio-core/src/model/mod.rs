//! Domain types shared by services, stores and adapters.

mod activity;
mod athlete;
mod source;
mod user;

pub use activity::{
    doc_bytes, parse_lean_summary, ActivityEdits, ActivityRecord, ActivityTracks, Blob, FeedCursor,
    Orphans, Privacy, RawTracks, StorageUsage, PREVIEW_KEY,
};

pub use athlete::{AthleteConfig, AthleteKey, AthletePatch, Season};
pub use source::{DropConfig, DropFile, SyncItem, SyncRun};
pub use user::{Invite, Member, NewUser, ResetCode, Role, Session, User};
