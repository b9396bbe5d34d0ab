//! Ingesting many files in one call: the loop that an HTTP upload, `bincio
//! extract` into the store and the Strava ZIP import share, so they count,
//! name and report outcomes the same way.
//!
//! Each file goes through [`Activities::ingest`] (limits, exact and near
//! duplicates, id collisions). A file's bytes are loaded only when its turn
//! comes, so at most `concurrency` files are in memory at once; a file that
//! fails is reported by name and the batch goes on.

use futures::future::BoxFuture;
use futures::StreamExt;

use super::ingest::{IngestOptions, IngestStatus};
use super::Activities;
use crate::error::CoreError;
use crate::model::User;

/// Loads one file's bytes; the error is shown to the user as it is (it
/// names the file).
pub type Loader = Box<dyn FnOnce() -> BoxFuture<'static, Result<Vec<u8>, String>> + Send>;

/// One file of a batch.
pub struct BatchFile {
    /// Name shown in progress and errors (a file name, a path inside an
    /// archive); its last path segment is the name ingested.
    pub name: String,
    /// Title to set on this file's activity (e.g. from a Strava CSV),
    /// over the batch's.
    pub title: Option<String>,
    /// Description to set, over the batch's.
    pub description: Option<String>,
    /// Its bytes, loaded when its turn comes.
    pub load: Loader,
}

impl BatchFile {
    /// A file whose bytes come from `load`.
    pub fn new<F>(name: impl Into<String>, load: F) -> Self
    where
        F: std::future::Future<Output = Result<Vec<u8>, String>> + Send + 'static,
    {
        Self {
            name: name.into(),
            title: None,
            description: None,
            load: Box::new(move || Box::pin(load)),
        }
    }

    /// A file that was refused before ingestion (e.g. while receiving it):
    /// reported as an error with `reason`.
    pub fn refused(name: impl Into<String>, reason: String) -> Self {
        Self::new(name, async move { Err(reason) })
    }
}

/// Progress of a batch.
#[derive(Debug)]
pub enum BatchEvent<'a> {
    /// File `index` (0-based, in batch order) starts.
    Started {
        /// Its position in the batch.
        index: usize,
        /// Its name.
        name: &'a str,
    },
    /// A file is done. `n` counts finished files (1-based, in the order
    /// they finish: with a concurrency above one that is not batch order,
    /// which `index` gives back).
    Finished {
        /// Its position in the batch.
        index: usize,
        /// Files finished so far, this one included.
        n: usize,
        /// Its name.
        name: &'a str,
        /// What happened, or why it failed.
        outcome: &'a Result<IngestStatus, String>,
    },
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Files in the batch.
    pub total: usize,
    /// Stored as new activities.
    pub imported: usize,
    /// Stored, but unlisted as near-duplicates of an existing recording.
    pub near_duplicates: usize,
    /// Re-extracted over an existing activity (overwrite).
    pub overwritten: usize,
    /// Already stored (same file).
    pub duplicates: usize,
    /// One line per failed file, in the order they finished.
    pub errors: Vec<String>,
}

impl BatchReport {
    /// New activities stored (imported and near-duplicates).
    pub fn added(&self) -> usize {
        self.imported + self.near_duplicates
    }

    fn count(&mut self, outcome: &Result<IngestStatus, String>) {
        match outcome {
            Ok(IngestStatus::Imported { .. }) => self.imported += 1,
            Ok(IngestStatus::NearDuplicate { .. }) => self.near_duplicates += 1,
            Ok(IngestStatus::Overwritten { .. }) => self.overwritten += 1,
            Ok(IngestStatus::Duplicate { .. }) => self.duplicates += 1,
            Err(e) => self.errors.push(e.clone()),
        }
    }
}

/// The message of a failed ingestion: the core's own message (it names
/// the file), or — for a store or internal fault, logged here with its
/// details — only that it failed.
fn failure(name: &str, e: CoreError) -> String {
    match e {
        CoreError::Store(_) | CoreError::Internal(_) => {
            tracing::error!(error = %e, file = %name, "ingestion failed");
            format!("{name}: internal error")
        }
        e => e.to_string(),
    }
}

impl Activities {
    /// Ingest `files` for `owner` with `opts` (per-file titles and
    /// descriptions laid over it), `concurrency` at a time (at least one;
    /// parsing is bounded by the service's CPU slots anyway). `progress`
    /// hears each file start and finish.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, files = files.len()))]
    pub async fn ingest_batch(
        &self,
        owner: &User,
        files: Vec<BatchFile>,
        opts: IngestOptions,
        concurrency: usize,
        mut progress: impl FnMut(BatchEvent<'_>) + Send,
    ) -> BatchReport {
        let mut report = BatchReport {
            total: files.len(),
            ..BatchReport::default()
        };
        // Called from the stream (a file starts) and from the loop (a file
        // finished), never both at once: the lock is never contended.
        let progress = std::sync::Mutex::new(&mut progress);
        let tell = |e: BatchEvent<'_>| (progress.lock().unwrap_or_else(|p| p.into_inner()))(e);
        let mut results = futures::stream::iter(files.into_iter().enumerate())
            .map(|(index, f)| {
                tell(BatchEvent::Started {
                    index,
                    name: &f.name,
                });
                let opts = IngestOptions {
                    title: f.title.or_else(|| opts.title.clone()),
                    description: f.description.or_else(|| opts.description.clone()),
                    ..opts.clone()
                };
                async move {
                    let outcome = match (f.load)().await {
                        Err(e) => Err(e),
                        Ok(bytes) => self
                            .ingest(owner, &f.name, bytes, opts)
                            .await
                            .map_err(|e| failure(&f.name, e)),
                    };
                    (index, f.name, outcome)
                }
            })
            .buffer_unordered(concurrency.max(1));
        let mut n = 0;
        while let Some((index, name, outcome)) = results.next().await {
            n += 1;
            report.count(&outcome);
            tell(BatchEvent::Finished {
                index,
                n,
                name: &name,
                outcome: &outcome,
            });
        }
        report
    }
}
