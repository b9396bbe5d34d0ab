//! Leases: exactly one process at a time runs a named task — a scheduled
//! tick (drop-folder scan, Strava round), a member's token refresh — when
//! several `bincio serve` processes share one database.
//!
//! A lease is a row of the store ([`CoordStore::acquire_lease`]): an owner
//! and an expiry, taken or renewed atomically. Whoever runs a task under a
//! lease renews it every third of its time-to-live while the task runs, so
//! a long task keeps it; a process that dies loses it within one TTL and
//! another takes over. A store failure counts as "not held" (logged): a
//! tick skipped is retried at the next one, a tick run twice is what the
//! lease exists to prevent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::CoordStore;

/// The leases of one process (one owner id).
#[derive(Clone)]
pub struct Leases {
    store: Arc<dyn CoordStore>,
    clock: Arc<dyn Clock>,
    owner: Arc<str>,
    /// In-process locks of [`Self::run_exclusive`] (a lease is per owner:
    /// two tasks of one process would both hold it).
    local: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("owner", &self.owner)
            .finish()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs().max(1)).unwrap_or(i64::MAX)
}

impl Leases {
    /// Leases over `store` under a fresh owner id.
    pub fn new(store: Arc<dyn CoordStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            owner: crate::jobs::owner_id().into(),
            local: Arc::default(),
        }
    }

    /// This process's owner id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Take or renew `name` for `ttl`; false while another process holds
    /// it (or when the store fails, logged).
    pub async fn try_acquire(&self, name: &str, ttl: Duration) -> bool {
        match self
            .store
            .acquire_lease(name, &self.owner, self.clock.unix(), secs(ttl))
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(lease = name, error = %e, "taking a lease failed");
                false
            }
        }
    }

    /// Give `name` up (a no-op unless this process holds it).
    pub async fn release(&self, name: &str) {
        if let Err(e) = self.store.release_lease(name, &self.owner).await {
            tracing::warn!(lease = name, error = %e, "releasing a lease failed");
        }
    }

    /// Run `task` only if `name` is (or becomes) this owner's, renewing
    /// it every `ttl / 3` until the task ends; `None` when another process
    /// holds it. The lease is kept afterwards (the next tick renews it), so
    /// one process stays the runner while it lives.
    pub async fn run_held<T>(
        &self,
        name: &str,
        ttl: Duration,
        task: impl Future<Output = T>,
    ) -> Option<T> {
        if !self.try_acquire(name, ttl).await {
            return None;
        }
        tokio::pin!(task);
        let mut renew = tokio::time::interval((ttl / 3).max(Duration::from_millis(100)));
        renew.tick().await; // the first tick is now: just acquired
        loop {
            tokio::select! {
                out = &mut task => return Some(out),
                _ = renew.tick() => {
                    if !self.try_acquire(name, ttl).await {
                        tracing::warn!(lease = name, "lost a lease while its task runs");
                    }
                }
            }
        }
    }

    /// Like [`Self::run_held`], but waits while another task of this
    /// process runs under `name`, or another process holds it (polling
    /// every `poll`), so the task runs — one at a time across tasks and
    /// processes — whoever holds it now; then gives it up.
    ///
    /// ([`Self::run_held`] is per owner: two tasks of one process would both
    /// hold its lease; a schedule is one task, so it needs no more.)
    pub async fn run_exclusive<T>(
        &self,
        name: &str,
        ttl: Duration,
        poll: Duration,
        task: impl Future<Output = T>,
    ) -> T {
        let local = self
            .local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name.to_owned())
            .or_default()
            .clone();
        let _here = local.lock().await;
        tokio::pin!(task);
        loop {
            if let Some(out) = self.run_held(name, ttl, &mut task).await {
                self.release(name).await;
                return out;
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// The lease time-to-live of a task scheduled every `every`: two periods
/// (so the runner's next tick renews it first), at least 10 s, at most
/// 10 min (a dead runner is replaced within that).
pub fn schedule_ttl(every: Duration) -> Duration {
    (every * 2).clamp(Duration::from_secs(10), Duration::from_secs(600))
}
