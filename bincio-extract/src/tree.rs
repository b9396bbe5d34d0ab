//! The BAS tree on disk (contract §5): the only part of the extraction
//! engine that touches the filesystem.
//!
//! ```text
//! {root}/index.json                         root manifest (shards per handle)
//! {root}/{handle}/index.json                the user's feed (summaries, newest first)
//! {root}/{handle}/.bincio_cache.json        dedup records (hashes, starts, distances)
//!                                           and input file stamps (path, size, mtime, hash)
//! {root}/{handle}/activities/{id}.json      detail
//! {root}/{handle}/activities/{id}.geojson   simplified track (when there is one)
//! {root}/{handle}/activities/{id}.timeseries.json
//! ```
//!
//! Every file is written to a temporary name and renamed into place, so a
//! reader (the static site, a concurrent run) never sees half a document.
//! Details and indexes are pretty-printed (2 spaces) like the reference;
//! timeseries and GeoJSON are compact (they are the bulk of the tree and only
//! machines read them).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::bas::{Activity, Summary, BAS_VERSION};
use super::dedup::{DedupIndex, DedupRecord};

/// Name of the per-user dedup cache.
pub const CACHE_FILE: &str = ".bincio_cache.json";

#[derive(Serialize, Deserialize, Default)]
struct CacheFile {
    activities: Vec<DedupRecord>,
    #[serde(default)]
    files: BTreeMap<String, FileStamp>,
}

/// Size and modification time of an input file when it was last hashed:
/// while both are unchanged, a re-run skips the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    pub source_hash: String,
}

impl FileStamp {
    /// Stamp of a file's metadata with the given hash (None when the
    /// platform gives no modification time).
    pub fn of(meta: &fs::Metadata, source_hash: &str) -> Option<FileStamp> {
        let mtime = meta.modified().ok()?;
        let ns = match mtime.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        Some(FileStamp {
            size: meta.len(),
            mtime_ns: ns,
            source_hash: source_hash.to_string(),
        })
    }

    /// True when `meta` describes the same size and modification time.
    pub fn matches(&self, meta: &fs::Metadata) -> bool {
        FileStamp::of(meta, "").is_some_and(|s| s.size == self.size && s.mtime_ns == self.mtime_ns)
    }
}

#[derive(Serialize, Deserialize)]
struct Owner {
    handle: String,
    display_name: String,
}

#[derive(Serialize, Deserialize)]
struct UserIndex {
    bas_version: String,
    owner: Owner,
    generated_at: String,
    shards: Vec<serde_json::Value>,
    activities: Vec<Summary>,
}

fn now_iso() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// This process's id (one `getpid` per run, not one per file).
fn pid() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Write `bytes` to `path` atomically (temporary file + rename). One
/// `write` of the whole buffer, no `fsync`: the rename makes the document
/// appear whole or not at all to readers; durability across a power cut is
/// not promised (a re-run extracts again whatever is missing).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", pid()));
    let tmp = PathBuf::from(tmp);
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
    }
    fs::rename(&tmp, path)
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

