//! `AttendeeStore`: event attendees with their bound scenarios. Its methods
//! arrive with the check-in issue.

/// Storage of event attendees and announcements. Extended by the check-in issue.
#[async_trait::async_trait]
pub trait AttendeeStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;
}
