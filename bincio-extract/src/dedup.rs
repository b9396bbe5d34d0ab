//! Duplicate detection (contract §4.8).
//!
//! * Exact: the SHA-256 of the file bytes. A file whose hash is known is
//!   skipped without parsing.
//! * Near: another activity starting within 300 s whose distance differs by
//!   less than 5 % (both distances known, the larger ≥ 1 m). The better
//!   source wins (karoo 5, fit_file / garmin_connect 4, strava_export /
//!   wahoo 3, gpx_file / komoot 2, tcx_file 1, manual / unknown 0); a tie
//!   keeps the existing one.
//!
//! Unlike the reference, losers are remembered: their record stays in the
//! index with `duplicate_of` set, so their hash is known and the file is never
//! parsed again (the reference re-parsed every loser on every run).
//! Start times are indexed in a sorted map, so a near-duplicate look-up is
//! O(log n) instead of a linear scan.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Start-time window of a near-duplicate (s).
pub const NEAR_WINDOW_S: i64 = 300;
/// Relative distance tolerance of a near-duplicate.
pub const NEAR_DISTANCE_FRACTION: f64 = 0.05;

/// Rank of a source label (higher is better).
pub fn source_quality(source: Option<&str>) -> i32 {
    match source {
        Some("karoo") => 5,
        Some("fit_file") | Some("garmin_connect") => 4,
        Some("strava_export") | Some("wahoo") => 3,
        Some("gpx_file") | Some("komoot") => 2,
        Some("tcx_file") => 1,
        _ => 0,
    }
}

/// One known activity file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupRecord {
    pub id: String,
    pub source_hash: String,
    /// Start, Unix seconds (UTC).
    pub started_at: i64,
    pub distance_m: Option<f64>,
    pub source: Option<String>,
    /// Set when this record lost to another activity.
    pub duplicate_of: Option<String>,
}

/// Outcome of [`DedupIndex::near_duplicate`] for a new activity.
#[derive(Debug, Clone, PartialEq)]
pub enum NearDup {
    /// No near-duplicate.
    None,
    /// The existing activity (this id) is at least as good: the new one loses.
    ExistingWins(String),
    /// The new activity is better: the existing one (this id) loses.
    NewWins(String),
}

/// In-memory dedup index; its records are what the BAS tree writer keeps in
/// the extraction cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DedupIndex {
    records: Vec<DedupRecord>,
    by_hash: HashMap<String, usize>,
    by_start: BTreeMap<i64, Vec<usize>>,
}

impl DedupIndex {
    /// Build from records (e.g. loaded from a cache file).
    pub fn from_records(records: Vec<DedupRecord>) -> Self {
        let mut idx = DedupIndex::default();
        for r in records {
            idx.insert(r);
        }
        idx
    }

    /// All records.
    pub fn records(&self) -> &[DedupRecord] {
        &self.records
    }

    /// Keep only records for which `keep` is true (e.g. whose files still
    /// exist), rebuilding the look-up maps.
    pub fn retain(&mut self, keep: impl Fn(&DedupRecord) -> bool) {
        let records = std::mem::take(&mut self.records);
        *self = DedupIndex::from_records(records.into_iter().filter(|r| keep(r)).collect());
    }

    /// Add or replace (by hash) a record.
    pub fn insert(&mut self, r: DedupRecord) {
        if let Some(&i) = self.by_hash.get(&r.source_hash) {
            self.unindex_start(i);
            self.records[i] = r;
            self.by_start
                .entry(self.records[i].started_at)
                .or_default()
                .push(i);
            return;
        }
        let i = self.records.len();
        self.by_hash.insert(r.source_hash.clone(), i);
        self.by_start.entry(r.started_at).or_default().push(i);
        self.records.push(r);
    }

    fn unindex_start(&mut self, i: usize) {
        let t = self.records[i].started_at;
        if let Some(v) = self.by_start.get_mut(&t) {
            v.retain(|&x| x != i);
            if v.is_empty() {
                self.by_start.remove(&t);
            }
        }
    }

