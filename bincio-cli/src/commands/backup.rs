//! `bincio backup` / `bincio restore` (a SQLite instance, one file) and
//! `bincio export --out DIR` / `bincio import instance --from DIR` (the
//! portable archive of `bincio_core::instance`, any backend).
//!
//! A backup file is a ZIP holding `manifest.json` (`format =
//! "bincio-backup"`, `version = 1`, each file's size and SHA-256),
//! `instance.db` (an online-backup snapshot: the database as of one
//! commit, taken while the server runs) and the data directory's key
//! files `keys/*.key` — with them the restored instance opens the sealed
//! Strava tokens, so **a backup file is a secret**: it is written with
//! mode 0600. Restore checks everything (sizes, hashes, `PRAGMA
//! integrity_check`) in a staging directory inside the target before
//! renaming the files into place, and refuses a target that holds an
//! instance unless `--force`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cli::StoreArgs;
use crate::stores::{self, Stores};

/// `manifest.json`'s `format` in a backup file.
const FORMAT: &str = "bincio-backup";
/// The version written and read.
const VERSION: u32 = 1;
/// The database's name in the backup and in the data directory.
const DB: &str = "instance.db";
/// Largest manifest accepted.
const MAX_MANIFEST: u64 = 1 << 20;
/// Most entries in a backup file (the database, the manifest, key files).
const MAX_ENTRIES: usize = 64;
/// Largest key file accepted.
const MAX_KEY: u64 = 1 << 16;

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The backup file to write (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The backup file (from `bincio backup`).
    #[arg(long)]
    pub from: PathBuf,
    /// Replace an existing instance in the target (stop its server first).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    /// Unix seconds of the snapshot.
    created_at: i64,
    files: std::collections::BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    bytes: u64,
    sha256: String,
}

/// The SQLite file the flags name; an error for any other store.
fn sqlite_path(args: &StoreArgs, what: &str) -> anyhow::Result<PathBuf> {
    let url = stores::url(args);
    match url.strip_prefix("sqlite:") {
        Some(p) => Ok(PathBuf::from(p)),
        None => bail!(
            "bincio {what} works on a SQLite store; for MongoDB use mongodump / mongorestore \
             (docs/deploy.md, \"Backups\") or `bincio export --out DIR` / \
             `bincio import instance --from DIR`"
        ),
    }
}

