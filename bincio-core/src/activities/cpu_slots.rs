//! Bounded CPU work for the activities service: decompressing, reading ZIP
//! members and parsing run on the blocking pool, at most one task per core
//! at a time.
//!
//! Why: tokio's blocking pool grows to hundreds of threads, so without a
//! bound N concurrent uploads inflate and parse N files at once — N times
//! the memory (each holds up to its file's content, or a bomb's
//! [`crate::extract::expand::EAGER_BYTES`]) for no gain in throughput once
//! every core is busy. With the bound, extra uploads wait for a slot (their
//! compressed bytes only) and memory scales with the cores, not with the
//! clients. One set of slots per [`super::Activities`] (clones share it), so
//! every route, page and CLI command that ingests through the service counts.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{CoreError, CoreResult};

/// The slots (a semaphore sized to the cores).
#[derive(Clone)]
pub(crate) struct CpuSlots(Arc<Semaphore>, usize);

impl CpuSlots {
    /// One slot per available core (1 when that cannot be known).
    pub(crate) fn per_core() -> Self {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self(Arc::new(Semaphore::new(n)), n)
    }

    /// How many slots there are (the cores).
    pub(crate) fn count(&self) -> usize {
        self.1
    }

    /// Run `f` on the blocking pool once a slot is free; the slot is held
    /// until `f` returns. `what` names the work in internal errors.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> CoreResult<T> {
        let permit = self
            .0
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| CoreError::Internal(format!("{what}: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(|e| CoreError::Internal(format!("{what} task: {e}")))
    }
}
