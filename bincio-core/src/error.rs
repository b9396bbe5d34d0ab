//! The core layer's error type. Adapters map it to their wire format in one
//! place each (HTTP: `bincio-http/src/error.rs`; CLI: one line + exit code).

use crate::store::StoreError;

/// Everything a service can refuse or fail with. The variant decides the
/// HTTP status; the message is safe to show to the caller (it never carries
/// internal paths or driver errors — those stay in [`CoreError::Store`] /
/// [`CoreError::Internal`], whose messages are logged, not returned).
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Bad input (400).
    #[error("{0}")]
    Invalid(String),
    /// Missing or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or is not visible to the caller) (404).
    #[error("{0}")]
    NotFound(String),
    /// The thing exists already / state conflict (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (429).
    #[error("{0}")]
    RateLimited(String),
    /// Well-formed but cannot be processed (422).
    #[error("{0}")]
    Unprocessable(String),
    /// Input exceeds a size or count limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A service this operation needs is not configured or not reachable
    /// (503), e.g. no DEM elevation service.
    #[error("{0}")]
    Unavailable(String),
    /// The store failed (500; message logged, not shown).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Any other internal fault (500; message logged, not shown).
    #[error("internal: {0}")]
    Internal(String),
}

impl CoreError {
    /// Shorthand for [`CoreError::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
}

/// Result alias of the core layer.
pub type CoreResult<T> = Result<T, CoreError>;
