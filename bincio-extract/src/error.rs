//! Extraction errors. Every variant names the file and a reason that is safe
//! to show to the user who uploaded it (no internal paths, no stack traces).

/// Why one input file could not be turned into an activity.
///
/// Invariant: parsers never panic; every malformed, truncated or hostile input
/// ends up as one of these variants.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// The file name does not end in a supported suffix and its bytes do not
    /// look like any supported format.
    #[error("{file}: unsupported file type (expected .gpx, .tcx or .fit, optionally .gz)")]
    UnsupportedFormat { file: String },
    /// The input (or its decompressed form) exceeds a configured limit.
    #[error("{file}: too large: {reason}")]
    TooLarge { file: String, reason: String },
    /// A gzip stream that cannot be decompressed.
    #[error("{file}: bad gzip data: {reason}")]
    Gzip { file: String, reason: String },
    /// The content does not parse as the format it claims to be.
    #[error("{file}: malformed {format}: {reason}")]
    Malformed {
        file: String,
        format: &'static str,
        reason: String,
    },
    /// The file parsed but holds no timestamped point.
    #[error("{file}: no data points")]
    NoDataPoints { file: String },
    /// A timestamp outside the plausible range (before 1990, or more than one
    /// day in the future): a clock that was never set, not a real activity.
    #[error("{file}: implausible timestamp {timestamp}")]
    BadTimestamp { file: String, timestamp: String },
    /// Reading the file from disk failed (only the directory walker and the
    /// CLI produce this; the pure API never touches the filesystem).
    #[error("{file}: cannot read: {reason}")]
    Io { file: String, reason: String },
}

impl ExtractError {
    /// The file name the error is about.
    pub fn file(&self) -> &str {
        match self {
            ExtractError::UnsupportedFormat { file }
            | ExtractError::TooLarge { file, .. }
            | ExtractError::Gzip { file, .. }
            | ExtractError::Malformed { file, .. }
            | ExtractError::NoDataPoints { file }
            | ExtractError::BadTimestamp { file, .. }
            | ExtractError::Io { file, .. } => file,
        }
    }

    /// The reason alone (the message without the leading file name).
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let prefix = format!("{}: ", self.file());
        full.strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or(full)
    }

    pub(crate) fn malformed(file: &str, format: &'static str, reason: impl Into<String>) -> Self {
        ExtractError::Malformed {
            file: file.to_string(),
            format,
            reason: reason.into(),
        }
    }
}
