//! Importing a Garmin Connect account export (the ZIP Garmin mails after a
//! data request): the original files are in nested ZIPs under
//! `DI_CONNECT/DI-Connect-Uploaded-Files/` (older exports:
//! `DI-Connect-Fitness-Uploaded-Files/`), sometimes loose; titles come from
//! `DI_CONNECT/DI-Connect-Fitness/*_summarizedActivities.json`, matched by
//! Garmin activity id (in the file name) or else by start time.
//!
//! Bounded like the Strava import ([`super::strava_zip`]), with one level
//! of nesting more, and checked *before anything is stored* (so a refused
//! archive leaves nothing half-imported):
//! * entries: at most [`MAX_ENTRIES`] in all, outer and nested together;
//! * a nested ZIP is inflated to an anonymous temp file (never memory),
//!   refused past [`MAX_NESTED_BYTES`] or an expansion of
//!   [`expand::MAX_RATIO`]×, and at most [`MAX_STAGED_BYTES`] in all;
//! * every activity file's header must declare at most the upload limit
//!   and a plausible ratio; a header that lies is caught while reading
//!   (that file fails, the others go on);
//! * a ZIP inside a nested ZIP is not opened (one level only);
//! * summaries: at most [`MAX_SUMMARY_BYTES`] each.
//!
//! Entry names are never used as paths.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::batch::{BatchEvent, BatchFile};
use super::ingest::{IngestOptions, IngestStatus, MAX_UPLOAD_BYTES};
use super::strava_zip::{read_member, StravaEvent};
use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::extract::{self, expand};
use crate::model::{ActivityEdits, Privacy, User};

/// Most entries in all (outer archive and nested ones).
pub const MAX_ENTRIES: usize = super::strava_zip::MAX_ENTRIES;
/// Largest nested ZIP once inflated.
pub const MAX_NESTED_BYTES: u64 = 4 << 30;
/// Most bytes of nested ZIPs inflated to temp files for one import.
pub const MAX_STAGED_BYTES: u64 = 16 << 30;
/// Largest `*_summarizedActivities.json`.
pub const MAX_SUMMARY_BYTES: u64 = 64 << 20;
/// Start times within this many seconds match a summary.
pub const START_TOLERANCE_S: i64 = 60;

/// Folders holding the original files (any depth, by their name).
const UPLOAD_DIRS: [&str; 2] = [
    "DI-Connect-Uploaded-Files",
    "DI-Connect-Fitness-Uploaded-Files",
];

type Archive = zip::ZipArchive<std::fs::File>;

/// A summary's title, by Garmin activity id and by start time.
#[derive(Debug, Default)]
pub struct Summaries {
    by_id: HashMap<String, String>,
    by_start: Vec<(i64, String)>,
}

impl Summaries {
    /// Read one `*_summarizedActivities.json` (a list of
    /// `{"summarizedActivitiesExport": [...]}`, or the list itself).
    pub fn add_json(&mut self, what: &str, bytes: &[u8]) -> CoreResult<()> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| CoreError::invalid(format!("{what}: {e}")))?;
        let mut acts = Vec::new();
        let tops = match &v {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            v => vec![v],
        };
        for t in tops {
            match t.get("summarizedActivitiesExport") {
                Some(Value::Array(a)) => acts.extend(a.iter()),
                _ if t.get("activityId").is_some() => acts.push(t),
                _ => {}
            }
        }
        for a in acts {
            let Some(name) = a.get("name").and_then(Value::as_str).map(str::trim) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            let name: String = name.chars().take(200).collect();
            if let Some(id) = a.get("activityId") {
                let id = match id {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    _ => continue,
                };
                self.by_id.insert(id, name.clone());
            }
            if let Some(ms) = a.get("startTimeGmt").and_then(Value::as_f64) {
                self.by_start.push(((ms / 1000.0) as i64, name));
            }
        }
        Ok(())
    }

    /// The title for a file named `entry` that started at `started_at`.
    pub fn title(&self, entry: &str, started_at: i64) -> Option<&str> {
        let base = entry.rsplit('/').next().unwrap_or(entry);
        // `user@mail.example_123.fit.gz` → `user@mail.example_123`.
        let base = base.strip_suffix(".gz").unwrap_or(base);
        let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
        let digits: String = stem
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Some(t) = (digits.len() >= 6)
            .then(|| self.by_id.get(&digits))
            .flatten()
        {
            return Some(t);
        }
        self.by_start
            .iter()
            .filter(|(s, _)| (s - started_at).abs() <= START_TOLERANCE_S)
            .min_by_key(|(s, _)| (s - started_at).abs())
            .map(|(_, t)| t.as_str())
    }
}

