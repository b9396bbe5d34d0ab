//! Activities as the store keeps them: the extracted BAS documents plus the
//! owner's edits as a separate overlay, so a re-extraction never loses an
//! edit and an edit never rewrites extracted numbers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who may see an activity: owned by the extraction engine (BAS documents
/// carry it), re-exported here as the one model-wide type.
pub use bincio_extract::Privacy;

/// The owner's edits. `None` = not edited (the extracted value shows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityEdits {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sport (normalised name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sport: Option<String>,
    /// Gear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gear: Option<String>,
    /// Pinned first in the owner's feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highlight: Option<bool>,
    /// Stats the owner hides (`elevation`, `speed`, `heart_rate`, `cadence`, `power`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_stats: Option<Vec<String>>,
    /// Privacy chosen by the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<Privacy>,
}

impl ActivityEdits {
    /// Overlay `patch` on `self`: fields present in the patch win, the others
    /// are kept (an edit never drops fields it did not mention).
    pub fn merge(&mut self, patch: ActivityEdits) {
        macro_rules! take {
            ($($f:ident),*) => {$( if patch.$f.is_some() { self.$f = patch.$f; } )*};
        }
        take!(
            title,
            description,
            sport,
            gear,
            highlight,
            hide_stats,
            privacy
        );
    }
}

/// One stored activity.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    /// Owner handle.
    pub handle: String,
    /// BAS id (`YYYY-MM-DDTHHMMSSZ[-slug]`), unique per owner.
    pub id: String,
    /// Start, Unix seconds (feed order).
    pub started_at: i64,
    /// `sha256:<hex>` of the original file bytes; unique per owner.
    pub source_hash: String,
    /// Privacy as extracted (the owner's edit overrides it).
    pub privacy: Privacy,
    /// Distance, metres (near-duplicate detection).
    pub distance_m: Option<f64>,
    /// Source kind (`gpx_file`, `fit_file`, …).
    pub source: Option<String>,
    /// BAS summary (as extracted).
    pub summary: Value,
    /// BAS detail (as extracted).
    pub detail: Value,
    /// The owner's edits.
    pub edits: ActivityEdits,
    /// Id of the activity this one duplicates, if any.
    pub duplicate_of: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

impl ActivityRecord {
    /// Privacy in force (edit first).
    pub fn effective_privacy(&self) -> Privacy {
        self.edits.privacy.unwrap_or(self.privacy)
    }
}

/// The summary key of the track preview (`[[lat, lon]…]`): most of a
/// summary's bytes, and needed only to draw a card.
pub const PREVIEW_KEY: &str = "preview_coords";

/// Parse a stored summary (JSON text) leaving out [`PREVIEW_KEY`] without
/// building it (it is skipped by the tokenizer, not parsed into values):
/// the *lean* summaries of [`crate::store::SummaryQuery::lean`], which
/// totals, curves and records read. Every other key is kept as parsed.
pub fn parse_lean_summary(text: &str) -> serde_json::Result<Value> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Lean;
    impl<'de> Visitor<'de> for Lean {
        type Value = Option<Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = serde_json::Map::new();
            while let Some(k) = map.next_key::<String>()? {
                if k == PREVIEW_KEY {
                    map.next_value::<IgnoredAny>()?;
                } else {
                    out.insert(k, map.next_value()?);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        // Not an object (never written so, but stored data is data): read
        // it in full below.
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    match de.deserialize_any(Lean)? {
        Some(v) => {
            de.end()?;
            Ok(v)
        }
        None => serde_json::from_str(text),
    }
}

/// The large per-activity documents, stored and fetched separately.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityTracks {
    /// BAS timeseries JSON.
    pub timeseries: Option<Value>,
    /// BAS GeoJSON Feature.
    pub geojson: Option<Value>,
}

/// [`ActivityTracks`] as the compact JSON text they are stored as: the
/// bytes `serde_json::to_vec` makes of the parsed values. Lets a writer pass
/// tracks through without parsing and re-printing them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTracks {
    /// BAS timeseries JSON text.
    pub timeseries: Option<String>,
    /// BAS GeoJSON Feature text.
    pub geojson: Option<String>,
}

/// Bytes an activity's documents count for in
/// [`StorageUsage::activities_bytes`]: the compact JSON text of its summary,
/// detail, timeseries and GeoJSON. One measure for every backend (each
/// stores it next to the activity when it writes it, and sums it).
pub fn doc_bytes(rec: &ActivityRecord, t: &ActivityTracks) -> i64 {
    let n = json_len;
    (n(&rec.summary)
        + n(&rec.detail)
        + t.timeseries.as_ref().map(n).unwrap_or(0)
        + t.geojson.as_ref().map(n).unwrap_or(0)) as i64
}

/// Length of `v`'s compact JSON text, counted while printing it to no
/// buffer (a timeseries runs to megabytes: no need to hold its text to
/// learn its length).
pub fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Printing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// Per-user storage usage, bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StorageUsage {
    /// Number of activities.
    pub activities_count: u64,
    /// Bytes of activity documents (the sum of [`doc_bytes`]).
    pub activities_bytes: u64,
    /// Bytes of kept original files.
    pub originals_bytes: u64,
    /// Bytes of photos.
    pub images_bytes: u64,
}

/// What [`ActivityStore::orphans`](crate::store::ActivityStore::orphans)
/// found (and removed, when asked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Orphans {
    /// Tracks documents of no activity, or superseded by a newer one.
    pub tracks: u64,
    /// Originals and photos of no activity.
    pub blobs: u64,
    /// Groups of payload chunks no document names.
    pub chunks: u64,
}

impl Orphans {
    /// Pieces found, of every kind.
    pub fn total(&self) -> u64 {
        self.tracks + self.blobs + self.chunks
    }
}

/// A stored binary (original file or photo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Safe file name (generated or validated).
    pub name: String,
    /// Sniffed MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A feed cursor: strictly older than this (started_at, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    /// Unix seconds.
    pub started_at: i64,
    /// Id tiebreak.
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lean_summary_drops_only_the_preview() {
        let full = json!({"id": "a", "distance_m": 30000.0, "n": 12345678901234_i64,
                          "mmp": [[5, 900]], "preview_coords": [[46.1, 7.2], [46.2, 7.3]],
                          "nested": {"preview_coords": [1]}, "title": "x\"y"});
        let lean = parse_lean_summary(&full.to_string()).unwrap();
        let mut want = full.clone();
        want.as_object_mut().unwrap().remove(PREVIEW_KEY);
        assert_eq!(lean, want);
        for other in ["[1, 2]", "3", "\"s\"", "null", "true", "-1.5"] {
            assert_eq!(
                parse_lean_summary(other).unwrap(),
                serde_json::from_str::<Value>(other).unwrap()
            );
        }
        assert!(parse_lean_summary("{\"a\": 1} x").is_err());
        assert!(parse_lean_summary("{\"preview_coords\": [1,").is_err());
    }
}
