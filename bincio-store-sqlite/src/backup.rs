//! Online backup of a live database (`bincio backup`) and the checks of a
//! restored one (`bincio restore`).
//!
//! [`snapshot`] uses SQLite's online backup API from its own read-only
//! connection, in **one** step: the copy runs inside a single read
//! transaction, so it is the database as of one commit, whatever other
//! connections or processes write meanwhile (a step-wise copy restarts
//! whenever another connection writes, and may never finish under load).
//! In WAL mode that read transaction does not block writers; it only holds
//! back checkpoints until the copy ends.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

/// A backup or check failure, with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BackupError {
    /// The database file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

fn err(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |e| BackupError {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Copy the database at `src` (live, any number of writers) into the new
/// file `dest` as of one commit, then check the copy's integrity.
pub fn snapshot(src: &Path, dest: &Path) -> Result<(), BackupError> {
    if !src.is_file() {
        return Err(BackupError {
            path: src.display().to_string(),
            message: "no such database".into(),
        });
    }
    let from = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err(src))?;
    from.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(err(src))?;
    let mut to = Connection::open(dest).map_err(err(dest))?;
    {
        let b = rusqlite::backup::Backup::new(&from, &mut to).map_err(err(src))?;
        // -1: every page in one step, i.e. one read transaction (see the
        // module docs); Busy/Locked (a writer mid-commit) are retried for
        // the busy timeout's length.
        let started = std::time::Instant::now();
        loop {
            use rusqlite::backup::StepResult;
            match b.step(-1).map_err(err(src))? {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked
                    if started.elapsed() < std::time::Duration::from_secs(30) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => {
                    return Err(BackupError {
                        path: src.display().to_string(),
                        message: format!("backup did not finish within 30 s ({other:?})"),
                    })
                }
            }
        }
    }
    // The copy is a plain rollback-journal file: no -wal beside it.
    to.pragma_update(None, "journal_mode", "DELETE")
        .map_err(err(dest))?;
    drop(to);
    check(dest)
}

/// `PRAGMA integrity_check` of the database file at `path` (opened
/// read-only, nothing migrated): `Ok` when SQLite answers `ok`.
pub fn check(path: &Path) -> Result<(), BackupError> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err(path))?;
    let rows: Vec<String> = c
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(err(path))?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(BackupError {
            path: path.display().to_string(),
            message: format!("integrity check failed: {}", rows.join("; ")),
        })
    }
}
