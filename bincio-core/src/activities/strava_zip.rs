//! Importing a Strava bulk export (ZIP): `activities.csv` gives titles,
//! descriptions and types; every file under `activities/` is ingested.
//!
//! Bounded against hostile archives: entry count, per-entry expanded size
//! (a header declaring too much is refused unread; the real size is
//! enforced while inflating, never trusted), CSV size; a member is inflated
//! by [`crate::extract::expand`], so one that lies about its size costs at
//! most a few MiB before its refusal, and `.gz` files inside go through the
//! same bounded path at ingestion. Member reads and ingestion share the
//! service's per-core slots. Entry names are never used as paths (nothing
//! is extracted to disk).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::batch::{BatchEvent, BatchFile, BatchReport};
use super::ingest::{IngestOptions, IngestStatus, MAX_UPLOAD_BYTES};
use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::extract::{self, expand, expand::Bound};
use crate::model::{Privacy, User};

/// Most entries read from one archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest `activities.csv`, bytes.
pub const MAX_CSV_BYTES: u64 = 64 * 1024 * 1024;

/// One row of `activities.csv` that matters here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvRow {
    /// Strava activity id.
    pub strava_id: Option<String>,
    /// Activity name.
    pub title: Option<String>,
    /// Activity description.
    pub description: Option<String>,
    /// Activity type (Ride, Run, …).
    pub sport: Option<String>,
}

/// Progress of an import, as the upload stream reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StravaEvent {
    /// The archive is being checked.
    Validating,
    /// `activities.csv` is being read.
    ExtractingCsv,
    /// One file done.
    Progress {
        /// 1-based.
        n: usize,
        /// Files to import.
        total: usize,
        /// Entry name.
        name: String,
        /// `imported`, `skipped` (duplicate) or `error`.
        status: String,
        /// Activity id, when stored.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Why it failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// Finished.
    Done {
        /// Stored.
        imported: usize,
        /// Already there.
        skipped: usize,
        /// Failed.
        error_count: usize,
        /// The first five errors.
        errors: Vec<String>,
    },
}

impl StravaEvent {
    /// The progress event of file `n` of `total` (archive imports: a
    /// duplicate is `skipped`, anything stored `imported`).
    pub(crate) fn progress(
        n: usize,
        total: usize,
        name: &str,
        outcome: &Result<IngestStatus, String>,
    ) -> Self {
        let (status, id, detail) = match outcome {
            Ok(IngestStatus::Duplicate { id }) => ("skipped", Some(id.clone()), None),
            Ok(s) => ("imported", Some(s.id().to_owned()), None),
            Err(e) => ("error", None, Some(e.clone())),
        };
        Self::Progress {
            n,
            total,
            name: name.to_owned(),
            status: status.into(),
            id,
            detail,
        }
    }

    /// The closing event of an archive import: counts and the first five
    /// errors.
    pub(crate) fn done(report: BatchReport) -> Self {
        let imported = report.added() + report.overwritten;
        let mut errors = report.errors;
        let error_count = errors.len();
        errors.truncate(5);
        Self::Done {
            imported,
            skipped: report.duplicates,
            error_count,
            errors,
        }
    }
}

/// Parse `activities.csv` into `Filename → row` (the `Filename` column, e.g.
/// `activities/123.gpx.gz`). Columns are found by header name; Strava repeats
/// some names, the first occurrence wins.
pub fn parse_activities_csv(bytes: &[u8]) -> CoreResult<HashMap<String, CsvRow>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| CoreError::invalid(format!("activities.csv: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let file_col =
        col("Filename").ok_or_else(|| CoreError::invalid("activities.csv: no Filename column"))?;
    let (id, title, desc, ty) = (
        col("Activity ID"),
        col("Activity Name"),
        col("Activity Description"),
        col("Activity Type"),
    );
    let mut out = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.map_err(|e| CoreError::invalid(format!("activities.csv line {}: {e}", i + 2)))?;
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let Some(file) = get(Some(file_col)) else {
            continue;
        };
        out.insert(
            file,
            CsvRow {
                strava_id: get(id),
                title: get(title),
                description: get(desc),
                sport: get(ty),
            },
        );
    }
    Ok(out)
}

