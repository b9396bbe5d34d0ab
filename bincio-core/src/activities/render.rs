//! Static BAS export: the tree a static site reads, written from the store
//! for any web server.
//!
//! * Only what an anonymous visitor may see is written: listed activities in
//!   the indexes, unlisted ones as files only (reachable by link), private
//!   ones not at all; privacy cuts and hidden stats applied as for the API.
//! * Nothing secret: no database, no originals, no tokens — the tree is
//!   built from documents, never by copying the data directory.
//! * Incremental: a file whose bytes did not change is not rewritten; files
//!   of deleted activities are removed. Each file is written to a temp name
//!   and renamed, so readers never see a half-written file.
//!
//! Layout (BincioActivity's, `bincio.md` §5):
//! `index.json` (root manifest), `feed.json`, `feed-N.json` (50 per page),
//! `{h}/index.json` (flat feed), `{h}/_merged/index.json` + `index-{YYYY}.json`
//! (year shards), `{h}/athlete.json` + `{h}/_merged/athlete.json` (same
//! bytes), `{h}/activities/{id}.json|.geojson|.timeseries.json`,
//! `{h}/activities/images/{id}/{name}`.
//!
//! `athlete.json` and the indexes are recomputed on every render from the
//! listed public summaries and the athlete config (never from the per-
//! activity state), so a config change or an edit that hides a stat shows
//! up in the next render; unchanged bytes are still not rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, TimeZone, Utc};
use serde_json::{json, Value};

use super::{athlete, athlete_config, privacy, view};
use crate::accounts::settings::InstanceSettings;
use crate::error::{CoreError, CoreResult};
use crate::model::{ActivityRecord, AthleteConfig, FeedCursor};
use crate::store::{ActivityStore, FeedQuery, UserStore};
use crate::validate;

/// Combined feed page size.
pub const FEED_PAGE: usize = 50;

/// Render bookkeeping kept in the output tree: per activity, a hash of what
/// its files were made from and the files made. Lets a re-render skip
/// unchanged activities without reading their tracks or their files. Holds
/// no secret (hashes of public documents).
const STATE_FILE: &str = ".bincio-render.json";

type State = BTreeMap<String, (String, Vec<PathBuf>)>;

fn load_state(out: &Path) -> State {
    std::fs::read(out.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn activity_key(rec: &ActivityRecord, images: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rec.detail.to_string());
    h.update(rec.summary.to_string());
    h.update(serde_json::to_string(&rec.edits).unwrap_or_default());
    h.update(rec.effective_privacy().as_str());
    h.update(rec.duplicate_of.as_deref().unwrap_or(""));
    h.update(rec.source_hash.as_bytes());
    for i in images {
        h.update(i);
    }
    hex::encode(h.finalize())
}

/// What a render did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RenderStats {
    /// Activities exported.
    pub activities: u64,
    /// Files written (new or changed).
    pub written: u64,
    /// Files left as they were.
    pub unchanged: u64,
    /// Stale files removed.
    pub removed: u64,
}

/// One user's exported documents, ready to write.
struct UserTree {
    handle: String,
    display_name: String,
    /// Listed summaries, newest first.
    listed: Vec<Value>,
    /// relative path → bytes, or `None` for a file left as it is
    files: BTreeMap<PathBuf, Option<Vec<u8>>>,
    /// New bookkeeping for this user's activities.
    state: State,
}

