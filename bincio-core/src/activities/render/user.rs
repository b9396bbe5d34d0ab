//! One user's part of the tree: `{h}/index.json` (flat feed),
//! `{h}/_merged/index.json` + `index-{YYYY}.json` (year shards) and
//! `{h}/activities/{id}.json|.geojson|.timeseries.json`, `images/{id}/…`.
//!
//! Activities whose inputs did not change since the last render keep their
//! files untouched (their tracks are not even read). The others are
//! rendered in chunks, several at once, each chunk reading its tracks and
//! writing its files before the next is taken: memory stays bounded by the
//! chunk size whatever the number of activities.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::shards::{user_indexes, year_of};
use super::state::{ActivityState, UserState, FORMAT};
use super::write::{io_err, Writer, STAGING_PREFIX};
use super::RenderStats;
use crate::activities::{athlete, athlete_config, owner_records, privacy, view};
use crate::error::{CoreError, CoreResult};
use crate::model::{ActivityRecord, ActivityTracks, AthleteConfig, Privacy, RawTracks};
use crate::store::ActivityStore;
use crate::validate;

/// Activities rendered per chunk (bounds memory: a chunk's tracks are in
/// memory at once).
const CHUNK: usize = 32;

/// What rendering one user produced.
pub(super) struct UserOutcome {
    pub state: UserState,
    /// Listed summaries as anonymous visitors see them, newest first.
    pub listed: Vec<Value>,
    pub stats: RenderStats,
}

/// Who is rendered and with which inputs.
pub(super) struct UserJob<'a> {
    pub handle: &'a str,
    pub display_name: &'a str,
    pub config: &'a AthleteConfig,
    /// Unix time of the render (`athlete.json`'s 365 / 90 day windows).
    pub now: i64,
    pub fingerprint: String,
    pub generated_at: &'a str,
    pub previous: Option<&'a UserState>,
    pub out: &'a Path,
    pub parallel: usize,
}

