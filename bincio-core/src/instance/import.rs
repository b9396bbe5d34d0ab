//! Reading an instance archive into an empty store, through the store
//! traits.
//!
//! Two passes. The first checks everything and writes nothing: the
//! manifest (format, version), every record file against the manifest's
//! line count, size and SHA-256, every line as its record type (an error
//! names the file and the line), every reference (an invite's creator, an
//! activity's owner, a bucket's attendee, a blob's file, size and hash),
//! and the limits below. Only then, and only when the target store holds
//! no account and no event data, the second pass writes the records in
//! the order of [`FILES`], so a record is written after what it refers to.
//!
//! A failure of the *store* during the second pass (a lost connection)
//! can leave part of the archive written; the target was empty, so
//! emptying it again (a new SQLite file, `dropDatabase` on MongoDB) and
//! re-running is the remedy, and the CLI says so.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::format::{
    ActivityRec, AnnouncementRec, AthleteRec, AttendeeRec, AuditRec, BlobRef, BucketRec,
    ConnectionRec, CounterRec, DropFileRec, DropFolderRec, InviteRec, Manifest, PrefRec,
    SettingRec, SyncRunRec, UserRec, BLOBS, FILES, FORMAT, MANIFEST, VERSION,
};
use super::{ArchiveError, InstanceStores};
use crate::event::audit::AuditFilter;
use crate::model::{AthletePatch, Blob, NewUser};
use crate::store::{ConnectionPatch, InsertOutcome};

/// Longest line of a record file (an activity with its tracks).
pub const MAX_LINE: usize = 64 << 20;
/// Largest manifest.
pub const MAX_MANIFEST: u64 = 1 << 20;
/// Largest blob (an original file or a photo).
pub const MAX_BLOB: u64 = 1 << 30;
/// Most records in one file.
pub const MAX_RECORDS: u64 = 50_000_000;
/// Records per restore call of the event data.
const CHUNK: usize = 500;
/// Sync runs kept per member on import: all of them.
const KEEP_RUNS: usize = 1_000_000;

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Records per file.
    pub records: BTreeMap<String, u64>,
    /// Blob files read.
    pub blobs: u64,
}

/// The lines of one record file, bounded, hashed as they are read.
struct Lines {
    file: &'static str,
    r: BufReader<File>,
    hash: Sha256,
    bytes: u64,
    line: u64,
    buf: Vec<u8>,
}

impl Lines {
    fn open(dir: &Path, file: &'static str) -> Result<Self, ArchiveError> {
        let path = dir.join(file);
        let f = File::open(&path).map_err(ArchiveError::io(&path))?;
        Ok(Self {
            file,
            r: BufReader::with_capacity(1 << 16, f),
            hash: Sha256::new(),
            bytes: 0,
            line: 0,
            buf: Vec::new(),
        })
    }

    /// The next line (without its newline), or `None` at the end.
    fn next_line(&mut self) -> Result<Option<&[u8]>, ArchiveError> {
        self.buf.clear();
        let n = (&mut self.r)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| ArchiveError::invalid(self.file, self.line + 1, e.to_string()))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.line > MAX_RECORDS {
            return Err(ArchiveError::invalid(
                self.file,
                self.line,
                format!("more than {MAX_RECORDS} records"),
            ));
        }
        self.hash.update(&self.buf);
        self.bytes += n as u64;
        if self.buf.last() != Some(&b'\n') {
            let why = if self.buf.len() > MAX_LINE {
                format!("line longer than {MAX_LINE} bytes")
            } else {
                "last line has no newline (truncated file?)".to_owned()
            };
            return Err(ArchiveError::invalid(self.file, self.line, why));
        }
        Ok(Some(&self.buf[..self.buf.len() - 1]))
    }

    /// The next line parsed as `T`.
    fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, ArchiveError> {
        let (file, line) = (self.file, self.line + 1);
        match self.next_line()? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| ArchiveError::invalid(file, line, e.to_string())),
        }
    }

    fn here(&self, message: impl Into<String>) -> ArchiveError {
        ArchiveError::invalid(self.file, self.line, message)
    }
}