/// Where one activity file is.
#[derive(Debug, Clone)]
struct FileRef {
    /// `None`: the outer archive; `Some(i)`: nested archive `i`.
    nested: Option<usize>,
    index: usize,
    /// Shown name (`outer entry` or `nested zip/entry`).
    name: String,
}

/// The checked archive, ready to ingest.
struct Staged {
    outer: Archive,
    nested: Vec<Archive>,
    files: Vec<FileRef>,
    /// Refused without reading (too deep): `(name, reason)`.
    refused: Vec<(String, String)>,
    summaries: Summaries,
}

fn open(path: &std::path::Path) -> CoreResult<Archive> {
    let f = std::fs::File::open(path)
        .map_err(|e| CoreError::Internal(format!("opening upload: {e}")))?;
    zip::ZipArchive::new(f).map_err(|e| CoreError::invalid(format!("not a valid ZIP archive: {e}")))
}

fn in_upload_dir(name: &str) -> bool {
    let mut parts = name.split('/').rev();
    parts.next();
    parts.any(|p| UPLOAD_DIRS.contains(&p))
}

fn is_summary(name: &str) -> bool {
    name.ends_with("_summarizedActivities.json") && name.contains("DI-Connect-Fitness/")
}

/// True when `name` looks like a Garmin account export's entry.
pub(crate) fn is_garmin_entry(name: &str) -> bool {
    name.starts_with("DI_CONNECT/") || in_upload_dir(name)
}

/// Refuse an activity entry whose header declares too much (checked
/// before anything is stored).
fn check_declared(name: &str, declared: u64, compressed: u64) -> CoreResult<()> {
    if declared > MAX_UPLOAD_BYTES as u64 {
        return Err(CoreError::TooLarge(format!(
            "{name}: decompresses to more than 50 MiB"
        )));
    }
    if declared > expand::RATIO_FLOOR && declared / compressed.max(1) > expand::MAX_RATIO {
        return Err(CoreError::TooLarge(format!(
            "{name}: expands more than {}× (a decompression bomb?)",
            expand::MAX_RATIO
        )));
    }
    Ok(())
}

/// Inflate outer member `index` into an anonymous temp file, within the
/// nested and staged limits; the ZIP archive in it.
fn stage_nested(
    a: &mut Archive,
    index: usize,
    name: &str,
    staged: &mut u64,
) -> CoreResult<Archive> {
    let unreadable = |e: zip::result::ZipError| CoreError::invalid(format!("{name}: {e}"));
    let mut entry = a.by_index(index).map_err(unreadable)?;
    let compressed = entry.compressed_size().max(1);
    let limit = MAX_NESTED_BYTES.min(MAX_STAGED_BYTES.saturating_sub(*staged));
    if entry.size() > limit {
        return Err(CoreError::TooLarge(format!(
            "{name}: decompresses to more than {}",
            expand::size_text(limit)
        )));
    }
    let mut out =
        tempfile::tempfile().map_err(|e| CoreError::Internal(format!("staging {name}: {e}")))?;
    let mut buf = vec![0u8; expand::SCRATCH_BYTES];
    let mut total = 0u64;
    loop {
        let n = match entry.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CoreError::invalid(format!("{name}: {e}"))),
        };
        total += n as u64;
        if total > limit {
            return Err(CoreError::TooLarge(format!(
                "{name}: decompresses to more than {}",
                expand::size_text(limit)
            )));
        }
        if total > expand::RATIO_FLOOR && total / compressed > expand::MAX_RATIO {
            return Err(CoreError::TooLarge(format!(
                "{name}: expands more than {}× (a decompression bomb?)",
                expand::MAX_RATIO
            )));
        }
        out.write_all(&buf[..n])
            .map_err(|e| CoreError::Internal(format!("staging {name}: {e}")))?;
    }
    *staged += total;
    zip::ZipArchive::new(out)
        .map_err(|e| CoreError::invalid(format!("{name}: not a valid ZIP archive: {e}")))
}

