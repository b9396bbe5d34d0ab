//! Registry of long-running jobs (uploads, imports, syncs) so admins can
//! see progress at `GET /api/admin/jobs` — on every process serving one
//! database, not only the one that runs the job.
//!
//! Each job lives twice: in this process's table (what its [`JobHandle`]
//! updates, synchronously and for free) and as a row of the store
//! ([`CoordStore`]) that every process lists. A small background task per
//! registry (the *flusher*, started with the first job inside a Tokio
//! runtime) writes the table back:
//! * a new job and a finished one at once (it is woken);
//! * progress at most once per [`FLUSH_EVERY`] per job, however often the
//!   job reports (SQLite stays fast, a slow MongoDB is not flooded);
//! * every live row again each [`RENEW_EVERY_S`] (a heartbeat), each write
//!   setting `expires_at = now + JOB_TTL_S`, so the jobs of a process that
//!   crashed stop being listed within [`JOB_TTL_S`] seconds.
//!
//! A job is removed when its handle is dropped, so a client that disconnects
//! mid-stream never leaves a stale entry (a fault of the Python original).
//! `Drop` is synchronous: it only edits the table and wakes the flusher,
//! which deletes the row; this process stops listing the job at once.
//! Store failures are logged and retried on the next pass; listing falls
//! back to this process's own jobs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;

use crate::clock::Clock;
use crate::store::{CoordStore, JobRow};

/// Shortest time between two progress writes of one job.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// A job row not renewed for this long (its process died) is not listed.
pub const JOB_TTL_S: i64 = 30;
/// How often a running job's row is renewed.
pub const RENEW_EVERY_S: i64 = 10;
/// How often each registry sweeps expired rows.
const PURGE_EVERY_S: i64 = 300;

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

/// A job of this process and what the store has of it.
struct Entry {
    info: JobInfo,
    /// Changed since the last write.
    dirty: bool,
    /// When it was last written (`None`: never).
    written: Option<Instant>,
    /// Clock time of the last write (for the heartbeat).
    renewed_at: i64,
}

#[derive(Default)]
struct Table {
    jobs: BTreeMap<String, Entry>,
    /// Finished jobs whose rows are still to delete.
    gone: BTreeSet<String>,
}

struct Reg {
    store: Arc<dyn CoordStore>,
    clock: Arc<dyn Clock>,
    /// This registry's id in the store (one per process in practice).
    owner: String,
    table: Mutex<Table>,
    wake: Arc<tokio::sync::Notify>,
    flusher: std::sync::OnceLock<()>,
    /// Clock time of the last sweep of expired rows (any owner's).
    purged_at: std::sync::atomic::AtomicI64,
    /// One pass at a time (the flusher's and [`JobRegistry::flush`]), so a
    /// row's writes land in order and `flush` returns with nothing in
    /// flight.
    pass: tokio::sync::Mutex<()>,
}

/// Shared registry. Cheap to clone.
#[derive(Clone)]
pub struct JobRegistry {
    reg: Arc<Reg>,
}

/// A fresh owner id: the process id and a random suffix (two registries in
/// one process, as tests make, are still two owners).
pub fn owner_id() -> String {
    format!("{}.{:08x}", std::process::id(), rand::rng().random::<u32>())
}

impl JobRegistry {
    /// Empty registry over `store`.
    pub fn new(store: Arc<dyn CoordStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            reg: Arc::new(Reg {
                store,
                clock,
                owner: owner_id(),
                table: Mutex::default(),
                wake: Arc::default(),
                flusher: std::sync::OnceLock::new(),
                purged_at: std::sync::atomic::AtomicI64::new(0),
                pass: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// This registry's owner id (as job rows carry it).
    pub fn owner(&self) -> &str {
        &self.reg.owner
    }

    /// Register a job; it lives until the returned handle is dropped.
    pub fn start(&self, user: &str, kind: &str, total: u64) -> JobHandle {
        let mut t = self.reg.lock();
        let id = loop {
            let id = format!("{:08x}", rand::rng().random::<u32>());
            if !t.jobs.contains_key(&id) && !t.gone.contains(&id) {
                break id;
            }
        };
        t.jobs.insert(
            id.clone(),
            Entry {
                info: JobInfo {
                    id: id.clone(),
                    user: user.to_owned(),
                    kind: kind.to_owned(),
                    started_at: self.reg.clock.unix(),
                    total,
                    done: 0,
                    current: String::new(),
                },
                dirty: true,
                written: None,
                renewed_at: 0,
            },
        );
        drop(t);
        self.ensure_flusher();
        self.reg.wake.notify_one();
        JobHandle {
            id,
            reg: self.reg.clone(),
        }
    }

    /// Every running job of every process on the store, oldest first. This
    /// process's own jobs are shown as they are now (not as last written);
    /// when the store fails, only they are listed (and the failure logged).
    pub async fn list(&self) -> Vec<JobInfo> {
        let now = self.reg.clock.unix();
        let rows = match self.reg.store.list_jobs(now).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "listing the jobs of other processes failed");
                Vec::new()
            }
        };
        let t = self.reg.lock();
        let mut v: Vec<JobInfo> = rows
            .into_iter()
            .filter(|r| r.owner != self.reg.owner)
            .map(|r| r.info)
            .collect();
        v.extend(t.jobs.values().map(|e| e.info.clone()));
        drop(t);
        v.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        v
    }

