//! Writing an instance archive from the store traits.
//!
//! The output is deterministic: the same instance gives the same bytes
//! whatever its backend (records in stable orders, blobs named by their
//! hash, no timestamp in the manifest), which is how the round-trip tests
//! compare a SQLite and a MongoDB instance. The archive is written into a
//! temporary sibling directory and renamed into place at the end, so an
//! interrupted export leaves no half archive under the asked name.
//!
//! An export reads the live store record by record; it is a consistent
//! picture only of an instance nobody writes to meanwhile (stop the
//! server, or export from a restored backup).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::format::{
    ActivityRec, AnnouncementRec, AthleteRec, AttendeeRec, BlobRef, BlobTotals, BucketRec,
    ConnectionRec, CounterRec, DropFileRec, DropFolderRec, FileEntry, InviteRec, Manifest, PrefRec,
    SettingRec, UserRec, BLOBS, FILES, FORMAT, MANIFEST, SECRETS, VERSION,
};
use super::{ArchiveError, InstanceStores, PROVIDERS};
use crate::accounts::settings::is_secret;
use crate::event::audit::AuditFilter;
use crate::model::{AthleteConfig, Blob};
use crate::store::{SummaryQuery, MAX_SUMMARY_PAGE};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub manifest: Manifest,
}

/// One JSON Lines file being written, with its hash and counts.
struct Jsonl {
    path: PathBuf,
    out: BufWriter<File>,
    hash: Sha256,
    bytes: u64,
    records: u64,
    line: Vec<u8>,
}

impl Jsonl {
    fn create(dir: &Path, name: &str) -> Result<Self, ArchiveError> {
        let path = dir.join(name);
        let f = File::create(&path).map_err(ArchiveError::io(&path))?;
        Ok(Self {
            out: BufWriter::new(f),
            path,
            hash: Sha256::new(),
            bytes: 0,
            records: 0,
            line: Vec::new(),
        })
    }

    fn put<T: Serialize>(&mut self, rec: &T) -> Result<(), ArchiveError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, rec)
            .map_err(|e| ArchiveError::Refused(format!("{}: {e}", self.path.display())))?;
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(ArchiveError::io(&self.path))?;
        self.hash.update(&self.line);
        self.bytes += self.line.len() as u64;
        self.records += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<FileEntry, ArchiveError> {
        self.out.flush().map_err(ArchiveError::io(&self.path))?;
        self.out
            .get_ref()
            .sync_all()
            .map_err(ArchiveError::io(&self.path))?;
        Ok(FileEntry {
            records: self.records,
            bytes: self.bytes,
            sha256: hex::encode(self.hash.finalize()),
        })
    }
}

/// The blob folder: each distinct content written once.
struct Blobs {
    dir: PathBuf,
    totals: BlobTotals,
}

impl Blobs {
    fn put(&mut self, b: Blob) -> Result<BlobRef, ArchiveError> {
        let sha = hex::encode(Sha256::digest(&b.bytes));
        let path = self.dir.join(&sha);
        if !path.exists() {
            std::fs::write(&path, &b.bytes).map_err(ArchiveError::io(&path))?;
            self.totals.count += 1;
            self.totals.bytes += b.bytes.len() as u64;
        }
        Ok(BlobRef {
            name: b.name,
            content_type: b.content_type,
            size: b.bytes.len() as u64,
            sha256: sha,
        })
    }
}

/// Write the archive of every record of `s` to the directory `out`, which
/// must not exist (or be empty).
pub async fn export_instance(
    s: &InstanceStores,
    out: &Path,
) -> Result<ExportSummary, ArchiveError> {
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(ArchiveError::io(out))?
            .next()
            .is_none();
        if !empty {
            return Err(ArchiveError::Refused(format!(
                "{}: exists and is not empty (an export writes a new directory)",
                out.display()
            )));
        }
    }
    let name = out
        .file_name()
        .ok_or_else(|| ArchiveError::Refused(format!("{}: not a directory name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(ArchiveError::io(&parent))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.export-"))
        .tempdir_in(&parent)
        .map_err(ArchiveError::io(&parent))?;
    // The archive holds secrets (see the module docs of `instance`): the
    // directory is the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(ArchiveError::io(tmp.path()))?;
    }
    let manifest = write_all(s, tmp.path()).await?;
    if out.exists() {
        std::fs::remove_dir(out).map_err(ArchiveError::io(out))?;
    }
    let done = tmp.keep();
    std::fs::rename(&done, out).map_err(ArchiveError::io(out))?;
    Ok(ExportSummary { manifest })
}

