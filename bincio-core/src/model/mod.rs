//! Domain types shared by services, stores and adapters.

mod activity;
mod user;

pub use activity::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, FeedCursor, Privacy, StorageUsage,
};

pub use user::{Invite, Member, NewUser, ResetCode, Role, Session, User};
