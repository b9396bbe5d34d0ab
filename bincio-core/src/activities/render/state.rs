//! Render bookkeeping: what the last render made, so the next one can skip
//! unchanged users (by their store change counter) and, within a changed
//! user, unchanged activities (by a hash of their documents).
//!
//! It lives beside the database (`{data_dir}/render-state/`), never in the
//! exported tree: it names unlisted activities, which must stay reachable
//! by link only, not enumerable.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

/// Bumped when the output format changes: every user and activity is then
/// rendered anew (files whose bytes did not change are still left alone).
pub(super) const FORMAT: u32 = 2;

/// The whole bookkeeping of one output tree.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct State {
    pub format: u32,
    /// Hash of the combined feed's inputs (every member's fingerprint).
    #[serde(default)]
    pub feed: String,
    pub users: BTreeMap<String, UserState>,
}

/// One user's last render.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct UserState {
    /// Hash of the user-level inputs (change counter, account, display name).
    pub fingerprint: String,
    /// Exported activities by id.
    pub activities: BTreeMap<String, ActivityState>,
    /// Index files (flat feed, year shards), relative to the user directory.
    pub index_files: Vec<String>,
}

impl UserState {
    /// Every file this user's render made, relative to the user directory.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.activities
            .values()
            .flat_map(|a| a.files.iter())
            .chain(self.index_files.iter())
            .map(String::as_str)
    }
}

/// One activity's last render.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ActivityState {
    /// Hash of everything its files were made from.
    pub key: String,
    /// Files made, relative to the user directory.
    pub files: Vec<String>,
}

/// The bookkeeping at `path`, or an empty one (missing, unreadable, or of
/// another format: a full render follows, which is always correct).
pub(super) fn load(path: &Path) -> State {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<State>(&b).ok())
        .filter(|s| s.format == FORMAT)
        .unwrap_or_default()
}

/// Save atomically (temp file + rename).
pub(super) fn save(path: &Path, state: &State) -> CoreResult<()> {
    let io = |p: &Path, e: std::io::Error| CoreError::Internal(format!("{}: {e}", p.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let bytes = serde_json::to_vec(state).map_err(|e| CoreError::Internal(e.to_string()))?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}