/// The key files of a data directory (`keys/*`, regular files).
fn key_files(data_dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let dir = data_dir.join("keys");
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type()?.is_file() && !name.starts_with('.') {
            out.push((format!("keys/{name}"), e.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn sha256_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((n, hex::encode(h.finalize())))
}

/// Create `path` for writing with mode 0600 (it holds secrets).
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// An online-backup snapshot of the database `db` (as of one commit) in a
/// private temporary directory beside `near` (so it stays on that
/// filesystem), named `prefix…`; removed when the directory is dropped.
fn snapshot_beside(
    db: &Path,
    near: &Path,
    prefix: &str,
) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let parent = match near.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let stage = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temporary directory in {}", parent.display()))?;
    let snap = stage.path().join(DB);
    bincio_store_sqlite::backup::snapshot(db, &snap)?;
    Ok((stage, snap))
}

pub fn backup(a: &BackupArgs) -> anyhow::Result<()> {
    let db = sqlite_path(&a.store, "backup")?;
    if a.out.exists() {
        bail!("{}: exists (a backup never overwrites)", a.out.display());
    }
    let (stage, snap) = snapshot_beside(&db, &a.out, ".bincio-backup-")?;
    let created_at = chrono::Utc::now().timestamp();

    let mut files = vec![(DB.to_owned(), snap.clone())];
    files.extend(key_files(&a.store.data_dir)?);
    let mut manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at,
        files: Default::default(),
    };
    for (name, path) in &files {
        let (bytes, sha256) = sha256_file(path)?;
        manifest.files.insert(name.clone(), Entry { bytes, sha256 });
    }

    let tmp = stage.path().join("backup.zip");
    let f = create_private(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600)
        .large_file(true);
    z.start_file("manifest.json", opts)?;
    z.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    for (name, path) in &files {
        z.start_file(name.as_str(), opts)?;
        let mut src = File::open(path).with_context(|| format!("reading {}", path.display()))?;
        std::io::copy(&mut src, &mut z)?;
    }
    let f = z.finish()?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
    let db_bytes = manifest.files[DB].bytes;
    println!(
        "backed up {} ({db_bytes} bytes, {} key files) to {} — it holds the secrets key: keep it private",
        db.display(),
        files.len() - 1,
        a.out.display()
    );
    Ok(())
}

/// A key file's name in a backup: `keys/<plain name>`.
fn key_name_ok(name: &str) -> bool {
    name.strip_prefix("keys/").is_some_and(|n| {
        !n.is_empty()
            && !n.starts_with('.')
            && n.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    })
}

pub fn restore(a: &RestoreArgs) -> anyhow::Result<()> {
    let db = sqlite_path(&a.store, "restore")?;
    let data_dir = &a.store.data_dir;
    let from = &a.from;
    let f = File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut z = zip::ZipArchive::new(f)
        .with_context(|| format!("{}: not a backup file", from.display()))?;
    if z.len() > MAX_ENTRIES {
        bail!(
            "{}: {} entries (a backup holds at most {MAX_ENTRIES})",
            from.display(),
            z.len()
        );
    }
    let manifest: Manifest = {
        let m = z.by_name("manifest.json").with_context(|| {
            format!("{}: no manifest.json (not a bincio backup)", from.display())
        })?;
        let mut text = Vec::new();
        m.take(MAX_MANIFEST + 1).read_to_end(&mut text)?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{}: manifest.json", from.display()))?
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        bail!(
            "{}: manifest.json: format {:?} version {} (this build reads {FORMAT:?} version {VERSION})",
            from.display(),
            manifest.format,
            manifest.version
        );
    }
    if !manifest.files.contains_key(DB) {
        bail!("{}: manifest.json names no {DB}", from.display());
    }
    for name in manifest.files.keys() {
        if name != DB && !key_name_ok(name) {
            bail!(
                "{}: manifest.json: unexpected file {name:?}",
                from.display()
            );
        }
    }

    let keys_dir = data_dir.join("keys");
    let present: Vec<PathBuf> = std::iter::once(db.clone())
        .chain(
            manifest
                .files
                .keys()
                .filter(|n| *n != DB)
                .map(|n| data_dir.join(n)),
        )
        .filter(|p| p.exists())
        .collect();
    if !present.is_empty() && !a.force {
        bail!(
            "{} already holds an instance ({}): restore into a new data directory, or pass \
             --force to replace it (stop its server first)",
            data_dir.display(),
            present
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let db_dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&db_dir).with_context(|| format!("creating {}", db_dir.display()))?;
    let stage = tempfile::Builder::new()
        .prefix(".bincio-restore-")
        .tempdir_in(&db_dir)
        .with_context(|| format!("creating a temporary directory in {}", db_dir.display()))?;
    let mut staged = Vec::new();
    for (name, want) in &manifest.files {
        let limit = if name == DB {
            want.bytes
        } else {
            want.bytes.min(MAX_KEY)
        };
        let entry = z
            .by_name(name)
            .with_context(|| format!("{}: {name} is missing", from.display()))?;
        let dest = stage.path().join(name.replace('/', "_"));
        let mut out = create_private(&dest)?;
        let mut h = Sha256::new();
        let mut reader = entry.take(limit + 1);
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0u64;
        loop {
            let k = reader.read(&mut buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
            if n > limit {
                bail!(
                    "{}: {name} is larger than the manifest says ({} bytes)",
                    from.display(),
                    want.bytes
                );
            }
            h.update(&buf[..k]);
            out.write_all(&buf[..k])?;
        }
        out.sync_all()?;
        if n != want.bytes || hex::encode(h.finalize()) != want.sha256 {
            bail!(
                "{}: {name} does not match the manifest (size or SHA-256): the file is damaged",
                from.display()
            );
        }
        staged.push((name.clone(), dest));
    }
    bincio_store_sqlite::backup::check(&stage.path().join(DB))?;

    // Everything checked: move into place (renames within one file system).
    for (name, src) in &staged {
        if name == DB {
            for suffix in ["-wal", "-shm", "-journal"] {
                let p = PathBuf::from(format!("{}{suffix}", db.display()));
                if p.exists() {
                    std::fs::remove_file(&p)
                        .with_context(|| format!("removing {}", p.display()))?;
                }
            }
            std::fs::rename(src, &db).with_context(|| format!("writing {}", db.display()))?;
        } else {
            std::fs::create_dir_all(&keys_dir)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&keys_dir, std::fs::Permissions::from_mode(0o700))?;
            }
            let dest = data_dir.join(name);
            copy_into_place(src, &dest)?;
        }
    }
    println!(
        "restored {} ({} bytes, snapshot of {}) and {} key files into {}",
        db.display(),
        manifest.files[DB].bytes,
        chrono::DateTime::from_timestamp(manifest.created_at, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| manifest.created_at.to_string()),
        staged.len() - 1,
        data_dir.display()
    );
    Ok(())
}

/// Put a staged key file at `dest` (a rename when on one file system, a
/// private copy and rename otherwise).
fn copy_into_place(src: &Path, dest: &Path) -> anyhow::Result<()> {
    if std::fs::rename(src, dest).is_ok() {
        return Ok(());
    }
    let tmp = dest.with_extension("restore-tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut out = create_private(&tmp)?;
    std::io::copy(&mut File::open(src)?, &mut out)?;
    out.sync_all()?;
    std::fs::rename(&tmp, dest).with_context(|| format!("writing {}", dest.display()))?;
    Ok(())
}

/// `bincio export --out DIR`. On SQLite it reads an online-backup
/// snapshot taken first (in a private temporary directory next to the
/// database): the archive is the instance as of one commit, whatever is
/// written meanwhile. On MongoDB it reads record by record (export while
/// nothing writes, or from a `mongodump` restored aside).
pub async fn export_out(store: &StoreArgs, dir: &Path) -> anyhow::Result<()> {
    let url = stores::url(store);
    let Some(db) = url
        .strip_prefix("sqlite:")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
    else {
        return export(&stores::open(store).await?, dir).await;
    };
    let (_stage, snap) = snapshot_beside(&db, &db, ".bincio-export-")?;
    let s = stores::sqlite(bincio_store_sqlite::SqliteStore::open(&snap)?);
    export(&s, dir).await
}

pub async fn export(s: &Stores, dir: &Path) -> anyhow::Result<()> {
    let sum = bincio_core::instance::export_instance(&s.instance(), dir).await?;
    let m = &sum.manifest;
    let counts: Vec<String> = m
        .files
        .iter()
        .filter(|(_, e)| e.records > 0)
        .map(|(n, e)| format!("{} {}", e.records, n.trim_end_matches(".jsonl")))
        .collect();
    println!(
        "exported to {}: {}; {} blobs ({} bytes). It holds password hashes, invite codes, \
         attendee tokens and sealed Strava tokens: keep it private.",
        dir.display(),
        if counts.is_empty() {
            "no records".to_owned()
        } else {
            counts.join(", ")
        },
        m.blobs.count,
        m.blobs.bytes
    );
    Ok(())
}

pub async fn import(s: &Stores, dir: &Path) -> anyhow::Result<()> {
    let sum = bincio_core::instance::import_instance(&s.instance(), dir).await?;
    let counts: Vec<String> = sum
        .records
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(f, n)| format!("{n} {}", f.trim_end_matches(".jsonl")))
        .collect();
    println!(
        "imported {}: {}; {} blobs",
        dir.display(),
        if counts.is_empty() {
            "no records".to_owned()
        } else {
            counts.join(", ")
        },
        sum.blobs
    );
    Ok(())
}
