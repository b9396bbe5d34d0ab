//! Keeps a rendered BAS tree current after writes: `bincio serve
//! --render-dir DIR`.
//!
//! Writers only *mark* a user dirty ([`RenderWorker::touch`], cheap and
//! non-blocking); one background task drains every pending mark, waits a
//! short debounce so a burst of writes (a 500-file upload) becomes one
//! render, then renders. Renders are incremental (unchanged activities are
//! skipped) and every file is replaced by an atomic rename, so readers of
//! the tree never see a half-written file.
//!
//! Several processes on one database may keep one shared tree (each renders
//! after the writes it took): a render runs under the store lease
//! `render|<out dir>` ([`crate::lease::Leases::run_exclusive`]), so two
//! processes never render into one directory at once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::render::{render, RenderTarget};
use crate::clock::Clock;
use crate::store::{ActivityStore, UserStore};

/// Pause after the first mark before rendering, to coalesce bursts.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// Lease time-to-live of one render (renewed while it runs).
const RENDER_LEASE_TTL: Duration = Duration::from_secs(60);

/// Handle to the background renderer. Cheap to clone.
#[derive(Clone)]
pub struct RenderWorker {
    tx: mpsc::UnboundedSender<String>,
    done: Arc<tokio::sync::watch::Receiver<u64>>,
}

impl RenderWorker {
    /// Start the worker on the current tokio runtime; it renders the whole
    /// tree once at start, then after every burst of marks.
    pub fn spawn(
        activities: Arc<dyn ActivityStore>,
        users: Arc<dyn UserStore>,
        target: RenderTarget,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let leases = crate::lease::Leases::new(users.clone(), clock.clone());
        let lease = format!("render|{}", target.out.display());
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let (done_tx, done_rx) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            let mut generation = 0u64;
            let mut first = true;
            loop {
                let mut dirty = BTreeSet::new();
                if !first {
                    match rx.recv().await {
                        Some(h) => {
                            dirty.insert(h);
                        }
                        None => break,
                    }
                    tokio::time::sleep(DEBOUNCE).await;
                    while let Ok(h) = rx.try_recv() {
                        dirty.insert(h);
                    }
                }
                first = false;
                let rendered = leases.run_exclusive(
                    &lease,
                    RENDER_LEASE_TTL,
                    DEBOUNCE,
                    render(&activities, &users, &target, None, clock.unix()),
                );
                match rendered.await {
                    Ok(s) => {
                        tracing::info!(users = ?dirty, written = s.written, removed = s.removed, "re-rendered BAS tree")
                    }
                    Err(e) => tracing::error!(error = %e, "background render failed"),
                }
                generation += 1;
                let _ = done_tx.send(generation);
            }
        });
        Self {
            tx,
            done: Arc::new(done_rx),
        }
    }

    /// Mark `handle`'s data changed; a render follows shortly.
    pub fn touch(&self, handle: &str) {
        let _ = self.tx.send(handle.to_owned());
    }

    /// How many renders have completed (for tests and health checks).
    pub fn renders_done(&self) -> u64 {
        *self.done.borrow()
    }

    /// Wait until at least `n` renders have completed.
    pub async fn wait_for(&self, n: u64) {
        let mut rx = (*self.done).clone();
        while *rx.borrow_and_update() < n {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}
