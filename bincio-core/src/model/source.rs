//! Activity sources that feed a member's activities by themselves (a
//! watched drop folder, account exports, …): what a store keeps of them.

use serde::{Deserialize, Serialize};

/// A member's drop-folder settings and state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropConfig {
    /// The folder an admin gave for this member (an absolute path); `None`
    /// means the default `<data dir>/drop/<handle>/`.
    pub folder: Option<String>,
    /// When the folder was last scanned (Unix seconds).
    pub last_scan_at: Option<i64>,
}

/// One file of a drop folder as a scan saw it: the version it claimed
/// (`size`, `mtime_ms`, `hash`) and whether its ingestion finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropFile {
    /// Path relative to the member's drop folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, Unix milliseconds.
    pub mtime_ms: i64,
    /// Content hash ([`crate::extract::source_hash`]) of a read file, or
    /// `refused:<size>:<mtime_ms>` for one refused unread (too large,
    /// not an activity file, a symlink leaving the folder).
    pub hash: String,
    /// When a scan claimed this version (Unix seconds).
    pub claimed_at: i64,
    /// True once the claiming scan recorded its outcome.
    pub done: bool,
}

/// What happened to one item of a sync run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncItem {
    /// The file (path in the drop folder, entry of an archive).
    pub name: String,
    /// `imported`, `duplicate` or `error`.
    pub status: String,
    /// The activity concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why it failed or was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One run of a source for one member (a drop-folder scan that found
/// something), as the member's history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRun {
    /// Unique id (16 lowercase hex characters).
    pub id: String,
    /// The member.
    pub handle: String,
    /// The source (`drop`, …).
    pub source: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds.
    pub finished_at: i64,
    /// Activities stored.
    pub imported: u32,
    /// Files already stored.
    pub duplicates: u32,
    /// Files that failed or were refused.
    pub errors: u32,
    /// One line per file, at most [`SyncRun::MAX_ITEMS`] (the counts cover
    /// every file).
    pub items: Vec<SyncItem>,
}

impl SyncRun {
    /// Most items kept per run.
    pub const MAX_ITEMS: usize = 200;
}
