//! Writing files so that readers never see one half-written.
//!
//! * A user directory that does not exist yet is built under a hidden
//!   staging name and renamed into place when complete (one rename for the
//!   whole directory, plain writes inside it).
//! * In an existing directory each file is written to a temp name and
//!   renamed over the old one, and only when its bytes changed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::RenderStats;
use crate::error::{CoreError, CoreResult};

/// Prefix of staging directories in the output root (never a valid handle).
pub(super) const STAGING_PREFIX: &str = ".staging-";

pub(super) fn io_err(p: &Path, e: std::io::Error) -> CoreError {
    CoreError::Internal(format!("{}: {e}", p.display()))
}

/// Writes files under `base`, counting what it did.
pub(super) struct Writer {
    base: PathBuf,
    /// Temp file + rename, and skip identical bytes (existing directory);
    /// plain writes otherwise (staging directory nobody reads yet).
    in_place: bool,
    pub stats: RenderStats,
}

impl Writer {
    pub fn new(base: PathBuf, in_place: bool) -> Self {
        Self {
            base,
            in_place,
            stats: RenderStats::default(),
        }
    }

    /// Write `bytes` at `rel` (relative to the base).
    pub fn put(&mut self, rel: &str, bytes: &[u8]) -> CoreResult<()> {
        let path = self.base.join(rel);
        if !self.in_place {
            write_creating_dirs(&path, bytes)?;
            self.stats.written += 1;
            return Ok(());
        }
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        write_creating_dirs(&tmp, bytes)?;
        std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        self.stats.written += 1;
        Ok(())
    }

    /// Remove every file under the base that is not in `keep` (relative
    /// paths), and directories left empty.
    pub fn remove_stale(&mut self, keep: &HashSet<&str>) -> CoreResult<()> {
        let mut dirs = Vec::new();
        let mut stack = vec![self.base.clone()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in rd.flatten() {
                let p = entry.path();
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    dirs.push(p.clone());
                    stack.push(p);
                    continue;
                }
                let rel = p
                    .strip_prefix(&self.base)
                    .ok()
                    .and_then(Path::to_str)
                    .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"));
                if !rel.is_some_and(|r| keep.contains(r.as_str())) {
                    std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
                    self.stats.removed += 1;
                }
            }
        }
        // Deepest first; a directory that still holds files stays.
        for d in dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        Ok(())
    }
}

/// Write, creating the parent directory only when it is missing (one
/// syscall per file in the common case).
fn write_creating_dirs(path: &Path, bytes: &[u8]) -> CoreResult<()> {
    match std::fs::write(path, bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            }
            std::fs::write(path, bytes).map_err(|e| io_err(path, e))
        }
        r => r.map_err(|e| io_err(path, e)),
    }
}

/// Remove staging directories a crashed render left in `out`.
pub(super) fn remove_leftover_staging(out: &Path) {
    let Ok(rd) = std::fs::read_dir(out) else {
        return;
    };
    for entry in rd.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
