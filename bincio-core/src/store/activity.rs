//! `ActivityStore`: activity summaries, details, tracks, originals, images,
//! edits, feeds. Its methods arrive with the activities issue; the trait
//! exists now so backends and services can be wired against it.

/// Storage of activities. Extended by the activities issue.
#[async_trait::async_trait]
pub trait ActivityStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;
}
