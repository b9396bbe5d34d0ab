//! Static BAS export: the tree a static site reads, written from the store
//! for any web server.
//!
//! * Only what an anonymous visitor may see is written: listed activities in
//!   the indexes, unlisted ones as files only (reachable by link), private
//!   ones not at all; privacy cuts and hidden stats applied as for the API.
//! * Nothing secret: no database, no originals, no tokens — the tree is
//!   built from documents, never by copying the data directory. The render
//!   bookkeeping lives beside the database ([`RenderTarget::state_file`]).
//! * Incremental at two levels: a user whose store change counter
//!   ([`ActivityStore::activity_generations`]) did not move is skipped
//!   without reading a single activity; within a changed user, activities
//!   whose inputs did not change keep their files. Files whose bytes did
//!   not change are not rewritten; files of deleted activities go.
//! * Readers never see a half-written file (see `write`).
//!
//! Layout (BincioActivity's, `bincio.md` §5):
//! `index.json` (root manifest), `feed.json`, `feed-N.json` (50 per page),
//! `{h}/index.json` (flat feed), `{h}/_merged/index.json` + `index-{YYYY}.json`
//! (year shards), `{h}/athlete.json` + `{h}/_merged/athlete.json` (same
//! bytes, from the listed public summaries and the athlete config),
//! `{h}/activities/{id}.json|.geojson|.timeseries.json`,
//! `{h}/activities/images/{id}/{name}`.

pub(crate) mod feed;
pub(crate) mod shards;
mod state;
mod user;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::accounts::settings::InstanceSettings;
use crate::error::{CoreError, CoreResult};
use crate::model::{AthleteConfig, User};
use crate::store::{ActivityStore, UserStore};
use crate::validate;
pub use feed::page_number;
use feed::MemberFeed;
use state::{State, UserState, FORMAT};
use write::{io_err, Writer};

/// Combined feed page size.
pub const FEED_PAGE: usize = 50;

/// Bookkeeping file the first versions kept inside the tree (it named
/// unlisted activities); removed when found.
const LEGACY_STATE_FILE: &str = ".bincio-render.json";

/// Where a render writes, and where it keeps its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderTarget {
    /// The exported tree.
    pub out: PathBuf,
    /// Render bookkeeping: private (it names unlisted activities), so never
    /// inside `out`.
    pub state_file: PathBuf,
}

impl RenderTarget {
    /// Render into `out`, bookkeeping under `{data_dir}/render-state/`
    /// (one file per output directory).
    pub fn new(out: impl Into<PathBuf>, data_dir: &Path) -> Self {
        use sha2::{Digest, Sha256};
        let out = out.into();
        let tag = hex::encode(Sha256::digest(out.to_string_lossy().as_bytes()));
        Self {
            state_file: data_dir
                .join("render-state")
                .join(format!("{}.json", &tag[..16])),
            out,
        }
    }
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

impl RenderStats {
    fn add(&mut self, o: RenderStats) {
        self.activities += o.activities;
        self.written += o.written;
        self.unchanged += o.unchanged;
        self.removed += o.removed;
    }
}

/// Hash of a user's inputs outside their activities: a moved change
/// counter, a re-created account, a new display name or athlete config, or
/// a new day (`athlete.json`'s 365 / 90 day windows move with the date)
/// re-renders them.
fn fingerprint(u: &User, generation: u64, config: &AthleteConfig, now: i64) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(FORMAT.to_le_bytes());
    h.update(generation.to_le_bytes());
    h.update(u.created_at.to_le_bytes());
    h.update(u.display_name.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(config).unwrap_or_default());
    h.update(now.div_euclid(86_400).to_le_bytes());
    hex::encode(h.finalize())
}

/// True when every file a user's last render made is still there.
fn files_present(out: &Path, handle: &str, prev: &UserState) -> bool {
    let dir = out.join(handle);
    prev.files().all(|f| dir.join(f).exists())
}

/// A skipped user's listed summaries, read back from the flat feed the last
/// render wrote (needed only when the combined feed is rebuilt).
fn reuse_listed(out: &Path, handle: &str) -> Option<Vec<Value>> {
    let bytes = std::fs::read(out.join(handle).join("index.json")).ok()?;
    match serde_json::from_slice::<Value>(&bytes)
        .ok()?
        .get_mut("activities")?
        .take()
    {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

/// One member as this render sees them.
struct Member<'a> {
    user: &'a User,
    config: AthleteConfig,
    fingerprint: String,
    /// Unchanged since the last render, every file still there.
    fresh: Option<UserState>,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> CoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CoreError::Internal(format!("render task: {e}")))
}

