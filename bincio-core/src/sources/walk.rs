//! Walking a drop folder: what is in it, what may be read, what is
//! refused, without following anything out of it.
//!
//! Rules (each refusal is an outcome the member sees, once per version):
//! * the folder is canonicalised once; a symlink is followed only when its
//!   canonical target is a file inside the folder (never a directory: no
//!   loops, no escape);
//! * hidden files (`.name`) and files that sync tools write before a rename
//!   (`*.tmp`, `*.part`, `*.partial`, `*.crdownload`, `*~`) are skipped
//!   silently: they are not there yet;
//! * a file that is not GPX / TCX / FIT (optionally `.gz`), larger than the
//!   upload limit, or not a regular file is refused unread;
//! * at most [`MAX_DEPTH`] levels and [`MAX_ENTRIES`] entries are walked
//!   per scan, in path order (bounded work on any folder).

use std::path::{Path, PathBuf};

use crate::activities::ingest::MAX_UPLOAD_BYTES;
use crate::extract;

/// Deepest sub-folder walked (the folder itself is depth 0).
pub const MAX_DEPTH: usize = 8;
/// Most entries (files and folders) walked per scan.
pub const MAX_ENTRIES: usize = 100_000;

/// One file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Path relative to the folder, `/`-separated.
    pub rel: String,
    /// Where to read it (the symlink's target for a symlink).
    pub abs: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, Unix milliseconds.
    pub mtime_ms: i64,
    /// Why it is refused unread, if it is.
    pub refused: Option<String>,
}

fn skipped(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.ends_with('~')
        || [".tmp", ".part", ".partial", ".crdownload"]
            .iter()
            .any(|s| lower.ends_with(s))
}

fn mtime_ms(m: &std::fs::Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Every file under `root` (already canonical), sorted by path.
pub(crate) fn walk(root: &Path) -> std::io::Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut entries = 0usize;
    let mut dirs = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = dirs.pop() {
        let mut list: Vec<_> = std::fs::read_dir(&dir)?.filter_map(Result::ok).collect();
        list.sort_by_key(std::fs::DirEntry::file_name);
        for e in list {
            entries += 1;
            if entries > MAX_ENTRIES {
                return Ok(sorted(out));
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if skipped(&name) {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            let refuse = |why: &str, size: u64, mtime: i64| Found {
                rel: rel.clone(),
                abs: e.path(),
                size,
                mtime_ms: mtime,
                refused: Some(format!("{rel}: {why}")),
            };
            let (abs, meta) = if meta.file_type().is_symlink() {
                match std::fs::canonicalize(e.path()) {
                    Ok(t) if t.starts_with(root) => match std::fs::metadata(&t) {
                        Ok(m) if m.is_dir() => continue,
                        Ok(m) => (t, m),
                        Err(_) => continue,
                    },
                    Ok(_) => {
                        out.push(refuse(
                            "refused: a symbolic link leading outside the drop folder",
                            0,
                            mtime_ms(&meta),
                        ));
                        continue;
                    }
                    Err(_) => {
                        out.push(refuse(
                            "refused: a broken symbolic link",
                            0,
                            mtime_ms(&meta),
                        ));
                        continue;
                    }
                }
            } else {
                (e.path(), meta)
            };
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    dirs.push((abs, format!("{rel}/"), depth + 1));
                }
                continue;
            }
            let (size, mtime) = (meta.len(), mtime_ms(&meta));
            let found = if !meta.is_file() {
                refuse("refused: not a regular file", size, mtime)
            } else if e.file_name().to_str().is_none() {
                refuse("refused: the file name is not UTF-8", size, mtime)
            } else if !extract::is_supported_name(&name) {
                refuse(
                    "refused: not an activity file (expected .gpx, .tcx or .fit, optionally .gz)",
                    size,
                    mtime,
                )
            } else if size > MAX_UPLOAD_BYTES as u64 {
                refuse("refused: file larger than 50 MiB", size, mtime)
            } else {
                Found {
                    rel,
                    abs,
                    size,
                    mtime_ms: mtime,
                    refused: None,
                }
            };
            out.push(found);
        }
    }
    Ok(sorted(out))
}

fn sorted(mut v: Vec<Found>) -> Vec<Found> {
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    v
}

/// Read a found file: at most the upload limit, and only if it still has
/// the size the walk saw (else it is still being written: `None`).
pub(crate) fn read(f: &Found) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(&f.abs)?;
    let mut bytes = Vec::with_capacity(usize::try_from(f.size).unwrap_or(0));
    file.take(MAX_UPLOAD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 == f.size).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_tool_temporaries_are_not_there_yet() {
        for n in [
            ".syncthing.a.fit.tmp",
            "a.fit.part",
            "b.gpx~",
            "c.FIT.crdownload",
            ".x",
        ] {
            assert!(skipped(n), "{n}");
        }
        assert!(!skipped("ride.fit.gz"));
    }
}
