//! In-process registry of long-running jobs (uploads, imports) so admins can
//! see progress at `GET /api/admin/jobs`. A job is removed when its
//! [`JobHandle`] is dropped, so a client that disconnects mid-stream never
//! leaves a stale entry (a fault of the Python original).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand::Rng;
use serde::Serialize;

use crate::clock::Clock;

/// A snapshot of one job, as `/api/admin/jobs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobInfo {
    /// 8 lowercase hex characters.
    pub id: String,
    /// Handle of the user who started it.
    pub user: String,
    /// What kind of job (e.g. `upload`, `strava-zip`).
    pub kind: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Number of items to process.
    pub total: u64,
    /// Number processed.
    pub done: u64,
    /// Name of the item in progress.
    pub current: String,
}

/// Shared registry. Cheap to clone.
#[derive(Clone)]
pub struct JobRegistry {
    clock: Arc<dyn Clock>,
    jobs: Arc<Mutex<BTreeMap<String, JobInfo>>>,
}

impl JobRegistry {
    /// Empty registry.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            jobs: Arc::default(),
        }
    }

    /// Register a job; it lives until the returned handle is dropped.
    pub fn start(&self, user: &str, kind: &str, total: u64) -> JobHandle {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let id = loop {
            let id = format!("{:08x}", rand::rng().random::<u32>());
            if !jobs.contains_key(&id) {
                break id;
            }
        };
        jobs.insert(
            id.clone(),
            JobInfo {
                id: id.clone(),
                user: user.to_owned(),
                kind: kind.to_owned(),
                started_at: self.clock.unix(),
                total,
                done: 0,
                current: String::new(),
            },
        );
        JobHandle {
            id,
            jobs: self.jobs.clone(),
        }
    }

    /// Every running job, oldest first.
    pub fn list(&self) -> Vec<JobInfo> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<JobInfo> = jobs.values().cloned().collect();
        v.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        v
    }
}

/// Owner of one registered job; dropping it unregisters the job.
pub struct JobHandle {
    id: String,
    jobs: Arc<Mutex<BTreeMap<String, JobInfo>>>,
}

impl JobHandle {
    /// The job id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Report progress: `done` items finished, now working on `current`.
    pub fn progress(&self, done: u64, current: &str) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = jobs.get_mut(&self.id) {
            j.done = done;
            current.clone_into(&mut j.current);
        }
    }

    /// Say what the job is doing without finishing an item (e.g. "paused
    /// until 10:15 UTC").
    pub fn note(&self, current: &str) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = jobs.get_mut(&self.id) {
            current.clone_into(&mut j.current);
        }
    }

    /// Change the total (e.g. once a ZIP's entries are counted).
    pub fn set_total(&self, total: u64) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(j) = jobs.get_mut(&self.id) {
            j.total = total;
        }
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn lifecycle() {
        let reg = JobRegistry::new(Arc::new(ManualClock::at(5)));
        let h = reg.start("alice", "upload", 3);
        h.progress(1, "a.gpx");
        let l = reg.list();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].done, 1);
        assert_eq!(l[0].current, "a.gpx");
        assert_eq!(l[0].id.len(), 8);
        drop(h);
        assert!(reg.list().is_empty());
    }
}