thread_local! {
    /// One serialisation buffer per thread, reused for every document: no
    /// copies while it grows and no fresh pages per file. Dropped after a
    /// document over [`KEEP_BUF`] so one huge activity does not pin memory.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Largest serialisation buffer kept between documents.
const KEEP_BUF: usize = 64 << 20;

/// Serialise `doc` (pretty with 2-space indent, else compact) and write it
/// atomically; the bytes are those of `serde_json::to_vec(_pretty)`.
fn write_json<T: Serialize + ?Sized>(path: &Path, doc: &T, pretty: bool) -> io::Result<()> {
    BUF.with(|cell| {
        let mut buf = cell.take();
        buf.clear();
        let res = if pretty {
            serde_json::to_writer_pretty(&mut buf, doc)
        } else {
            serde_json::to_writer(&mut buf, doc)
        }
        .map_err(to_io)
        .and_then(|()| write_atomic(path, &buf));
        if buf.capacity() <= KEEP_BUF {
            cell.replace(buf);
        }
        res
    })
}

/// One user's part of the BAS tree.
#[derive(Debug, Clone)]
pub struct UserTree {
    dir: PathBuf,
    handle: String,
}

impl UserTree {
    /// Open (creating `{root}/{handle}/activities/`). The caller validates
    /// the handle (`validate::is_valid_handle`) before building paths from it.
    pub fn open(root: &Path, handle: &str) -> io::Result<UserTree> {
        let dir = root.join(handle);
        fs::create_dir_all(dir.join("activities"))?;
        Ok(UserTree {
            dir,
            handle: handle.to_string(),
        })
    }

    /// The user directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn activity_path(&self, id: &str, ext: &str) -> PathBuf {
        self.dir.join("activities").join(format!("{id}{ext}"))
    }

    /// True when `activities/{id}.json` exists.
    pub fn has_activity(&self, id: &str) -> bool {
        self.activity_path(id, ".json").exists()
    }

    /// Load the dedup cache, keeping records whose detail still exists (a
    /// deleted activity may be extracted again) and every loser record (its
    /// file is never re-parsed). A missing or unreadable cache is empty.
    /// Also returns the input file stamps whose hash is still known.
    pub fn load_cache(&self) -> (DedupIndex, BTreeMap<String, FileStamp>) {
        let cache = fs::read(self.dir.join(CACHE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
            .unwrap_or_default();
        let mut idx = DedupIndex::from_records(cache.activities);
        idx.retain(|r| r.duplicate_of.is_some() || self.has_activity(&r.id));
        let mut files = cache.files;
        files.retain(|_, s| idx.contains_hash(&s.source_hash));
        (idx, files)
    }

    /// Save the dedup cache and the input file stamps (stamps whose hash is
    /// not in the index are dropped).
    pub fn save_cache(
        &self,
        idx: &DedupIndex,
        files: &BTreeMap<String, FileStamp>,
    ) -> io::Result<()> {
        let file = CacheFile {
            activities: idx.records().to_vec(),
            files: files
                .iter()
                .filter(|(_, s)| idx.contains_hash(&s.source_hash))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        write_json(&self.dir.join(CACHE_FILE), &file, false)
    }

    /// Source hash recorded in an existing detail, if any.
    pub fn detail_hash(&self, id: &str) -> Option<String> {
        let b = fs::read(self.activity_path(id, ".json")).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&b).ok()?;
        v.get("source_hash")?.as_str().map(str::to_string)
    }

    /// Write the activity's detail, track and timeseries; remove a stale
    /// track / timeseries of the same id when this version has none.
    pub fn write_activity(&self, a: &Activity) -> io::Result<()> {
        let id = &a.detail.id;
        match &a.geojson {
            Some(g) => write_json(&self.activity_path(id, ".geojson"), g, false)?,
            None => remove_if_exists(&self.activity_path(id, ".geojson"))?,
        }
        match &a.timeseries {
            Some(t) => write_json(&self.activity_path(id, ".timeseries.json"), t, false)?,
            None => remove_if_exists(&self.activity_path(id, ".timeseries.json"))?,
        }
        // Detail last: its presence means the activity is complete.
        write_json(&self.activity_path(id, ".json"), &a.detail, true)
    }

    /// Set `duplicate_of` in an existing detail (the loser of a
    /// near-duplicate pair).
    pub fn mark_duplicate(&self, id: &str, winner: &str) -> io::Result<()> {
        let path = self.activity_path(id, ".json");
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path)?).map_err(to_io)?;
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "duplicate_of".into(),
                serde_json::Value::String(winner.into()),
            );
        }
        write_json(&path, &v, true)
    }

    /// Summaries of the current `index.json` (entries that do not parse are
    /// dropped; a missing index is empty).
    pub fn load_index(&self) -> Vec<Summary> {
        let Ok(b) = fs::read(self.dir.join("index.json")) else {
            return Vec::new();
        };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b) else {
            return Vec::new();
        };
        v.get("activities")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| serde_json::from_value(s.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Write `index.json` with the given summaries, newest first.
    pub fn write_index(&self, display_name: &str, mut activities: Vec<Summary>) -> io::Result<()> {
        activities.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
        let idx = UserIndex {
            bas_version: BAS_VERSION.into(),
            owner: Owner {
                handle: self.handle.clone(),
                display_name: display_name.to_string(),
            },
            generated_at: now_iso(),
            shards: Vec::new(),
            activities,
        };
        write_json(&self.dir.join("index.json"), &idx, true)
    }
}

