//! Domain types shared by services, stores and adapters.

mod activity;
mod athlete;
mod user;

pub use activity::{
    doc_bytes, ActivityEdits, ActivityRecord, ActivityTracks, Blob, FeedCursor, Privacy, RawTracks,
    StorageUsage,
};

pub use athlete::{AthleteConfig, AthleteKey, AthletePatch, Season};
pub use user::{Invite, Member, NewUser, ResetCode, Role, Session, User};