/// Read and check `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, ArchiveError> {
    let path = dir.join(MANIFEST);
    let f = File::open(&path).map_err(ArchiveError::io(&path))?;
    let mut text = Vec::new();
    f.take(MAX_MANIFEST + 1)
        .read_to_end(&mut text)
        .map_err(ArchiveError::io(&path))?;
    if text.len() as u64 > MAX_MANIFEST {
        return Err(ArchiveError::invalid(
            MANIFEST,
            0,
            format!("larger than {MAX_MANIFEST} bytes"),
        ));
    }
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| ArchiveError::invalid(MANIFEST, 0, e.to_string()))?;
    if m.format != FORMAT {
        return Err(ArchiveError::invalid(
            MANIFEST,
            0,
            format!("format is {:?}, not {FORMAT:?}", m.format),
        ));
    }
    if m.version != VERSION {
        return Err(ArchiveError::invalid(
            MANIFEST,
            0,
            format!(
                "version {} is not one this build reads (it reads {VERSION})",
                m.version
            ),
        ));
    }
    for name in m.files.keys() {
        if !FILES.contains(&name.as_str()) {
            return Err(ArchiveError::invalid(
                MANIFEST,
                0,
                format!("unknown file {name:?}"),
            ));
        }
    }
    for name in FILES {
        if !m.files.contains_key(*name) {
            return Err(ArchiveError::invalid(
                MANIFEST,
                0,
                format!("{name} missing from files"),
            ));
        }
    }
    Ok(m)
}

/// A hex SHA-256.
fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// What the check pass learnt, for the references of later files.
#[derive(Default)]
struct Seen {
    users: HashSet<String>,
    activities: HashSet<(String, String)>,
    attendees: HashSet<String>,
    tokens: HashSet<String>,
    blobs: HashMap<String, u64>,
}

impl Seen {
    fn user(&self, l: &Lines, what: &str, handle: &str) -> Result<(), ArchiveError> {
        if self.users.contains(handle) {
            Ok(())
        } else {
            Err(l.here(format!("{what} {handle:?} is not in users.jsonl")))
        }
    }

    /// Check a blob reference and, once per content, the blob file.
    fn blob(&mut self, dir: &Path, l: &Lines, b: &BlobRef) -> Result<(), ArchiveError> {
        if !is_sha256(&b.sha256) {
            return Err(l.here(format!("blob {:?}: sha256 is not 64 hex digits", b.name)));
        }
        if let Some(size) = self.blobs.get(&b.sha256) {
            return if *size == b.size {
                Ok(())
            } else {
                Err(l.here(format!("blob {:?}: size {} != {size}", b.name, b.size)))
            };
        }
        let rel = format!("{BLOBS}/{}", b.sha256);
        let path = dir.join(&rel);
        let meta = std::fs::metadata(&path)
            .map_err(|e| l.here(format!("blob {:?}: {rel}: {e}", b.name)))?;
        if meta.len() != b.size || meta.len() > MAX_BLOB {
            return Err(l.here(format!(
                "blob {:?}: {rel} has {} bytes, the record says {} (limit {MAX_BLOB})",
                b.name,
                meta.len(),
                b.size
            )));
        }
        let mut h = Sha256::new();
        let mut f = File::open(&path).map_err(ArchiveError::io(&path))?;
        std::io::copy(&mut (&mut f).take(MAX_BLOB), &mut h).map_err(ArchiveError::io(&path))?;
        if hex::encode(h.finalize()) != b.sha256 {
            return Err(ArchiveError::invalid(
                &rel,
                0,
                "content does not match its name (SHA-256)",
            ));
        }
        self.blobs.insert(b.sha256.clone(), b.size);
        Ok(())
    }
}

/// Pass one: every file, line and reference (see the module docs).
pub fn check_archive(dir: &Path) -> Result<Manifest, ArchiveError> {
    let m = read_manifest(dir)?;
    let mut seen = Seen::default();
    for name in FILES {
        let mut l = Lines::open(dir, name)?;
        check_file(dir, &mut l, &mut seen)?;
        let want = &m.files[*name];
        let sha = hex::encode(std::mem::take(&mut l.hash).finalize());
        if l.line != want.records || l.bytes != want.bytes || sha != want.sha256 {
            return Err(ArchiveError::invalid(
                name,
                0,
                format!(
                    "does not match the manifest ({} records, {} bytes, sha256 {sha}; manifest: {} records, {} bytes, sha256 {})",
                    l.line, l.bytes, want.records, want.bytes, want.sha256
                ),
            ));
        }
    }
    Ok(m)
}

