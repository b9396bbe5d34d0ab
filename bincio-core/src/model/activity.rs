//! Activities as the store keeps them: the extracted BAS documents plus the
//! owner's edits as a separate overlay, so a re-extraction never loses an
//! edit and an edit never rewrites extracted numbers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who may see an activity. The server enforces it; it is not a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// Listed in feeds, everything served.
    #[default]
    Public,
    /// Served to anyone with the link, never listed in a feed.
    Unlisted,
    /// Listed, but no location anywhere (bbox, start/end, track, preview,
    /// lat/lon series).
    NoGps,
    /// Listed; the first and last 200 m of every location output trimmed.
    BlurStart,
    /// Owner only.
    Private,
}

impl Privacy {
    /// Parse the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "unlisted" => Some(Self::Unlisted),
            "no_gps" => Some(Self::NoGps),
            "blur_start" => Some(Self::BlurStart),
            "private" => Some(Self::Private),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::NoGps => "no_gps",
            Self::BlurStart => "blur_start",
            Self::Private => "private",
        }
    }

    /// Shown in feeds to people other than the owner.
    pub fn is_listed(self) -> bool {
        matches!(self, Self::Public | Self::NoGps | Self::BlurStart)
    }

    /// True when no location may be published by the static extraction
    /// flow (`no_gps`, and legacy `private`).
    pub fn hides_location(self) -> bool {
        matches!(self, Self::NoGps | Self::Private)
    }

    /// Readable by id by people other than the owner.
    pub fn is_shared(self) -> bool {
        !matches!(self, Self::Private)
    }
}

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

/// Per-user storage usage, bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StorageUsage {
    /// Number of activities.
    pub activities_count: u64,
    /// Bytes of activity documents.
    pub activities_bytes: u64,
    /// Bytes of kept original files.
    pub originals_bytes: u64,
    /// Bytes of photos.
    pub images_bytes: u64,
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