/// Render the whole instance (or one user) into `target.out`.
///
/// A full render rebuilds the combined feed only when some member changed
/// (or the feed's files are missing): in the steady state it reads no
/// activity and parses no index.
pub async fn render(
    activities: &Arc<dyn ActivityStore>,
    users: &Arc<dyn UserStore>,
    target: &RenderTarget,
    only: Option<&str>,
    now: i64,
) -> CoreResult<RenderStats> {
    if let Some(h) = only {
        validate::handle(h)?;
    }
    // Counters before documents (see `activity_generations`): a write that
    // lands meanwhile is seen now or moves the counter for the next render.
    let generations: BTreeMap<String, u64> = activities
        .activity_generations()
        .await?
        .into_iter()
        .collect();
    let settings = InstanceSettings::from_map(&users.list_settings().await?)?;
    let all_users = users.list_users().await?;
    let generated_at = Utc
        .timestamp_opt(now, 0)
        .single()
        .unwrap_or_default()
        .to_rfc3339();
    let out = target.out.clone();
    std::fs::create_dir_all(&out).map_err(|e| io_err(&out, e))?;
    let old = {
        let (out, sf) = (out.clone(), target.state_file.clone());
        blocking(move || {
            write::remove_leftover_staging(&out);
            let _ = std::fs::remove_file(out.join(LEGACY_STATE_FILE));
            state::load(&sf)
        })
        .await?
    };
    let old = Arc::new(old);
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());

    // Who changed: fingerprints, then (off the executor) file checks.
    let mut members = Vec::new();
    for u in all_users
        .iter()
        .filter(|u| only.is_none_or(|h| h == u.handle))
    {
        let config = users.get_athlete(&u.handle).await?;
        let generation = generations.get(&u.handle).copied().unwrap_or(0);
        members.push(Member {
            user: u,
            fingerprint: fingerprint(u, generation, &config, now),
            config,
            fresh: None,
        });
    }
    let candidates: Vec<(String, String)> = members
        .iter()
        .map(|m| (m.user.handle.clone(), m.fingerprint.clone()))
        .collect();
    let fresh = {
        let (out, old) = (out.clone(), old.clone());
        blocking(move || {
            candidates
                .into_iter()
                .map(|(h, fp)| {
                    old.users
                        .get(&h)
                        .filter(|p| p.fingerprint == fp && files_present(&out, &h, p))
                        .cloned()
                })
                .collect::<Vec<_>>()
        })
        .await?
    };
    for (m, f) in members.iter_mut().zip(fresh) {
        m.fresh = f;
    }
    let feed_fingerprint = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(FORMAT.to_le_bytes());
        for m in &members {
            h.update(m.user.handle.as_bytes());
            h.update([0]);
            h.update(m.fingerprint.as_bytes());
        }
        hex::encode(h.finalize())
    };
    let full = only.is_none();
    let rebuild_feed = full
        && (members.iter().any(|m| m.fresh.is_none())
            || old.feed != feed_fingerprint
            || !out.join("feed.json").exists());

    let mut stats = RenderStats::default();
    let mut new_state = State {
        format: FORMAT,
        feed: if full {
            feed_fingerprint
        } else {
            old.feed.clone()
        },
        users: if full {
            BTreeMap::new()
        } else {
            old.users.clone()
        },
    };
    // Members one after another would leave a core idle while one user's
    // records are read or indexes built: several at once, results in order.
    let (out_ref, generated_at_ref, old_ref) = (&out, &generated_at, &old);
    let jobs: Vec<_> = members
        .into_iter()
        .map(|m| async move {
            let u = m.user;
            let feed = |listed| MemberFeed {
                handle: u.handle.clone(),
                display_name: u.display_name.clone(),
                listed,
            };
            if let Some(p) = m.fresh {
                let listed = if rebuild_feed {
                    let (o, h) = (out_ref.clone(), u.handle.clone());
                    blocking(move || reuse_listed(&o, &h)).await?
                } else {
                    Some(Vec::new())
                };
                if let Some(listed) = listed {
                    let stats = RenderStats {
                        activities: p.activities.len() as u64,
                        unchanged: p.files().count() as u64,
                        ..RenderStats::default()
                    };
                    return Ok((u.handle.clone(), p, feed(listed), stats));
                }
            }
            let o = user::render_user(
                activities,
                user::UserJob {
                    handle: &u.handle,
                    display_name: &u.display_name,
                    config: &m.config,
                    now,
                    fingerprint: m.fingerprint,
                    generated_at: generated_at_ref,
                    previous: old_ref.users.get(&u.handle),
                    out: out_ref,
                    parallel,
                },
            )
            .await?;
            Ok::<_, CoreError>((u.handle.clone(), o.state, feed(o.listed), o.stats))
        })
        .collect();
    let outcomes: Vec<(String, UserState, MemberFeed, RenderStats)> = futures::stream::iter(jobs)
        .buffered(parallel * 2)
        .try_collect()
        .await?;
    let mut feeds = Vec::with_capacity(outcomes.len());
    for (handle, state, feed, s) in outcomes {
        stats.add(s);
        new_state.users.insert(handle, state);
        feeds.push(feed);
    }

    let manifest = shards::root_manifest(&settings, &all_users, &generated_at);
    let live: BTreeSet<String> = all_users.iter().map(|u| u.handle.clone()).collect();
    let state_file = target.state_file.clone();
    let root_stats = blocking(move || -> CoreResult<RenderStats> {
        let mut w = Writer::new(out.clone(), true);
        w.put(
            "index.json",
            &serde_json::to_vec(&manifest).unwrap_or_default(),
        )?;
        if full {
            let mut keep = BTreeSet::new();
            if rebuild_feed {
                for (name, bytes) in feed::pages(feeds, &generated_at) {
                    w.put(&name, &bytes)?;
                    keep.insert(name);
                }
            }
            for entry in std::fs::read_dir(&out)
                .map_err(|e| io_err(&out, e))?
                .flatten()
            {
                let n = entry.file_name().to_string_lossy().into_owned();
                let p = entry.path();
                if rebuild_feed && feed::is_page_name(&n) && !keep.contains(&n) {
                    std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
                    w.stats.removed += 1;
                } else if p.is_dir() && validate::is_valid_handle(&n) && !live.contains(&n) {
                    // A member who is gone loses their directory.
                    std::fs::remove_dir_all(&p).map_err(|e| io_err(&p, e))?;
                    w.stats.removed += 1;
                }
            }
        }
        state::save(&state_file, &new_state)?;
        Ok(w.stats)
    })
    .await??;
    stats.add(root_stats);
    Ok(stats)
}