    /// This process's running jobs, oldest first (what `/metrics` counts:
    /// each process reports its own, so a sum over processes is right).
    pub fn local(&self) -> Vec<JobInfo> {
        let t = self.reg.lock();
        let mut v: Vec<JobInfo> = t.jobs.values().map(|e| e.info.clone()).collect();
        v.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        v
    }

    /// Write every pending change now (what the flusher does on its own;
    /// for a graceful shutdown, and for tests that must not wait).
    pub async fn flush(&self) {
        self.reg.flush(true).await;
    }

    /// Start the flusher once, when a Tokio runtime is there (without one
    /// the jobs stay in this process's table).
    fn ensure_flusher(&self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.reg.flusher.get_or_init(|| {
            let weak = Arc::downgrade(&self.reg);
            rt.spawn(flusher(weak, self.reg.wake.clone()));
        });
    }
}

/// The flusher: a pass on every wake-up and every [`FLUSH_EVERY`]; it ends
/// when the registry and every handle are gone.
async fn flusher(reg: Weak<Reg>, wake: Arc<tokio::sync::Notify>) {
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(FLUSH_EVERY) => {}
        }
        let Some(reg) = reg.upgrade() else { return };
        reg.flush(false).await;
    }
}

impl Reg {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One pass: write what is due (everything dirty when `all`), delete
    /// the rows of finished jobs, renew the rest when the heartbeat is due.
    async fn flush(&self, all: bool) {
        let _pass = self.pass.lock().await;
        let now = self.clock.unix();
        let (puts, deletes) = {
            let mut t = self.lock();
            let mut puts = Vec::new();
            for e in t.jobs.values_mut() {
                let due = match e.written {
                    None => true,
                    Some(w) => {
                        (e.dirty && (all || w.elapsed() >= FLUSH_EVERY))
                            || now - e.renewed_at >= RENEW_EVERY_S
                    }
                };
                if due {
                    e.dirty = false;
                    e.written = Some(Instant::now());
                    e.renewed_at = now;
                    puts.push(JobRow {
                        info: e.info.clone(),
                        owner: self.owner.clone(),
                        expires_at: now + JOB_TTL_S,
                    });
                }
            }
            let deletes: Vec<String> = std::mem::take(&mut t.gone).into_iter().collect();
            (puts, deletes)
        };
        for row in puts {
            if let Err(e) = self.store.put_job(&row).await {
                tracing::warn!(error = %e, job = %row.info.id, "writing a job row failed");
                if let Some(e) = self.lock().jobs.get_mut(&row.info.id) {
                    e.dirty = true;
                    e.written = None;
                }
            }
        }
        for id in deletes {
            if let Err(e) = self.store.delete_job(&id, &self.owner).await {
                tracing::warn!(error = %e, job = %id, "deleting a job row failed");
                self.lock().gone.insert(id);
            }
        }
        // The rows crashed processes left: not listed already, swept now
        // and then so the table stays as small as the running jobs.
        let last = self.purged_at.load(std::sync::atomic::Ordering::Relaxed);
        if now - last >= PURGE_EVERY_S {
            self.purged_at
                .store(now, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = self.store.purge_jobs(now).await {
                tracing::warn!(error = %e, "sweeping expired job rows failed");
            }
        }
    }
}

/// Owner of one registered job; dropping it unregisters the job.
pub struct JobHandle {
    id: String,
    reg: Arc<Reg>,
}

impl JobHandle {
    /// The job id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn edit(&self, f: impl FnOnce(&mut JobInfo)) {
        let mut t = self.reg.lock();
        if let Some(e) = t.jobs.get_mut(&self.id) {
            f(&mut e.info);
            e.dirty = true;
        }
    }

    /// Report progress: `done` items finished, now working on `current`.
    pub fn progress(&self, done: u64, current: &str) {
        self.edit(|j| {
            j.done = done;
            current.clone_into(&mut j.current);
        });
    }

    /// Say what the job is doing without finishing an item (e.g. "paused
    /// until 10:15 UTC").
    pub fn note(&self, current: &str) {
        self.edit(|j| current.clone_into(&mut j.current));
    }

    /// Change the total (e.g. once a ZIP's entries are counted).
    pub fn set_total(&self, total: u64) {
        self.edit(|j| j.total = total);
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        let mut t = self.reg.lock();
        t.jobs.remove(&self.id);
        // Deleted by the flusher; a write of it in flight lands first.
        if self.reg.flusher.get().is_some() {
            t.gone.insert(std::mem::take(&mut self.id));
        }
        drop(t);
        self.reg.wake.notify_one();
    }
}
