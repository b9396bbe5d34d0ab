//! `PuzzleStore`: puzzle buckets and counters. Its methods arrive with the
//! check-in issue.

/// Storage of the booth puzzle game. Extended by the check-in issue.
#[async_trait::async_trait]
pub trait PuzzleStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;
}