/// Check the whole archive and stage its nested ZIPs (nothing stored).
fn stage(path: &std::path::Path) -> CoreResult<Staged> {
    let mut outer = open(path)?;
    if outer.len() > MAX_ENTRIES {
        return Err(CoreError::TooLarge(format!(
            "archive has more than {MAX_ENTRIES} entries"
        )));
    }
    let mut entries = outer.len();
    let (mut nested, mut files, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    let mut summaries = Summaries::default();
    let mut garmin = false;
    let mut staged = 0u64;
    for i in 0..outer.len() {
        let (name, is_dir, declared, compressed) = {
            let Ok(e) = outer.by_index_raw(i) else {
                continue;
            };
            let Ok(name) = e.name().map(|n| n.into_owned()) else {
                continue;
            };
            (name, e.is_dir(), e.size(), e.compressed_size())
        };
        garmin |= is_garmin_entry(&name);
        if is_dir {
            continue;
        }
        if is_summary(&name) {
            let bytes = read_member(&mut outer, i, MAX_SUMMARY_BYTES, &name)?;
            summaries.add_json(&name, &bytes)?;
        } else if in_upload_dir(&name) && name.to_ascii_lowercase().ends_with(".zip") {
            let mut inner = stage_nested(&mut outer, i, &name, &mut staged)?;
            entries += inner.len();
            if entries > MAX_ENTRIES {
                return Err(CoreError::TooLarge(format!(
                    "archive has more than {MAX_ENTRIES} entries (nested archives included)"
                )));
            }
            let n = nested.len();
            for j in 0..inner.len() {
                let Ok(e) = inner.by_index_raw(j) else {
                    continue;
                };
                let Ok(inner_name) = e.name().map(|n| n.into_owned()) else {
                    continue;
                };
                if e.is_dir() {
                    continue;
                }
                let shown = format!("{name}/{inner_name}");
                if inner_name.to_ascii_lowercase().ends_with(".zip") {
                    refused.push((
                        shown.clone(),
                        format!("{shown}: archive nested too deep (one level is read)"),
                    ));
                } else if extract::is_supported_name(&inner_name) {
                    check_declared(&shown, e.size(), e.compressed_size())?;
                    files.push(FileRef {
                        nested: Some(n),
                        index: j,
                        name: shown,
                    });
                }
            }
            nested.push(inner);
        } else if in_upload_dir(&name) && extract::is_supported_name(&name) {
            check_declared(&name, declared, compressed)?;
            files.push(FileRef {
                nested: None,
                index: i,
                name,
            });
        }
    }
    if !garmin {
        return Err(CoreError::invalid(
            "not a Garmin account export: no DI_CONNECT/ folder",
        ));
    }
    Ok(Staged {
        outer,
        nested,
        files,
        refused,
        summaries,
    })
}

/// Which bulk export an archive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A Strava bulk export (`activities.csv` at the root).
    Strava,
    /// A Garmin Connect account export (`DI_CONNECT/`).
    Garmin,
}

impl ArchiveKind {
    /// The job kind its import shows in `/api/admin/jobs`.
    pub fn job_kind(self) -> &'static str {
        match self {
            ArchiveKind::Strava => "strava-zip",
            ArchiveKind::Garmin => "garmin-export",
        }
    }
}

fn kind_of(path: &std::path::Path) -> CoreResult<ArchiveKind> {
    let a = open(path)?;
    if a.index_for_name("activities.csv").is_some() {
        return Ok(ArchiveKind::Strava);
    }
    if a.file_names().any(|n| n.is_ok_and(|n| is_garmin_entry(&n))) {
        return Ok(ArchiveKind::Garmin);
    }
    Err(CoreError::invalid(
        "neither a Strava bulk export (no activities.csv at the root) nor a Garmin account \
         export (no DI_CONNECT/ folder)",
    ))
}

impl Activities {
    /// Which export the ZIP at `path` is (from its directory only).
    pub async fn archive_kind(&self, path: PathBuf) -> CoreResult<ArchiveKind> {
        self.cpu.run("zip", move || kind_of(&path)).await?
    }

    /// Import the export at `path` as `kind` says.
    pub async fn import_archive(
        &self,
        kind: ArchiveKind,
        owner: &User,
        path: PathBuf,
        privacy: Option<Privacy>,
        emit: impl FnMut(StravaEvent) + Send,
    ) -> CoreResult<StravaEvent> {
        match kind {
            ArchiveKind::Strava => self.import_strava_zip(owner, path, privacy, emit).await,
            ArchiveKind::Garmin => self.import_garmin_export(owner, path, privacy, emit).await,
        }
    }