fn pretty(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn year_of(started_at: i64) -> i32 {
    Utc.timestamp_opt(started_at, 0)
        .single()
        .map(|d| d.year())
        .unwrap_or(0)
}

/// Render the whole instance (or one user) into `out`.
pub async fn render(
    activities: &Arc<dyn ActivityStore>,
    users: &Arc<dyn UserStore>,
    out: &Path,
    only: Option<&str>,
    now: i64,
) -> CoreResult<RenderStats> {
    if let Some(h) = only {
        validate::handle(h)?;
    }
    let settings = InstanceSettings::from_map(&users.list_settings().await?)?;
    let all_users = users.list_users().await?;
    let generated_at = Utc
        .timestamp_opt(now, 0)
        .single()
        .unwrap_or_default()
        .to_rfc3339();
    let mut trees = Vec::new();
    let mut stats = RenderStats::default();
    let old_state = load_state(out);
    for u in &all_users {
        if only.is_some_and(|h| h != u.handle) {
            continue;
        }
        let config = users.get_athlete(&u.handle).await?;
        let tree = user_tree(
            activities,
            UserMeta {
                handle: &u.handle,
                display_name: &u.display_name,
                config: &config,
            },
            (now, &generated_at),
            &old_state,
            out,
        )
        .await?;
        stats.activities += tree.state.len() as u64;
        trees.push(tree);
    }
    let out = out.to_path_buf();
    let handles: Vec<String> = all_users.iter().map(|u| u.handle.clone()).collect();
    let combined = if only.is_none() {
        Some(combined_feed(&trees, &generated_at))
    } else {
        None
    };
    let manifest = json!({
        "bas_version": "1.0",
        "instance": {"name": settings.instance_name, "private": settings.private},
        "generated_at": generated_at,
        "shards": handles.iter().map(|h| json!({"handle": h, "url": format!("{h}/_merged/index.json")})).collect::<Vec<_>>(),
        "activities": [],
    });
    let only = only.map(str::to_owned);
    tokio::task::spawn_blocking(move || -> CoreResult<RenderStats> {
        std::fs::create_dir_all(&out).map_err(|e| io_err(&out, e))?;
        let mut w = Writer {
            stats,
            root: out.clone(),
        };
        w.put(Path::new("index.json"), &pretty(&manifest))?;
        if let Some(pages) = combined {
            let mut keep = BTreeSet::new();
            for (name, bytes) in pages {
                w.put(Path::new(&name), &bytes)?;
                keep.insert(name);
            }
            // Drop feed pages beyond the last one.
            for entry in std::fs::read_dir(&out)
                .map_err(|e| io_err(&out, e))?
                .flatten()
            {
                let n = entry.file_name().to_string_lossy().into_owned();
                if n.starts_with("feed-") && n.ends_with(".json") && !keep.contains(&n) {
                    w.remove(&entry.path())?;
                }
            }
        }
        let mut state = if only.is_some() {
            old_state
        } else {
            State::new()
        };
        for t in &trees {
            w.sync_user(t)?;
            let prefix = format!("{}/", t.handle);
            state.retain(|k, _| !k.starts_with(&prefix));
            state.extend(t.state.clone());
        }
        let bytes = serde_json::to_vec(&state).unwrap_or_default();
        let tmp = out.join(format!("{STATE_FILE}.tmp"));
        std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, out.join(STATE_FILE)).map_err(|e| io_err(&out, e))?;
        // Users that no longer exist lose their directory (full renders only).
        if only.is_none() {
            let live: BTreeSet<&str> = trees.iter().map(|t| t.handle.as_str()).collect();
            for entry in std::fs::read_dir(&out)
                .map_err(|e| io_err(&out, e))?
                .flatten()
            {
                let n = entry.file_name().to_string_lossy().into_owned();
                if entry.path().is_dir()
                    && validate::is_valid_handle(&n)
                    && !live.contains(n.as_str())
                {
                    w.stats.removed += 1;
                    std::fs::remove_dir_all(entry.path()).map_err(|e| io_err(&entry.path(), e))?;
                }
            }
        }
        Ok(w.stats)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("render task: {e}")))?
}

/// Who a user tree is for.
struct UserMeta<'a> {
    handle: &'a str,
    display_name: &'a str,
    config: &'a AthleteConfig,
}