    /// Exact duplicate look-up.
    pub fn by_hash(&self, hash: &str) -> Option<&DedupRecord> {
        self.by_hash.get(hash).map(|&i| &self.records[i])
    }

    /// True when the hash is known.
    pub fn contains_hash(&self, hash: &str) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Mark the activity `id` as a duplicate of `winner`.
    pub fn mark_duplicate(&mut self, id: &str, winner: &str) {
        for r in &mut self.records {
            if r.id == id && r.duplicate_of.is_none() {
                r.duplicate_of = Some(winner.to_string());
            }
        }
    }

    /// The first canonical record (not itself a duplicate) near the given
    /// start and distance, if any.
    pub fn find_near(&self, started_at: i64, distance_m: Option<f64>) -> Option<&DedupRecord> {
        let d1 = distance_m?;
        let range =
            started_at.saturating_sub(NEAR_WINDOW_S)..=started_at.saturating_add(NEAR_WINDOW_S);
        self.by_start
            .range(range)
            .flat_map(|(_, v)| v.iter())
            .map(|&i| &self.records[i])
            .filter(|r| r.duplicate_of.is_none())
            .find(|r| {
                let Some(d2) = r.distance_m else { return false };
                let max = d1.max(d2);
                max >= 1.0 && (d1 - d2).abs() / max < NEAR_DISTANCE_FRACTION
            })
    }

    /// Near-duplicate decision for a new activity.
    pub fn near_duplicate(
        &self,
        started_at: i64,
        distance_m: Option<f64>,
        source: Option<&str>,
    ) -> NearDup {
        match self.find_near(started_at, distance_m) {
            None => NearDup::None,
            Some(r) if source_quality(source) > source_quality(r.source.as_deref()) => {
                NearDup::NewWins(r.id.clone())
            }
            Some(r) => NearDup::ExistingWins(r.id.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, hash: &str, start: i64, d: Option<f64>, src: &str) -> DedupRecord {
        DedupRecord {
            id: id.into(),
            source_hash: hash.into(),
            started_at: start,
            distance_m: d,
            source: Some(src.into()),
            duplicate_of: None,
        }
    }

    #[test]
    fn exact_and_near() {
        let idx = DedupIndex::from_records(vec![rec("a", "h1", 1000, Some(10_000.0), "gpx_file")]);
        assert!(idx.contains_hash("h1"));
        assert!(!idx.contains_hash("h2"));
        assert!(idx.find_near(1299, Some(9_510.0)).is_some());
        assert!(idx.find_near(1301, Some(10_000.0)).is_none());
        assert!(idx.find_near(1000, Some(9_400.0)).is_none());
        assert!(idx.find_near(1000, None).is_none());
        assert_eq!(
            idx.near_duplicate(1000, Some(10_000.0), Some("fit_file")),
            NearDup::NewWins("a".into())
        );
        assert_eq!(
            idx.near_duplicate(1000, Some(10_000.0), Some("gpx_file")),
            NearDup::ExistingWins("a".into())
        );
    }

    #[test]
    fn zero_distances_and_duplicates_skipped() {
        let mut idx = DedupIndex::from_records(vec![rec("a", "h1", 0, Some(0.0), "gpx_file")]);
        assert!(idx.find_near(0, Some(0.0)).is_none());
        idx.insert(rec("b", "h2", 0, Some(100.0), "gpx_file"));
        idx.mark_duplicate("b", "c");
        assert!(idx.find_near(0, Some(100.0)).is_none());
    }

    #[test]
    fn quality_order() {
        let q: Vec<i32> = [
            "karoo",
            "fit_file",
            "strava_export",
            "gpx_file",
            "tcx_file",
            "manual",
        ]
        .iter()
        .map(|s| source_quality(Some(s)))
        .collect();
        assert!(q.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(source_quality(None), 0);
    }
}