    /// Import a Garmin account export at `path` for `owner`, reporting
    /// progress with the events of the Strava import (`validating`,
    /// `progress` per file, `done`). The whole archive is checked first:
    /// an error before the first `progress` means nothing was stored.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn import_garmin_export(
        &self,
        owner: &User,
        path: PathBuf,
        privacy: Option<Privacy>,
        mut emit: impl FnMut(StravaEvent) + Send,
    ) -> CoreResult<StravaEvent> {
        emit(StravaEvent::Validating);
        let staged = self.cpu.run("zip", move || stage(&path)).await??;
        let Staged {
            outer,
            nested,
            files,
            refused,
            summaries,
        } = staged;
        let total = files.len() + refused.len();
        let outer = Arc::new(Mutex::new(outer));
        let nested: Vec<_> = nested
            .into_iter()
            .map(|a| Arc::new(Mutex::new(a)))
            .collect();
        let mut batch: Vec<BatchFile> = refused
            .into_iter()
            .map(|(name, why)| BatchFile::refused(name, why))
            .collect();
        for f in files {
            let archive = match f.nested {
                None => outer.clone(),
                Some(i) => nested[i].clone(),
            };
            let (cpu, name, index) = (self.cpu.clone(), f.name.clone(), f.index);
            let read = async move {
                cpu.run("zip", move || {
                    let mut a = archive.lock().unwrap_or_else(|p| p.into_inner());
                    read_member(&mut a, index, MAX_UPLOAD_BYTES as u64, &name)
                })
                .await
                .and_then(|r| r)
                .map_err(|e| e.to_string())
            };
            batch.push(BatchFile::new(f.name, read));
        }
        let opts = IngestOptions {
            privacy,
            ..IngestOptions::default()
        };
        let mut stored: Vec<(String, String)> = Vec::new();
        let report = self
            .ingest_batch(owner, batch, opts, 1, |ev| {
                let BatchEvent::Finished {
                    n, name, outcome, ..
                } = ev
                else {
                    return;
                };
                if let Ok(s) = outcome {
                    if !matches!(s, IngestStatus::Duplicate { .. }) {
                        stored.push((name.to_owned(), s.id().to_owned()));
                    }
                }
                emit(StravaEvent::progress(n, total, name, outcome));
            })
            .await;
        self.title_from_summaries(owner, &summaries, &stored).await;
        let done = StravaEvent::done(report);
        emit(done.clone());
        Ok(done)
    }

    /// Title each stored activity from the export's summaries (by Garmin
    /// activity id in its file name, else by start time). A failure is
    /// logged: the activity stays, with its extracted title.
    async fn title_from_summaries(
        &self,
        owner: &User,
        summaries: &Summaries,
        stored: &[(String, String)],
    ) {
        for (name, id) in stored {
            let rec = match self.store.get_activity(&owner.handle, id).await {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, %id, "garmin export: reading an activity failed");
                    continue;
                }
            };
            if rec.edits.title.is_some() {
                continue;
            }
            let Some(title) = summaries.title(name, rec.started_at) else {
                continue;
            };
            let patch = ActivityEdits {
                title: Some(title.to_owned()),
                ..ActivityEdits::default()
            };
            match self.store.patch_edits(&owner.handle, id, patch).await {
                Ok(_) => self.changed(&owner.handle),
                Err(e) => tracing::warn!(error = %e, %id, "garmin export: setting a title failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_by_id_in_the_name_then_by_start() {
        let mut s = Summaries::default();
        s.add_json(
            "x.json",
            br#"[{"summarizedActivitiesExport": [
                {"activityId": 12345678901, "name": " By id ", "startTimeGmt": 1000000.0},
                {"activityId": 7, "name": "By start", "startTimeGmt": 5000400.0},
                {"activityId": 8, "name": "", "startTimeGmt": 9000000.0}]}]"#,
        )
        .unwrap();
        assert_eq!(
            s.title("Part1.zip/me@mail.example_12345678901.fit.gz", 0),
            Some("By id")
        );
        assert_eq!(s.title("ride.fit", 5_000 + 59), Some("By start"));
        assert_eq!(s.title("ride.fit", 5_000 + 61), None);
        assert_eq!(
            s.title("ride.fit", 9_000),
            None,
            "empty names are not titles"
        );
        assert!(s
            .add_json("bad.json", b"[{")
            .unwrap_err()
            .to_string()
            .contains("bad.json"));
    }
}