/// ZIP member `index` in memory, at most `limit` bytes once inflated.
///
/// A header declaring more is refused without inflating anything. A header
/// can lie: the `zip` reader refuses a member that inflates past its
/// declared size, and the limit is enforced again while inflating through
/// [`expand::measure`] / [`expand::read_exact_size`], so the member is
/// measured first (at most a few MiB held) and then held once at its exact
/// size.
pub(crate) fn read_member(
    a: &mut Archive,
    index: usize,
    limit: u64,
    what: &str,
) -> CoreResult<Vec<u8>> {
    let unreadable = |e: zip::result::ZipError| CoreError::invalid(format!("{what}: {e}"));
    let refused = |e: expand::Expansion| match e {
        expand::Expansion::Broken(e) => CoreError::invalid(format!("{what}: {e}")),
        e => CoreError::TooLarge(format!("{what}: {}", e.reason())),
    };
    let bound = Bound {
        max_bytes: limit,
        max_ratio: expand::MAX_RATIO,
    };
    let measured = {
        let mut entry = a.by_index(index).map_err(unreadable)?;
        // The member's reader never takes more than its compressed size,
        // an upper bound of what it has consumed at any point.
        let (compressed, declared) = (entry.compressed_size(), entry.size());
        if declared > limit {
            return Err(refused(expand::Expansion::TooLarge { max_bytes: limit }));
        }
        expand::measure(&mut entry, |_| compressed, bound, Some(declared)).map_err(refused)?
    };
    match measured {
        expand::Measured::Whole(v) => Ok(v),
        expand::Measured::Size(n) => {
            let entry = a.by_index(index).map_err(unreadable)?;
            expand::read_exact_size(entry, n).map_err(refused)
        }
    }
}

pub(crate) type Archive = zip::ZipArchive<std::fs::File>;

fn open(path: &Path) -> CoreResult<Archive> {
    let f = std::fs::File::open(path)
        .map_err(|e| CoreError::Internal(format!("opening upload: {e}")))?;
    zip::ZipArchive::new(f).map_err(|e| CoreError::invalid(format!("not a valid ZIP archive: {e}")))
}

impl Activities {
    /// Import a Strava export ZIP at `path` for `owner`, reporting progress.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn import_strava_zip(
        &self,
        owner: &User,
        path: PathBuf,
        privacy: Option<Privacy>,
        mut emit: impl FnMut(StravaEvent) + Send,
    ) -> CoreResult<StravaEvent> {
        emit(StravaEvent::Validating);
        let archive = self.cpu.run("zip", move || open(&path)).await??;
        if archive.len() > MAX_ENTRIES {
            return Err(CoreError::TooLarge(format!(
                "archive has more than {MAX_ENTRIES} entries"
            )));
        }
        emit(StravaEvent::ExtractingCsv);
        let (mut archive, csv) = self
            .cpu
            .run("zip", move || {
                let mut a = archive;
                let index = a.index_for_name("activities.csv").ok_or_else(|| {
                    CoreError::invalid("not a Strava export: no activities.csv at the root")
                })?;
                let bytes = read_member(&mut a, index, MAX_CSV_BYTES, "activities.csv")?;
                Ok::<_, CoreError>((a, bytes))
            })
            .await??;
        let rows = parse_activities_csv(&csv)?;
        let mut files = Vec::new();
        for i in 0..archive.len() {
            let Ok(e) = archive.by_index_raw(i) else {
                continue;
            };
            let Ok(name) = e.name().map(|n| n.into_owned()) else {
                continue;
            };
            if !e.is_dir() && name.starts_with("activities/") && extract::is_supported_name(&name) {
                files.push((i, name));
            }
        }
        let total = files.len();
        let archive = std::sync::Arc::new(std::sync::Mutex::new(archive));
        let batch = files
            .into_iter()
            .map(|(index, name)| {
                let row = rows.get(&name).cloned().unwrap_or_default();
                let (archive, cpu, entry) = (archive.clone(), self.cpu.clone(), name.clone());
                let read = async move {
                    cpu.run("zip", move || {
                        let mut a = archive.lock().unwrap_or_else(|p| p.into_inner());
                        read_member(&mut a, index, MAX_UPLOAD_BYTES as u64, &entry)
                    })
                    .await
                    .and_then(|r| r)
                    // The member's name is in the message already.
                    .map_err(|e| e.to_string())
                };
                BatchFile {
                    title: row.title,
                    description: row.description,
                    ..BatchFile::new(name, read)
                }
            })
            .collect();
        let opts = IngestOptions {
            privacy,
            ..IngestOptions::default()
        };
        let report = self
            .ingest_batch(owner, batch, opts, 1, |ev| {
                let BatchEvent::Finished {
                    n, name, outcome, ..
                } = ev
                else {
                    return;
                };
                emit(StravaEvent::progress(n, total, name, outcome));
            })
            .await;
        let done = StravaEvent::done(report);
        emit(done.clone());
        Ok(done)
    }
}