fn check_file(dir: &Path, l: &mut Lines, seen: &mut Seen) -> Result<(), ArchiveError> {
    let mut keys: HashSet<String> = HashSet::new();
    let mut dup = |l: &Lines, key: String| {
        if keys.insert(key.clone()) {
            Ok(())
        } else {
            Err(l.here(format!("{key} appears twice")))
        }
    };
    match l.file {
        "settings.jsonl" => {
            while let Some(r) = l.next::<SettingRec>()? {
                dup(l, format!("setting {:?}", r.key))?;
            }
        }
        "users.jsonl" => {
            while let Some(r) = l.next::<UserRec>()? {
                if r.handle.is_empty() || r.password_hash.is_empty() {
                    return Err(l.here("empty handle or password hash"));
                }
                dup(l, format!("user {:?}", r.handle))?;
                seen.users.insert(r.handle);
            }
        }
        "invites.jsonl" => {
            while let Some(r) = l.next::<InviteRec>()? {
                dup(l, format!("invite {:?}", r.code))?;
                seen.user(l, "created_by", &r.created_by)?;
                if let Some(u) = &r.used_by {
                    seen.user(l, "used_by", u)?;
                }
            }
        }
        "prefs.jsonl" => {
            while let Some(r) = l.next::<PrefRec>()? {
                dup(l, format!("pref {:?} of {:?}", r.key, r.handle))?;
                seen.user(l, "handle", &r.handle)?;
            }
        }
        "athletes.jsonl" => {
            while let Some(r) = l.next::<AthleteRec>()? {
                dup(l, format!("athlete {:?}", r.handle))?;
                seen.user(l, "handle", &r.handle)?;
            }
        }
        "connections.jsonl" => {
            while let Some(r) = l.next::<ConnectionRec>()? {
                dup(l, format!("connection {:?}/{:?}", r.handle, r.provider))?;
                seen.user(l, "handle", &r.handle)?;
                for v in [&r.tokens_sealed, &r.credentials_sealed]
                    .into_iter()
                    .flatten()
                {
                    hex::decode(v).map_err(|e| l.here(format!("sealed value: {e}")))?;
                }
            }
        }
        "drop_folders.jsonl" => {
            while let Some(r) = l.next::<DropFolderRec>()? {
                dup(l, format!("drop folder of {:?}", r.handle))?;
                seen.user(l, "handle", &r.handle)?;
            }
        }
        "drop_files.jsonl" => {
            while let Some(r) = l.next::<DropFileRec>()? {
                dup(l, format!("drop file {:?} of {:?}", r.path, r.handle))?;
                seen.user(l, "handle", &r.handle)?;
            }
        }
        "sync_runs.jsonl" => {
            while let Some(r) = l.next::<SyncRunRec>()? {
                dup(l, format!("sync run {:?}", r.id))?;
                seen.user(l, "handle", &r.handle)?;
            }
        }
        "activities.jsonl" => {
            while let Some(r) = l.next::<ActivityRec>()? {
                seen.user(l, "handle", &r.handle)?;
                if !seen.activities.insert((r.handle.clone(), r.id.clone())) {
                    return Err(l.here(format!("activity {}/{} appears twice", r.handle, r.id)));
                }
                dup(
                    l,
                    format!("source hash {:?} of {:?}", r.source_hash, r.handle),
                )?;
                let mut names = HashSet::new();
                for b in r.original.iter().chain(&r.images) {
                    seen.blob(dir, l, b)?;
                }
                for b in &r.images {
                    if !names.insert(&b.name) {
                        return Err(l.here(format!("photo {:?} appears twice", b.name)));
                    }
                }
            }
        }
        "attendees.jsonl" => {
            while let Some(r) = l.next::<AttendeeRec>()? {
                if !crate::event::oid::is_oid(&r.id) {
                    return Err(l.here(format!("attendee id {:?} is not 24 hex digits", r.id)));
                }
                if !seen.attendees.insert(r.id.clone()) || !seen.tokens.insert(r.token.clone()) {
                    return Err(l.here(format!("attendee {} (or its token) appears twice", r.id)));
                }
            }
        }
        "announcements.jsonl" => {
            while let Some(r) = l.next::<AnnouncementRec>()? {
                if !crate::event::oid::is_oid(&r.id) {
                    return Err(l.here(format!("announcement id {:?} is not 24 hex digits", r.id)));
                }
                dup(l, format!("announcement {}", r.id))?;
            }
        }
        "puzzle_counters.jsonl" => {
            while let Some(r) = l.next::<CounterRec>()? {
                if !crate::event::oid::is_oid(&r.id) {
                    return Err(l.here(format!("counter id {:?} is not 24 hex digits", r.id)));
                }
                dup(l, format!("counter {:?}", r.puzzle))?;
            }
        }
        "puzzle_buckets.jsonl" => {
            while let Some(r) = l.next::<BucketRec>()? {
                if !crate::event::oid::is_oid(&r.id) {
                    return Err(l.here(format!("bucket id {:?} is not 24 hex digits", r.id)));
                }
                if !seen.attendees.contains(&r.attendee) {
                    return Err(l.here(format!(
                        "bucket attendee {} is not in attendees.jsonl",
                        r.attendee
                    )));
                }
                dup(l, format!("bucket {:?}", r.public_token))?;
            }
        }
        "audit.jsonl" => {
            let mut last: Option<String> = None;
            while let Some(r) = l.next::<AuditRec>()? {
                if last.as_ref().is_some_and(|p| *p >= r.id) {
                    return Err(l.here(format!(
                        "audit entry {} is not after the one before (oldest first)",
                        r.id
                    )));
                }
                last = Some(r.id);
            }
        }
        other => unreachable!("FILES lists {other} without a check"),
    }
    Ok(())
}