fn remove_if_exists(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Rewrite `{root}/index.json`: one shard per user directory (a subdirectory
/// holding `activities/`), pointing at `_merged/index.json` when present,
/// else `index.json`. An existing `instance` object is kept; without an
/// `instance.db` the instance is public (`private: false`), as in the
/// reference.
pub fn write_root_manifest(root: &Path) -> io::Result<()> {
    let path = root.join("index.json");
    let old: Option<serde_json::Value> = fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut instance = old
        .as_ref()
        .and_then(|v| v.get("instance").cloned())
        .filter(|v| v.is_object())
        .unwrap_or_else(|| serde_json::json!({"name": "BincioActivity"}));
    if let Some(o) = instance.as_object_mut() {
        let has_db = root.join("instance.db").exists();
        let private = if has_db {
            o.get("private").and_then(|p| p.as_bool()).unwrap_or(true)
        } else {
            false
        };
        o.insert("private".into(), private.into());
        o.entry("name").or_insert_with(|| "BincioActivity".into());
    }
    let mut handles: Vec<String> = fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("activities").is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|h| !h.starts_with('.') && !h.starts_with('_'))
        .collect();
    handles.sort();
    let shards: Vec<serde_json::Value> = handles
        .iter()
        .map(|h| {
            let url = if root.join(h).join("_merged/index.json").exists() {
                format!("{h}/_merged/index.json")
            } else {
                format!("{h}/index.json")
            };
            serde_json::json!({"handle": h, "url": url})
        })
        .collect();
    let doc = serde_json::json!({
        "bas_version": BAS_VERSION,
        "instance": instance,
        "generated_at": now_iso(),
        "shards": shards,
        "activities": [],
    });
    write_json(&path, &doc, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compute, parse_bytes, Limits, Options};

    /// The reused serialisation buffer writes exactly the bytes of
    /// `serde_json::to_vec` / `to_vec_pretty`, document after document
    /// (a longer document first, so a stale tail would show).
    #[test]
    fn documents_are_the_bytes_of_serde_json() {
        let gpx = |n: usize| {
            let mut s = String::from(r#"<gpx version="1.1"><trk><type>running</type><trkseg>"#);
            for i in 0..n {
                s += &format!(
                    r#"<trkpt lat="{}" lon="7.0"><ele>{}</ele><time>2021-05-01T08:{:02}:{:02}Z</time></trkpt>"#,
                    45.0 + i as f64 * 0.0003,
                    100 + i,
                    i / 60,
                    i % 60
                );
            }
            s + "</trkseg></trk></gpx>"
        };
        let root = std::env::temp_dir().join(format!("bincio-tree-bytes-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let tree = UserTree::open(&root, "u").unwrap();
        for (name, n) in [("long.gpx", 900), ("short.gpx", 30)] {
            let p = parse_bytes(name, gpx(n).as_bytes(), &Limits::default()).unwrap();
            let a = compute(&p, &Options::default());
            tree.write_activity(&a).unwrap();
            let id = &a.detail.id;
            let read = |ext: &str| fs::read(tree.activity_path(id, ext)).unwrap();
            assert_eq!(read(".json"), serde_json::to_vec_pretty(&a.detail).unwrap());
            assert_eq!(
                read(".timeseries.json"),
                serde_json::to_vec(a.timeseries.as_ref().unwrap()).unwrap()
            );
            assert_eq!(
                read(".geojson"),
                serde_json::to_vec(a.geojson.as_ref().unwrap()).unwrap()
            );
        }
        let _ = fs::remove_dir_all(&root);
    }
}