async fn user_tree(
    store: &Arc<dyn ActivityStore>,
    meta: UserMeta<'_>,
    (now, generated_at): (i64, &str),
    old: &State,
    root: &Path,
) -> CoreResult<UserTree> {
    let UserMeta {
        handle,
        display_name,
        config,
    } = meta;
    let mut files: BTreeMap<PathBuf, Option<Vec<u8>>> = BTreeMap::new();
    let mut state = State::new();
    let mut listed: Vec<(ActivityRecord, Value)> = Vec::new();
    let mut cursor: Option<FeedCursor> = None;
    loop {
        let page = store
            .feed(FeedQuery {
                handle: Some(handle.to_owned()),
                listed_only: false,
                before: cursor.clone(),
                limit: 1000,
            })
            .await?;
        let full = page.len() == 1000;
        for rec in page {
            cursor = Some(FeedCursor {
                started_at: rec.started_at,
                id: rec.id.clone(),
            });
            let p = rec.effective_privacy();
            if !p.is_shared() || !validate::is_valid_activity_id(&rec.id) {
                continue;
            }
            let images = store.list_images(handle, &rec.id).await?;
            let key = activity_key(&rec, &images);
            let skey = format!("{handle}/{}", rec.id);
            if let Some((k, made)) = old.get(&skey) {
                if *k == key && made.iter().all(|f| root.join(f).exists()) {
                    // Unchanged since the last render: keep its files as they are.
                    for f in made {
                        files.insert(f.clone(), None);
                    }
                    state.insert(skey, (key, made.clone()));
                    if p.is_listed() {
                        let summary = listed_summary(store, &rec, &images).await?;
                        listed.push((rec, summary));
                    }
                    continue;
                }
            }
            let tracks = store.get_tracks(handle, &rec.id).await?.unwrap_or_default();
            let coords = tracks
                .geojson
                .as_ref()
                .and_then(|g| g.pointer("/geometry/coordinates"));
            let base = PathBuf::from(handle).join("activities");
            let before: BTreeSet<PathBuf> = files.keys().cloned().collect();
            let detail = view::public_doc(&rec, &rec.detail, &images, coords);
            files.insert(base.join(format!("{}.json", rec.id)), Some(pretty(&detail)));
            if let Some(g) = tracks
                .geojson
                .as_ref()
                .and_then(|g| privacy::cut_geojson(g, p))
            {
                files.insert(base.join(format!("{}.geojson", rec.id)), Some(pretty(&g)));
            }
            if let Some(mut ts) = tracks
                .timeseries
                .as_ref()
                .and_then(|t| privacy::cut_timeseries(t, p))
            {
                if let Some(h) = &rec.edits.hide_stats {
                    view::hide_series(&mut ts, h);
                }
                files.insert(
                    base.join(format!("{}.timeseries.json", rec.id)),
                    Some(pretty(&ts)),
                );
            }
            for name in &images {
                if let Some(b) = store.get_image(handle, &rec.id, name).await? {
                    files.insert(base.join("images").join(&rec.id).join(name), Some(b.bytes));
                }
            }
            let made: Vec<PathBuf> = files
                .keys()
                .filter(|k| !before.contains(*k))
                .cloned()
                .collect();
            state.insert(skey, (key, made));
            if p.is_listed() {
                let summary = view::public_doc(&rec, &rec.summary, &images, coords);
                listed.push((rec, summary));
            }
        }
        if !full {
            break;
        }
    }
    let owner = athlete::owner_json(handle, display_name, config);
    let summaries: Vec<Value> = listed.iter().map(|(_, s)| s.clone()).collect();
    // athlete.json from the listed public summaries only (hidden stats are
    // already cut from them); duplicates count once, through their better copy.
    let rows: Vec<(String, i64, Value)> = listed
        .iter()
        .filter(|(r, _)| r.duplicate_of.is_none())
        .map(|(r, s)| (r.id.clone(), r.started_at, s.clone()))
        .collect();
    let athlete_bytes = pretty(&athlete_config::document(&rows, config, now, generated_at));
    files.insert(
        PathBuf::from(handle).join("_merged").join("athlete.json"),
        Some(athlete_bytes.clone()),
    );
    files.insert(
        PathBuf::from(handle).join("athlete.json"),
        Some(athlete_bytes),
    );
    files.insert(
        PathBuf::from(handle).join("index.json"),
        Some(pretty(
            &json!({"bas_version": "1.0", "owner": owner, "generated_at": generated_at,
                       "shards": [], "activities": summaries}),
        )),
    );
    // Year shards, highlights first within a year (stable).
    let mut years: BTreeMap<i32, Vec<Value>> = BTreeMap::new();
    for (rec, s) in &listed {
        let mut s = s.clone();
        if let Some(o) = s.as_object_mut() {
            for k in ["best_efforts", "best_climb_m", "source"] {
                o.remove(k);
            }
        }
        years.entry(year_of(rec.started_at)).or_default().push(s);
    }
    let mut shard_refs = Vec::new();
    for (year, mut acts) in years.into_iter().rev() {
        acts.sort_by_key(|a| {
            !a.pointer("/custom/highlight")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        });
        let name = format!("index-{year}.json");
        shard_refs.push(json!({"url": name, "year": year, "count": acts.len()}));
        files.insert(
            PathBuf::from(handle).join("_merged").join(&name),
            Some(pretty(
                &json!({"bas_version": "1.0", "owner": owner, "generated_at": generated_at,
                           "shards": [], "activities": acts}),
            )),
        );
    }
    files.insert(
        PathBuf::from(handle).join("_merged").join("index.json"),
        Some(pretty(
            &json!({"bas_version": "1.0", "owner": owner, "generated_at": generated_at,
                       "shards": shard_refs, "activities": []}),
        )),
    );
    Ok(UserTree {
        handle: handle.to_owned(),
        display_name: display_name.to_owned(),
        listed: summaries,
        files,
        state,
    })
}

