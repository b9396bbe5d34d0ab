//! Activity sources that feed a member's activities by themselves: the
//! watched drop folder (this module) and its history of runs, which other
//! sources record into too.
//!
//! A drop folder is `<data dir>/drop/<handle>/` (created on demand) or the
//! folder an admin set for the member. A scan ([`Sources::scan_drop`]):
//! 1. walks it ([`walk`]: no escape through symlinks, bounded);
//! 2. skips every file whose `(path, size, mtime)` a scan already claimed
//!    — unchanged files are never re-read;
//! 3. leaves a file alone until it is *stable*: its mtime is at least the
//!    settle time old, or a previous scan of this process saw the same
//!    size and mtime (a half-written file is never read);
//! 4. reads it, hashes it and claims `(path, hash)` in the store — the
//!    atomic step, so two scans racing (a scheduled and a manual one, two
//!    processes) never ingest a version twice;
//! 5. ingests it exactly like an upload (limits, dedup by content hash,
//!    near duplicates) and records the outcome; a store fault leaves the
//!    claim unfinished, so a scan after [`CLAIM_LEASE_S`] retries the file.
//!
//! A scan that did something adds a run to the member's history (bounded
//! to [`KEEP_RUNS`]); the folder's last scan time is kept for the settings
//! page.

mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng;
use serde::Serialize;

use crate::activities::ingest::{IngestOptions, IngestStatus};
use crate::activities::Activities;
use crate::error::{CoreError, CoreResult};
use crate::extract;
use crate::model::{DropFile, SyncItem, SyncRun, User};
use crate::store::{SourceStore, UserStore};
pub use walk::{MAX_DEPTH, MAX_ENTRIES};

/// Runs kept per member.
pub const KEEP_RUNS: usize = 50;
/// Default settle time: a file untouched this long is stable.
pub const DEFAULT_SETTLE_S: i64 = 30;
/// A claim not finished after this long (its scan died) may be taken over.
pub const CLAIM_LEASE_S: i64 = 15 * 60;
/// Most files read per scan per member (the rest wait for the next scan).
pub const MAX_READS_PER_SCAN: usize = 1000;
/// The source name of drop-folder runs.
pub const DROP: &str = "drop";

/// What one scan of a member's drop folder did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DropScan {
    /// The folder scanned.
    pub folder: String,
    /// Activities stored.
    pub imported: u32,
    /// Files already stored (same content).
    pub duplicates: u32,
    /// Files that failed or were refused.
    pub errors: u32,
    /// Files not read yet: still being written (not stable) or over this
    /// scan's read budget.
    pub pending: u32,
    /// Files seen before, unchanged.
    pub unchanged: u32,
    /// One line per file ingested or refused in this scan.
    pub items: Vec<SyncItem>,
}

/// A member's drop folder as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DropStatus {
    /// The folder.
    pub folder: String,
    /// True when an admin set it (else it is the default under the data
    /// directory).
    pub custom: bool,
    /// Last scan, Unix seconds.
    pub last_scan_at: Option<i64>,
    /// Next scheduled scan, Unix seconds (`None`: no schedule).
    pub next_scan_at: Option<i64>,
    /// Seconds between scheduled scans (`None`: no schedule).
    pub interval_s: Option<u64>,
    /// The member's newest runs (every source), newest first.
    pub runs: Vec<SyncRun>,
}

struct Inner {
    activities: Activities,
    users: Arc<dyn UserStore>,
    store: Arc<dyn SourceStore>,
    data_dir: PathBuf,
    settle_s: i64,
    /// `(handle, path) → (size, mtime)` seen by the previous scan and not
    /// ingested yet: the second sighting makes a file stable.
    observed: Mutex<HashMap<(String, String), (u64, i64)>>,
    /// Scheduled scans: interval (0 = none) and the next one.
    interval_s: AtomicI64,
    next_scan_at: AtomicI64,
    /// This service's leases (one owner id): the schedule runs under
    /// [`DROP_SCAN_LEASE`], given up by [`Sources::release_schedule`].
    leases: crate::lease::Leases,
}

/// The sources service. Cheap to clone.
#[derive(Clone)]
pub struct Sources {
    inner: Arc<Inner>,
}

fn new_run_id() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// The message of a failed ingestion shown to the member (a store or
/// internal fault is logged, not shown).
fn failure(name: &str, e: CoreError) -> String {
    match e {
        CoreError::Store(_) | CoreError::Internal(_) => {
            tracing::error!(error = %e, file = %name, "drop-folder ingestion failed");
            format!("{name}: internal error")
        }
        e => e.to_string(),
    }
}