async fn write_all(s: &InstanceStores, dir: &Path) -> Result<Manifest, ArchiveError> {
    let blob_dir = dir.join(BLOBS);
    std::fs::create_dir(&blob_dir).map_err(ArchiveError::io(&blob_dir))?;
    let mut blobs = Blobs {
        dir: blob_dir,
        totals: BlobTotals::default(),
    };
    let mut files = BTreeMap::new();
    let users = s.users.list_users().await?;
    let handles: Vec<String> = users.iter().map(|u| u.handle.clone()).collect();

    for name in FILES {
        let mut f = Jsonl::create(dir, name)?;
        match *name {
            "settings.jsonl" => {
                for (key, value) in s.users.list_settings().await? {
                    if !is_secret(&key) {
                        f.put(&SettingRec { key, value })?;
                    }
                }
            }
            "users.jsonl" => {
                for u in &users {
                    f.put(&UserRec::from(u.clone()))?;
                }
            }
            "invites.jsonl" => {
                let mut all = Vec::new();
                for h in &handles {
                    all.extend(s.users.list_invites(h).await?);
                }
                all.sort_by(|a, b| (a.created_at, &a.code).cmp(&(b.created_at, &b.code)));
                for i in all {
                    f.put(&InviteRec::from(i))?;
                }
            }
            "prefs.jsonl" => {
                for h in &handles {
                    for (key, value) in s.users.get_prefs(h).await? {
                        f.put(&PrefRec {
                            handle: h.clone(),
                            key,
                            value,
                        })?;
                    }
                }
            }
            "athletes.jsonl" => {
                for h in &handles {
                    let config = s.users.get_athlete(h).await?;
                    if config != AthleteConfig::default() {
                        f.put(&AthleteRec {
                            handle: h.clone(),
                            config,
                        })?;
                    }
                }
            }
            "connections.jsonl" => {
                for p in PROVIDERS {
                    for c in s.connections.list_connections(p).await? {
                        f.put(&ConnectionRec::from(c))?;
                    }
                }
            }
            "drop_folders.jsonl" => {
                for h in &handles {
                    let c = s.sources.drop_config(h).await?;
                    if c.folder.is_some() || c.last_scan_at.is_some() {
                        f.put(&DropFolderRec {
                            handle: h.clone(),
                            folder: c.folder,
                            last_scan_at: c.last_scan_at,
                        })?;
                    }
                }
            }
            "drop_files.jsonl" => {
                for h in &handles {
                    let mut files = s.sources.drop_files(h).await?;
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                    for d in files {
                        f.put(&DropFileRec::new(h, d))?;
                    }
                }
            }
            "sync_runs.jsonl" => {
                for h in &handles {
                    let mut runs = s.sources.sync_runs(h, usize::MAX).await?;
                    runs.reverse(); // oldest first, the order they are recorded in
                    for r in runs {
                        f.put(&r)?;
                    }
                }
            }
            "activities.jsonl" => {
                for h in &handles {
                    write_activities(s, h, &mut f, &mut blobs).await?;
                }
            }
            "attendees.jsonl" => {
                for a in s.archive.archive_attendees().await? {
                    f.put(&AttendeeRec::from(a))?;
                }
            }
            "announcements.jsonl" => {
                for a in s.archive.archive_announcements().await? {
                    f.put(&AnnouncementRec::from(a))?;
                }
            }
            "puzzle_counters.jsonl" => {
                for c in s.puzzles.counters().await? {
                    f.put(&CounterRec::from(c))?;
                }
            }
            "puzzle_buckets.jsonl" => {
                for b in s.archive.archive_buckets().await? {
                    f.put(&BucketRec::from(b))?;
                }
            }
            "audit.jsonl" => {
                let mut all = Vec::new();
                let mut before = None;
                loop {
                    let page = s
                        .attendees
                        .list_audit(AuditFilter {
                            before: before.clone(),
                            limit: 1000,
                            ..AuditFilter::default()
                        })
                        .await?;
                    let Some(last) = page.last() else { break };
                    before = Some(last.id.clone());
                    all.extend(page);
                }
                for e in all.iter().rev() {
                    f.put(e)?;
                }
            }
            other => unreachable!("FILES lists {other} without a writer"),
        }
        files.insert((*name).to_owned(), f.finish()?);
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        version: VERSION,
        secrets: SECRETS.iter().map(|s| (*s).to_owned()).collect(),
        files,
        blobs: blobs.totals,
    };
    let path = dir.join(MANIFEST);
    let mut text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ArchiveError::Refused(format!("manifest: {e}")))?;
    text.push(b'\n');
    std::fs::write(&path, text).map_err(ArchiveError::io(&path))?;
    Ok(manifest)
}

/// Every activity of `handle`, newest first, with tracks and blobs.
async fn write_activities(
    s: &InstanceStores,
    handle: &str,
    f: &mut Jsonl,
    blobs: &mut Blobs,
) -> Result<(), ArchiveError> {
    let mut before = None;
    loop {
        let page = s
            .activities
            .summaries(SummaryQuery {
                handle: Some(handle.to_owned()),
                before: before.clone(),
                limit: MAX_SUMMARY_PAGE,
                lean: true,
                ..SummaryQuery::default()
            })
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        before = Some(crate::model::FeedCursor {
            started_at: last.started_at,
            id: last.id.clone(),
        });
        for sum in page {
            let id = sum.id;
            // Deleted between the page and here: skipped (see module docs).
            let Some(rec) = s.activities.get_activity(handle, &id).await? else {
                continue;
            };
            let tracks = s
                .activities
                .get_tracks(handle, &id)
                .await?
                .unwrap_or_default();
            let mut a = ActivityRec::new(rec, tracks);
            if let Some(b) = s.activities.get_original(handle, &id).await? {
                a.original = Some(blobs.put(b)?);
            }
            for name in s.activities.list_images(handle, &id).await? {
                if let Some(b) = s.activities.get_image(handle, &id, &name).await? {
                    a.images.push(blobs.put(b)?);
                }
            }
            f.put(&a)?;
        }
    }
}