/// A listed summary as anonymous visitors see it. Blurred summaries need
/// the track to recompute their bounds; the others do not read it.
async fn listed_summary(
    store: &Arc<dyn ActivityStore>,
    rec: &ActivityRecord,
    images: &[String],
) -> CoreResult<Value> {
    let tracks = if rec.effective_privacy() == crate::model::Privacy::BlurStart {
        store
            .get_tracks(&rec.handle, &rec.id)
            .await?
            .unwrap_or_default()
    } else {
        Default::default()
    };
    let coords = tracks
        .geojson
        .as_ref()
        .and_then(|g| g.pointer("/geometry/coordinates"));
    Ok(view::public_doc(rec, &rec.summary, images, coords))
}

/// `feed.json`, `feed-2.json`, …: every user's listed activities, newest
/// first, tagged with the handle, urls relative to the root.
fn combined_feed(trees: &[UserTree], generated_at: &str) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<Value> = Vec::new();
    for t in trees {
        for s in &t.listed {
            let mut s = s.clone();
            if let Some(o) = s.as_object_mut() {
                o.remove("mmp");
                o.insert("handle".into(), json!(t.handle));
                o.insert("display_name".into(), json!(t.display_name));
                for k in ["detail_url", "track_url"] {
                    if let Some(u) = o.get(k).and_then(Value::as_str) {
                        let u = format!("{}/{u}", t.handle);
                        o.insert(k.into(), json!(u));
                    }
                }
            }
            all.push(s);
        }
    }
    all.sort_by(|a, b| {
        let k = |v: &Value| {
            v.get("started_at")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        k(b).cmp(&k(a))
    });
    let total = all.len();
    let pages = total.div_ceil(FEED_PAGE).max(1);
    (0..pages)
        .map(|i| {
            let chunk: Vec<Value> = all
                .iter()
                .skip(i * FEED_PAGE)
                .take(FEED_PAGE)
                .cloned()
                .collect();
            let name = if i == 0 {
                "feed.json".to_owned()
            } else {
                format!("feed-{}.json", i + 1)
            };
            let doc = json!({"bas_version": "1.0", "generated_at": generated_at, "page": i + 1,
                             "total_pages": pages, "total_activities": total, "activities": chunk});
            (name, pretty(&doc))
        })
        .collect()
}

fn io_err(p: &Path, e: std::io::Error) -> CoreError {
    CoreError::Internal(format!("{}: {e}", p.display()))
}

struct Writer {
    stats: RenderStats,
    root: PathBuf,
}

impl Writer {
    /// Write `bytes` at `rel` unless identical; temp file + rename.
    fn put(&mut self, rel: &Path, bytes: &[u8]) -> CoreResult<()> {
        let path = self.root.join(rel);
        if let Ok(old) = std::fs::read(&path) {
            if old == bytes {
                self.stats.unchanged += 1;
                return Ok(());
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        self.stats.written += 1;
        Ok(())
    }

    fn remove(&mut self, p: &Path) -> CoreResult<()> {
        std::fs::remove_file(p).map_err(|e| io_err(p, e))?;
        self.stats.removed += 1;
        Ok(())
    }

    /// Write a user's files and remove the stale ones under their directory.
    fn sync_user(&mut self, t: &UserTree) -> CoreResult<()> {
        for (rel, bytes) in &t.files {
            match bytes {
                Some(b) => self.put(rel, b)?,
                None if self.root.join(rel).exists() => self.stats.unchanged += 1,
                None => {}
            }
        }
        let dir = self.root.join(&t.handle);
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in rd.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(rel) = p.strip_prefix(&self.root) {
                    if !t.files.contains_key(rel) {
                        self.remove(&p)?;
                    }
                }
            }
        }
        Ok(())
    }
}
