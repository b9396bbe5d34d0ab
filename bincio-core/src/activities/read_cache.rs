//! A member's activities as a viewer sees them, computed once per change:
//! the rows behind the stats, the filter menus, the athlete page and the
//! leaderboard, kept in memory and keyed by the store's activity
//! generation counter (`ActivityStore::activity_generations`).
//!
//! Why: those pages aggregate every summary of a member (1 000 or more);
//! reading and cutting them each time costs tens of milliseconds, while
//! they change only when an activity does.
//!
//! Invariants:
//! * an entry is used only while the member's generation (or, for the
//!   whole instance, the sum of every member's) is the one it was built
//!   under. The counter is read *before* the rows, and a counter never goes
//!   back, so a cached entry is never older than the counter says — any
//!   change made anywhere (another process on the same store included) is
//!   seen by the next request;
//! * the owner's rows and the public rows are separate entries (privacy
//!   and hidden stats are cut before caching, exactly as without it);
//! * access checks and anything not in the activity documents (athlete
//!   config, display names, instance settings) are read fresh by the
//!   callers, never cached here;
//! * bounded: at most [`MAX_ENTRIES`] entries; when full, the oldest built
//!   is dropped.

use std::sync::Arc;

use serde_json::Value;

use super::{effective_sport, light_records};
use crate::error::CoreResult;
use crate::generation_cache::GenerationCache;
use crate::store::{ActivityStore, SummaryQuery};

/// Most cached entries (two per member seen: owner's and public).
pub const MAX_ENTRIES: usize = 512;

/// One activity as a viewer sees it.
#[derive(Debug, Clone)]
pub(crate) struct SeenRow {
    pub handle: String,
    pub id: String,
    pub started_at: i64,
    /// Flagged `duplicate_of` (left out of totals, curves and boards).
    pub duplicate: bool,
    /// The effective sport.
    pub sport: &'static str,
    /// The lean summary, overlaid (owner) or cut (anyone else).
    pub doc: Value,
}

/// The rows of one member (or of everyone), newest first.
#[derive(Debug)]
pub(crate) struct SeenRows {
    pub rows: Vec<SeenRow>,
    /// More activities existed than the bound.
    pub truncated: bool,
}

type Key = (Option<String>, bool);

/// `handle`'s activity generation; with `None`, the sum of every member's
/// (it moves whenever any of them does: each only grows).
pub(crate) async fn generation_of(
    store: &Arc<dyn ActivityStore>,
    handle: Option<&str>,
) -> CoreResult<u64> {
    let gens = store.activity_generations().await?;
    Ok(match handle {
        Some(h) => gens.iter().find(|(g, _)| g == h).map_or(0, |(_, n)| *n),
        None => gens.iter().map(|(_, n)| *n).fold(0u64, u64::wrapping_add),
    })
}

/// The cache (shared by clones of the service).
#[derive(Debug)]
pub(crate) struct ReadCache(GenerationCache<Key, SeenRows>);

impl Default for ReadCache {
    fn default() -> Self {
        Self(GenerationCache::new(MAX_ENTRIES))
    }
}

impl ReadCache {
    /// `handle`'s rows (`None`: every member's listed ones) as the owner
    /// (`owner`) or anyone else sees them; at most `max`.
    pub(crate) async fn rows(
        &self,
        store: &Arc<dyn ActivityStore>,
        handle: Option<&str>,
        owner: bool,
        max: usize,
    ) -> CoreResult<Arc<SeenRows>> {
        let generation = generation_of(store, handle).await?;
        let key: Key = (handle.map(str::to_owned), owner);
        if let Some(rows) = self.0.get(&key, generation) {
            return Ok(rows);
        }
        let (records, truncated) = light_records(
            store,
            SummaryQuery {
                handle: handle.map(str::to_owned),
                listed_only: !owner,
                lean: true,
                ..SummaryQuery::default()
            },
            max,
        )
        .await?;
        let rows = records
            .iter()
            .map(|r| SeenRow {
                handle: r.handle.clone(),
                id: r.id.clone(),
                started_at: r.started_at,
                duplicate: r.duplicate_of.is_some(),
                sport: effective_sport(r),
                doc: super::stats::seen(r, owner),
            })
            .collect();
        let built = Arc::new(SeenRows { rows, truncated });
        self.0.put(key, generation, built.clone());
        Ok(built)
    }
}