impl Sources {
    /// The service over `activities` (ingestion), the user and source
    /// stores, with default folders under `data_dir/drop/`.
    pub fn new(
        activities: Activities,
        users: Arc<dyn UserStore>,
        store: Arc<dyn SourceStore>,
        data_dir: impl Into<PathBuf>,
    ) -> Self {
        let leases = crate::lease::Leases::new(users.clone(), activities.clock().clone());
        Self {
            inner: Arc::new(Inner {
                leases,
                activities,
                users,
                store,
                data_dir: data_dir.into(),
                settle_s: DEFAULT_SETTLE_S,
                observed: Mutex::default(),
                interval_s: AtomicI64::new(0),
                next_scan_at: AtomicI64::new(0),
            }),
        }
    }

    /// Use `seconds` as the settle time (before any clone is made).
    #[must_use]
    pub fn with_settle(mut self, seconds: i64) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.settle_s = seconds.max(0);
        }
        self
    }

    /// The store of the sources' state.
    pub fn store(&self) -> &Arc<dyn SourceStore> {
        &self.inner.store
    }

    fn now(&self) -> i64 {
        self.inner.activities.clock().unix()
    }

    /// The default folder of `handle`.
    pub fn default_folder(&self, handle: &str) -> PathBuf {
        self.inner.data_dir.join("drop").join(handle)
    }

    /// The folder of `handle` and whether an admin set it.
    async fn folder(&self, handle: &str) -> CoreResult<(PathBuf, bool)> {
        let c = self.inner.store.drop_config(handle).await?;
        Ok(match c.folder {
            Some(f) => (PathBuf::from(f), true),
            None => (self.default_folder(handle), false),
        })
    }

    /// Set (`Some`, an absolute path) or reset (`None`) the drop folder of
    /// `handle` (an admin's setting: the CLI's).
    pub async fn set_drop_folder(&self, handle: &str, folder: Option<&Path>) -> CoreResult<()> {
        let text = match folder {
            Some(p) if !p.is_absolute() => {
                return Err(CoreError::invalid(format!(
                    "drop folder {}: must be an absolute path",
                    p.display()
                )))
            }
            Some(p) => Some(
                p.to_str()
                    .ok_or_else(|| CoreError::invalid("drop folder: the path is not UTF-8"))?
                    .to_owned(),
            ),
            None => None,
        };
        if self
            .inner
            .store
            .set_drop_folder(handle, text.as_deref())
            .await?
        {
            Ok(())
        } else {
            Err(CoreError::NotFound(format!("no user {handle:?}")))
        }
    }

    /// The member's folder, scan times and newest runs.
    pub async fn drop_status(&self, user: &User) -> CoreResult<DropStatus> {
        let (folder, custom) = self.folder(&user.handle).await?;
        let c = self.inner.store.drop_config(&user.handle).await?;
        let interval = self.inner.interval_s.load(Ordering::Relaxed);
        let next = self.inner.next_scan_at.load(Ordering::Relaxed);
        Ok(DropStatus {
            folder: folder.display().to_string(),
            custom,
            last_scan_at: c.last_scan_at,
            next_scan_at: (interval > 0 && next > 0).then_some(next),
            interval_s: u64::try_from(interval).ok().filter(|i| *i > 0),
            runs: self.history(user, 10).await?,
        })
    }

    /// The member's newest runs of every source, newest first (at most
    /// [`KEEP_RUNS`]).
    pub async fn history(&self, user: &User, limit: usize) -> CoreResult<Vec<SyncRun>> {
        Ok(self
            .inner
            .store
            .sync_runs(&user.handle, limit.min(KEEP_RUNS))
            .await?)
    }

    /// Scan `user`'s drop folder once (see the module doc).
    #[tracing::instrument(skip_all, fields(handle = %user.handle))]
    pub async fn scan_drop(&self, user: &User) -> CoreResult<DropScan> {
        let started_at = self.now();
        let (folder, custom) = self.folder(&user.handle).await?;
        let shown = folder.display().to_string();
        let root = tokio::task::spawn_blocking(move || {
            if !custom {
                std::fs::create_dir_all(&folder)?;
            }
            std::fs::canonicalize(&folder)
        })
        .await
        .map_err(|e| CoreError::Internal(format!("drop folder task: {e}")))?
        .map_err(|e| CoreError::Unavailable(format!("drop folder {shown}: {e}")))?;
        let walk_root = root.clone();
        let found = tokio::task::spawn_blocking(move || walk::walk(&walk_root))
            .await
            .map_err(|e| CoreError::Internal(format!("drop folder task: {e}")))?
            .map_err(|e| CoreError::Unavailable(format!("drop folder {shown}: {e}")))?;
        let known: HashMap<String, DropFile> = self
            .inner
            .store
            .drop_files(&user.handle)
            .await?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        let mut scan = DropScan {
            folder: shown,
            ..DropScan::default()
        };
        let present = found.iter().map(|f| f.rel.clone()).collect();
        self.forget_gone(&user.handle, &present);
        let mut reads = 0usize;
        for f in found {
            let now = self.now();
            if let Some(k) = known.get(&f.rel) {
                let live = k.done || k.claimed_at >= now - CLAIM_LEASE_S;
                if k.size == f.size && k.mtime_ms == f.mtime_ms && live {
                    scan.unchanged += 1;
                    continue;
                }
            }
            if let Some(why) = &f.refused {
                let hash = format!("refused:{}:{}", f.size, f.mtime_ms);
                if self.claim(&user.handle, &f, &hash, now).await? {
                    self.finish(&user.handle, &f.rel, &hash).await?;
                    scan.push(SyncItem {
                        name: f.rel.clone(),
                        status: "error".into(),
                        id: None,
                        detail: Some(why.clone()),
                    });
                } else {
                    scan.unchanged += 1;
                }
                continue;
            }
            if !self.stable(&user.handle, &f, now) || reads >= MAX_READS_PER_SCAN {
                scan.pending += 1;
                continue;
            }
            reads += 1;
            let target = f.clone();
            let bytes = tokio::task::spawn_blocking(move || walk::read(&target))
                .await
                .map_err(|e| CoreError::Internal(format!("drop folder task: {e}")))?;
            let bytes = match bytes {
                Ok(Some(b)) => b,
                // Grew or shrank since the walk: still being written.
                Ok(None) => {
                    self.forget(&user.handle, &f.rel);
                    scan.pending += 1;
                    continue;
                }
                Err(e) => {
                    scan.push(SyncItem {
                        name: f.rel.clone(),
                        status: "error".into(),
                        id: None,
                        detail: Some(format!("{}: cannot be read: {e}", f.rel)),
                    });
                    continue;
                }
            };
            let hash = extract::source_hash(&bytes);
            if !self.claim(&user.handle, &f, &hash, now).await? {
                self.forget(&user.handle, &f.rel);
                scan.unchanged += 1;
                continue;
            }
            let outcome = self
                .inner
                .activities
                .ingest(user, &f.rel, bytes, IngestOptions::default())
                .await;
            // A store or internal fault may pass: the claim is left
            // unfinished, so a scan after the lease tries the file again.
            // Anything else (a bad file) is final for this version.
            if !matches!(outcome, Err(CoreError::Store(_) | CoreError::Internal(_))) {
                self.finish(&user.handle, &f.rel, &hash).await?;
            }
            self.forget(&user.handle, &f.rel);
            scan.push(match outcome {
                Ok(IngestStatus::Duplicate { id }) => SyncItem {
                    name: f.rel.clone(),
                    status: "duplicate".into(),
                    id: Some(id),
                    detail: None,
                },
                Ok(s) => SyncItem {
                    name: f.rel.clone(),
                    status: "imported".into(),
                    id: Some(s.id().to_owned()),
                    detail: None,
                },
                Err(e) => SyncItem {
                    name: f.rel.clone(),
                    status: "error".into(),
                    id: None,
                    detail: Some(failure(&f.rel, e)),
                },
            });
        }
        let finished_at = self.now();
        self.inner
            .store
            .mark_drop_scanned(&user.handle, finished_at)
            .await?;
        if !scan.items.is_empty() {
            let mut items = scan.items.clone();
            items.truncate(SyncRun::MAX_ITEMS);
            let run = SyncRun {
                id: new_run_id(),
                handle: user.handle.clone(),
                source: DROP.into(),
                started_at,
                finished_at,
                imported: scan.imported,
                duplicates: scan.duplicates,
                errors: scan.errors,
                items,
            };
            self.inner.store.record_sync_run(&run, KEEP_RUNS).await?;
        }
        Ok(scan)
    }

    async fn claim(&self, handle: &str, f: &walk::Found, hash: &str, now: i64) -> CoreResult<bool> {
        let file = DropFile {
            path: f.rel.clone(),
            size: f.size,
            mtime_ms: f.mtime_ms,
            hash: hash.to_owned(),
            claimed_at: now,
            done: false,
        };
        Ok(self
            .inner
            .store
            .claim_drop_file(handle, &file, CLAIM_LEASE_S)
            .await?)
    }

    async fn finish(&self, handle: &str, rel: &str, hash: &str) -> CoreResult<()> {
        Ok(self.inner.store.finish_drop_file(handle, rel, hash).await?)
    }

    /// Forget what a scan saw of a file (read, or changing under it).
    fn forget(&self, handle: &str, rel: &str) {
        let mut o = self
            .inner
            .observed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        o.remove(&(handle.to_owned(), rel.to_owned()));
    }

    /// Forget the sightings of `handle`'s files that are gone from its
    /// folder (the map stays as small as the folders).
    fn forget_gone(&self, handle: &str, present: &std::collections::HashSet<String>) {
        let mut o = self
            .inner
            .observed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        o.retain(|(h, rel), _| h != handle || present.contains(rel));
    }

    /// Old enough, or seen with this size and mtime by the previous scan.
    /// Records this sighting for the next scan.
    fn stable(&self, handle: &str, f: &walk::Found, now: i64) -> bool {
        let settled = now.saturating_mul(1000) - f.mtime_ms >= self.inner.settle_s * 1000;
        let key = (handle.to_owned(), f.rel.clone());
        let mut o = self
            .inner
            .observed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let again = o.get(&key) == Some(&(f.size, f.mtime_ms));
        o.insert(key, (f.size, f.mtime_ms));
        settled || again
    }

    /// Scan every member's folder in turn; a member's failure is logged
    /// and the others go on. Returns the scans that ran.
    pub async fn scan_all_drop(&self) -> CoreResult<usize> {
        let users = self.inner.users.list_users().await?;
        let mut n = 0;
        for u in &users {
            match self.scan_drop(u).await {
                Ok(s) => {
                    n += 1;
                    if !s.items.is_empty() {
                        tracing::info!(handle = %u.handle, imported = s.imported,
                            duplicates = s.duplicates, errors = s.errors, "drop folder scanned");
                    }
                }
                Err(e) => tracing::warn!(handle = %u.handle, error = %e, "drop folder scan failed"),
            }
        }
        Ok(n)
    }

    /// Scan every member's folder every `interval`, for ever (the caller
    /// aborts the task at shutdown). The settings page shows the next scan.
    ///
    /// Each tick scans only under the store lease [`DROP_SCAN_LEASE`]:
    /// with several processes on one database, one of them (the one
    /// holding the lease, which its next tick renews) scans, once per
    /// interval; another takes over within [`schedule_ttl`] when it dies.
    /// (The "seen by the previous scan" rule of stable files also needs
    /// one scanner: its sightings are in memory.)
    ///
    /// [`schedule_ttl`]: crate::lease::schedule_ttl
    pub async fn run_drop_schedule(self, interval: std::time::Duration) {
        let secs = i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX);
        self.inner.interval_s.store(secs, Ordering::Relaxed);
        let leases = &self.inner.leases;
        let ttl = crate::lease::schedule_ttl(interval);
        let mut tick = tokio::time::interval(interval.max(std::time::Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.inner
                .next_scan_at
                .store(self.now() + secs, Ordering::Relaxed);
            let scanned = leases
                .run_held(DROP_SCAN_LEASE, ttl, async {
                    tracing::debug!(
                        lease = DROP_SCAN_LEASE,
                        owner = leases.owner(),
                        "scheduled drop-folder scan"
                    );
                    self.scan_all_drop().await
                })
                .await;
            if let Some(Err(e)) = scanned {
                tracing::warn!(error = %e, "drop folder schedule: listing members failed");
            }
        }
    }
}

/// The lease under which scheduled drop-folder scans run.
pub const DROP_SCAN_LEASE: &str = "drop-scan";

impl Sources {
    /// Give up the scan lease if this service holds it (a graceful stop,
    /// after the schedule task is aborted), so another process takes the
    /// scans over at its next tick rather than after the lease expires.
    pub async fn release_schedule(&self) {
        self.inner.leases.release(DROP_SCAN_LEASE).await;
    }
}

impl DropScan {
    fn push(&mut self, item: SyncItem) {
        match item.status.as_str() {
            "imported" => self.imported += 1,
            "duplicate" => self.duplicates += 1,
            _ => self.errors += 1,
        }
        self.items.push(item);
    }
}