/// Hash of everything an activity's files are made from.
fn activity_key(rec: &ActivityRecord, images: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(FORMAT.to_le_bytes());
    h.update(rec.detail.to_string());
    h.update(rec.summary.to_string());
    h.update(serde_json::to_string(&rec.edits).unwrap_or_default());
    h.update(rec.effective_privacy().as_str());
    h.update(rec.duplicate_of.as_deref().unwrap_or(""));
    h.update(rec.source_hash.as_bytes());
    for i in images {
        h.update(i);
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// An activity to render, with what it is made from.
struct Item {
    rec: ActivityRecord,
    images: Vec<String>,
    key: String,
}

/// An activity's tracks as the render needs them.
enum Tracks {
    /// Public or unlisted with no hidden series: written as stored.
    Raw(RawTracks),
    /// Cut for privacy or hidden series first.
    Parsed(ActivityTracks),
}

/// True when the public files of `rec` carry its tracks unchanged.
fn passes_through(rec: &ActivityRecord) -> bool {
    matches!(rec.effective_privacy(), Privacy::Public | Privacy::Unlisted)
        && rec.edits.hide_stats.as_ref().is_none_or(|h| h.is_empty())
}

/// Files of one activity: (relative path, bytes), and its listed summary.
fn activity_files(
    item: &Item,
    tracks: Tracks,
    photos: Vec<(String, Vec<u8>)>,
) -> (Vec<(String, Vec<u8>)>, Option<Value>) {
    let rec = &item.rec;
    let p = rec.effective_privacy();
    let mut files = Vec::with_capacity(3 + photos.len());
    let (ts_name, geo_name) = (
        format!("activities/{}.timeseries.json", rec.id),
        format!("activities/{}.geojson", rec.id),
    );
    let parsed = match tracks {
        Tracks::Raw(raw) => {
            if let Some(g) = raw.geojson {
                files.push((geo_name, g.into_bytes()));
            }
            if let Some(t) = raw.timeseries {
                files.push((ts_name, t.into_bytes()));
            }
            ActivityTracks::default()
        }
        Tracks::Parsed(tracks) => {
            if let Some(g) = tracks
                .geojson
                .as_ref()
                .and_then(|g| privacy::cut_geojson(g, p))
            {
                files.push((geo_name, bytes(&g)));
            }
            if let Some(mut ts) = tracks
                .timeseries
                .as_ref()
                .and_then(|t| privacy::cut_timeseries(t, p))
            {
                if let Some(h) = &rec.edits.hide_stats {
                    view::hide_series(&mut ts, h);
                }
                files.push((ts_name, bytes(&ts)));
            }
            tracks
        }
    };
    // Only blurred documents read the track (to recompute their bounds).
    let coords = parsed
        .geojson
        .as_ref()
        .and_then(|g| g.pointer("/geometry/coordinates"));
    let detail = view::public_doc(rec, &rec.detail, &item.images, coords);
    files.push((format!("activities/{}.json", rec.id), bytes(&detail)));
    for (name, b) in photos {
        files.push((format!("activities/images/{}/{name}", rec.id), b));
    }
    let listed = p
        .is_listed()
        .then(|| view::public_doc(rec, &rec.summary, &item.images, coords));
    (files, listed)
}

/// Render one chunk: read its tracks and photos, write its files.
async fn render_chunk(
    store: Arc<dyn ActivityStore>,
    handle: String,
    items: Vec<Item>,
    base: PathBuf,
    in_place: bool,
) -> CoreResult<(Vec<(String, ActivityState, Option<Value>)>, RenderStats)> {
    let mut loaded = Vec::with_capacity(items.len());
    for item in items {
        let tracks = if passes_through(&item.rec) {
            Tracks::Raw(
                store
                    .get_tracks_raw(&handle, &item.rec.id)
                    .await?
                    .unwrap_or_default(),
            )
        } else {
            Tracks::Parsed(
                store
                    .get_tracks(&handle, &item.rec.id)
                    .await?
                    .unwrap_or_default(),
            )
        };
        let mut photos = Vec::new();
        for name in &item.images {
            if let Some(b) = store.get_image(&handle, &item.rec.id, name).await? {
                photos.push((name.clone(), b.bytes));
            }
        }
        loaded.push((item, tracks, photos));
    }
    tokio::task::spawn_blocking(move || {
        let mut w = Writer::new(base, in_place);
        let mut done = Vec::with_capacity(loaded.len());
        for (item, tracks, photos) in loaded {
            let (files, listed) = activity_files(&item, tracks, photos);
            let mut made = Vec::with_capacity(files.len());
            for (rel, b) in files {
                w.put(&rel, &b)?;
                made.push(rel);
            }
            done.push((
                item.rec.id.clone(),
                ActivityState {
                    key: item.key,
                    files: made,
                },
                listed,
            ));
        }
        Ok((done, w.stats))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("render task: {e}")))?
}

/// A listed summary of an unchanged activity. Blurred summaries need the
/// track to recompute their bounds; the others do not read it.
async fn unchanged_summary(store: &Arc<dyn ActivityStore>, item: &Item) -> CoreResult<Value> {
    let rec = &item.rec;
    let tracks = if rec.effective_privacy() == Privacy::BlurStart {
        store
            .get_tracks(&rec.handle, &rec.id)
            .await?
            .unwrap_or_default()
    } else {
        ActivityTracks::default()
    };
    let coords = tracks
        .geojson
        .as_ref()
        .and_then(|g| g.pointer("/geometry/coordinates"));
    Ok(view::public_doc(rec, &rec.summary, &item.images, coords))
}

/// Render one user into `{out}/{handle}`.
pub(super) async fn render_user(
    store: &Arc<dyn ActivityStore>,
    job: UserJob<'_>,
) -> CoreResult<UserOutcome> {
    let dir = job.out.join(job.handle);
    let in_place = dir.is_dir();
    let base = if in_place {
        dir.clone()
    } else {
        job.out.join(format!(
            "{STAGING_PREFIX}{}-{}",
            job.handle,
            std::process::id()
        ))
    };
    if !in_place && base.exists() {
        std::fs::remove_dir_all(&base).map_err(|e| io_err(&base, e))?;
    }
    let previous = job.previous.filter(|_| in_place);
    let records = owner_records(store, job.handle, false, usize::MAX).await?;
    let mut images: HashMap<String, Vec<String>> = HashMap::new();
    for (id, name) in store.list_user_images(job.handle).await? {
        images.entry(id).or_default().push(name);
    }

    let mut state = UserState {
        fingerprint: job.fingerprint.clone(),
        ..UserState::default()
    };
    let mut listed_by_id: HashMap<String, Value> = HashMap::new();
    // (id, start, counts in athlete.json: not a duplicate of another)
    let mut order: Vec<(String, i64, bool)> = Vec::new();
    let mut todo: Vec<Item> = Vec::new();
    let mut stats = RenderStats::default();
    for rec in records {
        let p = rec.effective_privacy();
        if !p.is_shared() || !validate::is_valid_activity_id(&rec.id) {
            continue;
        }
        let imgs = images.remove(&rec.id).unwrap_or_default();
        let key = activity_key(&rec, &imgs);
        order.push((rec.id.clone(), rec.started_at, rec.duplicate_of.is_none()));
        let item = Item {
            rec,
            images: imgs,
            key,
        };
        let kept = previous
            .and_then(|s| s.activities.get(&item.rec.id))
            .filter(|a| a.key == item.key && a.files.iter().all(|f| base.join(f).exists()));
        match kept {
            Some(a) => {
                stats.unchanged += a.files.len() as u64;
                state.activities.insert(item.rec.id.clone(), a.clone());
                if p.is_listed() {
                    let s = unchanged_summary(store, &item).await?;
                    listed_by_id.insert(item.rec.id.clone(), s);
                }
            }
            None => todo.push(item),
        }
    }

    let mut chunks = Vec::new();
    let mut it = todo.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(CHUNK).collect::<Vec<_>>());
    }
    let results: Vec<_> = futures::stream::iter(chunks.into_iter().map(|items| {
        render_chunk(
            store.clone(),
            job.handle.to_owned(),
            items,
            base.clone(),
            in_place,
        )
    }))
    .buffer_unordered(job.parallel.max(1))
    .try_collect()
    .await?;
    for (done, s) in results {
        stats.add(s);
        for (id, a, listed) in done {
            state.activities.insert(id.clone(), a);
            if let Some(l) = listed {
                listed_by_id.insert(id, l);
            }
        }
    }

    let listed: Vec<(String, i64, bool, Value)> = order
        .into_iter()
        .filter_map(|(id, t, own)| listed_by_id.remove(&id).map(|s| (id, t, own, s)))
        .collect();
    let owner = athlete::owner_json(job.handle, job.display_name, job.config);
    let by_year: Vec<(i32, Value)> = listed
        .iter()
        .map(|(_, t, _, s)| (year_of(*t), s.clone()))
        .collect();
    let mut index: Vec<(String, Vec<u8>)> = user_indexes(&owner, job.generated_at, &by_year)
        .into_iter()
        .map(|(n, v)| (n, bytes(&v)))
        .collect();
    // athlete.json from the listed public summaries only (hidden stats are
    // already cut from them); duplicates count once, through their better copy.
    let rows: Vec<(String, i64, Value)> = listed
        .iter()
        .filter(|(_, _, own, _)| *own)
        .map(|(id, t, _, s)| (id.clone(), *t, s.clone()))
        .collect();
    let athlete_doc = bytes(&athlete_config::document(
        &rows,
        job.config,
        job.now,
        job.generated_at,
    ));
    index.push(("_merged/athlete.json".to_owned(), athlete_doc.clone()));
    index.push(("athlete.json".to_owned(), athlete_doc));
    let listed: Vec<Value> = listed.into_iter().map(|(_, _, _, s)| s).collect();
    let (state, s) = tokio::task::spawn_blocking(move || -> CoreResult<_> {
        let mut w = Writer::new(base.clone(), in_place);
        for (rel, b) in &index {
            w.put(rel, b)?;
            state.index_files.push(rel.clone());
        }
        if in_place {
            let keep: HashSet<&str> = state.files().collect();
            w.remove_stale(&keep)?;
        } else {
            std::fs::rename(&base, &dir).map_err(|e| io_err(&dir, e))?;
        }
        Ok((state, w.stats))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("render task: {e}")))??;
    stats.add(s);
    stats.activities = state.activities.len() as u64;
    Ok(UserOutcome {
        state,
        listed,
        stats,
    })
}
