//! What can go wrong exporting or importing an instance archive.

use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// An export or import failure. Import errors in the archive name the
/// file and, for a record, its line; nothing is written to the store
/// before the whole archive has been checked.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file of the archive is wrong (`line` 0: the file as a whole).
    #[error("{}", located(file, *line, message))]
    Invalid {
        file: String,
        line: u64,
        message: String,
    },
    /// The archive is fine but cannot go where it was asked to.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

fn located(file: &str, line: u64, message: &str) -> String {
    if line == 0 {
        format!("{file}: {message}")
    } else {
        format!("{file} line {line}: {message}")
    }
}

impl ArchiveError {
    /// An I/O error on `path`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// A wrong file (or line of it).
    pub fn invalid(file: &str, line: u64, message: impl Into<String>) -> Self {
        Self::Invalid {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}