/// What the target holds already, in words; `None` when it is empty.
async fn not_empty(s: &InstanceStores) -> Result<Option<String>, ArchiveError> {
    let mut what = Vec::new();
    let users = s.users.count_users().await?;
    if users > 0 {
        what.push(format!("{users} users"));
    }
    if !s.archive.archive_attendees().await?.is_empty() {
        what.push("attendees".to_owned());
    }
    if !s.archive.archive_announcements().await?.is_empty() {
        what.push("announcements".to_owned());
    }
    if !s.puzzles.counters().await?.is_empty() || !s.archive.archive_buckets().await?.is_empty() {
        what.push("puzzle state".to_owned());
    }
    let audit = s
        .attendees
        .list_audit(AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        })
        .await?;
    if !audit.is_empty() {
        what.push("an audit log".to_owned());
    }
    Ok((!what.is_empty()).then(|| what.join(", ")))
}

/// Check the archive in `dir`, then write it into `s`, which must hold no
/// account and no event data (settings already there are overwritten by
/// the archive's).
pub async fn import_instance(
    s: &InstanceStores,
    dir: &Path,
) -> Result<ImportSummary, ArchiveError> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || check_archive(&dir)
    })
    .await
    .map_err(|e| ArchiveError::Refused(format!("checking the archive: {e}")))??;
    if let Some(what) = not_empty(s).await? {
        return Err(ArchiveError::Refused(format!(
            "the target store is not empty ({what}): import an instance into a new store"
        )));
    }
    let mut out = ImportSummary::default();
    for name in FILES {
        let mut l = Lines::open(&dir, name)?;
        write_file(s, &dir, &mut l, &mut out).await?;
        out.records.insert((*name).to_owned(), l.line);
    }
    Ok(out)
}

fn read_blob(dir: &Path, b: &BlobRef) -> Result<Blob, ArchiveError> {
    let path = dir.join(BLOBS).join(&b.sha256);
    let bytes = std::fs::read(&path).map_err(ArchiveError::io(&path))?;
    Ok(Blob {
        name: b.name.clone(),
        content_type: b.content_type.clone(),
        bytes,
    })
}

/// Drain `l` in chunks of [`CHUNK`] records.
fn chunk<T: DeserializeOwned>(l: &mut Lines) -> Result<Vec<T>, ArchiveError> {
    let mut v = Vec::new();
    while v.len() < CHUNK {
        match l.next::<T>()? {
            Some(r) => v.push(r),
            None => break,
        }
    }
    Ok(v)
}

async fn write_file(
    s: &InstanceStores,
    dir: &Path,
    l: &mut Lines,
    out: &mut ImportSummary,
) -> Result<(), ArchiveError> {
    match l.file {
        "settings.jsonl" => {
            while let Some(r) = l.next::<SettingRec>()? {
                s.users.set_setting(&r.key, &r.value).await?;
            }
        }
        "users.jsonl" => {
            while let Some(r) = l.next::<UserRec>()? {
                s.users.create_user(NewUser::from(r)).await?;
            }
        }
        "invites.jsonl" => {
            while let Some(r) = l.next::<InviteRec>()? {
                s.users.create_invite(r.into(), None).await?;
            }
        }
        "prefs.jsonl" => {
            let mut all: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
            while let Some(r) = l.next::<PrefRec>()? {
                all.entry(r.handle).or_default().insert(r.key, r.value);
            }
            for (h, prefs) in all {
                s.users.set_prefs(&h, &prefs).await?;
            }
        }
        "athletes.jsonl" => {
            while let Some(r) = l.next::<AthleteRec>()? {
                let patch = AthletePatch {
                    set: r.config,
                    clear: Vec::new(),
                };
                s.users.patch_athlete(&r.handle, &patch).await?;
            }
        }
        "connections.jsonl" => {
            while let Some(r) = l.next::<ConnectionRec>()? {
                let unhex = |v: &Option<String>| {
                    v.as_deref()
                        .map(hex::decode)
                        .transpose()
                        .map_err(|e| l.here(format!("sealed value: {e}")))
                };
                let patch = ConnectionPatch {
                    athlete_id: Some(r.athlete_id),
                    athlete_name: Some(r.athlete_name.clone()),
                    scopes: Some(r.scopes.clone()),
                    tokens: Some(unhex(&r.tokens_sealed)?),
                    credentials: Some(unhex(&r.credentials_sealed)?),
                    cursor: Some(r.cursor),
                    last_sync: Some(r.last_sync),
                    next_sync: Some(r.next_sync),
                    paused_until: Some(r.paused_until),
                    last_error: Some(r.last_error.clone()),
                    oauth_state: Some(r.oauth_state.clone().zip(r.oauth_state_expires)),
                };
                s.connections
                    .patch_connection(&r.handle, &r.provider, &patch, r.updated_at)
                    .await?;
            }
        }
        "drop_folders.jsonl" => {
            while let Some(r) = l.next::<DropFolderRec>()? {
                if r.folder.is_some() {
                    s.sources
                        .set_drop_folder(&r.handle, r.folder.as_deref())
                        .await?;
                }
                if let Some(at) = r.last_scan_at {
                    s.sources.mark_drop_scanned(&r.handle, at).await?;
                }
            }
        }
        "drop_files.jsonl" => {
            while let Some(r) = l.next::<DropFileRec>()? {
                let f = r.file();
                if !s.sources.claim_drop_file(&r.handle, &f, 0).await? {
                    return Err(l.here(format!("drop file {:?} was already claimed", r.path)));
                }
                if r.done {
                    s.sources
                        .finish_drop_file(&r.handle, &r.path, &r.hash)
                        .await?;
                }
            }
        }
        "sync_runs.jsonl" => {
            while let Some(r) = l.next::<SyncRunRec>()? {
                s.sources.record_sync_run(&r, KEEP_RUNS).await?;
            }
        }
        "activities.jsonl" => {
            while let Some(r) = l.next::<ActivityRec>()? {
                let (rec, tracks) = r.parts();
                match s.activities.insert_activity(rec, tracks).await? {
                    InsertOutcome::Inserted => {}
                    other => {
                        return Err(l.here(format!(
                            "activity {}/{} not stored: {other:?}",
                            r.handle, r.id
                        )))
                    }
                }
                if let Some(b) = &r.original {
                    s.activities
                        .put_original(&r.handle, &r.id, read_blob(dir, b)?)
                        .await?;
                    out.blobs += 1;
                }
                for b in &r.images {
                    s.activities
                        .put_image(&r.handle, &r.id, read_blob(dir, b)?)
                        .await?;
                    out.blobs += 1;
                }
            }
        }
        "attendees.jsonl" => loop {
            let batch: Vec<AttendeeRec> = chunk(l)?;
            if batch.is_empty() {
                break;
            }
            s.archive
                .restore_attendees(batch.into_iter().map(Into::into).collect())
                .await?;
        },
        "announcements.jsonl" => {
            while let Some(r) = l.next::<AnnouncementRec>()? {
                s.attendees.add_announcement(r.into()).await?;
            }
        }
        "puzzle_counters.jsonl" => loop {
            let batch: Vec<CounterRec> = chunk(l)?;
            if batch.is_empty() {
                break;
            }
            s.archive
                .restore_counters(batch.into_iter().map(Into::into).collect())
                .await?;
        },
        "puzzle_buckets.jsonl" => loop {
            let batch: Vec<BucketRec> = chunk(l)?;
            if batch.is_empty() {
                break;
            }
            s.archive
                .restore_buckets(batch.into_iter().map(Into::into).collect())
                .await?;
        },
        "audit.jsonl" => loop {
            let batch: Vec<AuditRec> = chunk(l)?;
            if batch.is_empty() {
                break;
            }
            s.archive.restore_audit(batch).await?;
        },
        other => unreachable!("FILES lists {other} without a writer"),
    }
    Ok(())
}
