//! BAS v1 JSON shapes (contract §5): the detail, summary, timeseries and
//! GeoJSON documents an extracted activity becomes.
//!
//! Field order follows the reference output so diffs against old trees stay
//! readable. `Option` fields serialise as `null` (the BAS site expects the
//! keys to exist), except the `legs` extension which is omitted when empty.

use serde::{Deserialize, Serialize};

/// BAS format version written into every document.
pub const BAS_VERSION: &str = "1.0";

/// Privacy of an activity: the one model-wide type (defined in [`crate::privacy`]).
pub use crate::privacy::Privacy;

/// A lap in the detail document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LapOut {
    pub index: u32,
    pub started_at: String,
    pub duration_s: Option<i64>,
    pub distance_m: Option<f64>,
    pub elevation_gain_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
    pub avg_power_w: Option<i32>,
}

/// A multisport leg in the detail document (extension of BAS v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegOut {
    pub index: u32,
    pub sport: String,
    pub sub_sport: Option<String>,
    pub started_at: String,
    pub duration_s: Option<i64>,
    pub distance_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
}

/// `activities/{id}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    pub bas_version: String,
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub sport: String,
    pub sub_sport: Option<String>,
    pub started_at: String,
    pub distance_m: Option<f64>,
    pub duration_s: Option<i64>,
    pub moving_time_s: Option<i64>,
    pub elevation_gain_m: Option<f64>,
    pub elevation_loss_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub max_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
    pub max_hr_bpm: Option<i32>,
    pub avg_cadence_rpm: Option<i32>,
    pub avg_power_w: Option<i32>,
    pub max_power_w: Option<i32>,
    pub gear: Option<String>,
    pub device: Option<String>,
    pub bbox: Option<[f64; 4]>,
    pub start_latlng: Option<[f64; 2]>,
    pub end_latlng: Option<[f64; 2]>,
    pub mmp: Option<Vec<[i64; 2]>>,
    pub best_efforts: Option<Vec<[f64; 2]>>,
    pub best_climb_m: Option<f64>,
    pub laps: Vec<LapOut>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legs: Vec<LegOut>,
    pub timeseries_url: Option<String>,
    pub source: Option<String>,
    pub source_file: String,
    pub source_hash: String,
    pub altitude_source: String,
    pub strava_id: Option<String>,
    pub duplicate_of: Option<String>,
    pub privacy: Privacy,
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// One entry of `{handle}/index.json` `activities`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub title: String,
    pub sport: String,
    pub sub_sport: Option<String>,
    pub started_at: String,
    pub distance_m: Option<f64>,
    pub duration_s: Option<i64>,
    pub moving_time_s: Option<i64>,
    pub elevation_gain_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub max_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
    pub max_hr_bpm: Option<i32>,
    pub avg_cadence_rpm: Option<i32>,
    pub avg_power_w: Option<i32>,
    pub mmp: Option<Vec<[i64; 2]>>,
    pub best_efforts: Option<Vec<[f64; 2]>>,
    pub best_climb_m: Option<f64>,
    pub source: Option<String>,
    pub privacy: Privacy,
    pub detail_url: String,
    pub track_url: Option<String>,
    pub preview_coords: Option<Vec<[f64; 2]>>,
}

/// `activities/{id}.timeseries.json`: one sample per kept second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeseries {
    pub t: Vec<i64>,
    pub lat: Option<Vec<Option<f64>>>,
    pub lon: Option<Vec<Option<f64>>>,
    pub elevation_m: Vec<Option<f64>>,
    pub speed_kmh: Vec<Option<f64>>,
    pub hr_bpm: Vec<Option<i32>>,
    pub cadence_rpm: Vec<Option<i32>>,
    pub power_w: Vec<Option<i32>>,
    pub temperature_c: Vec<Option<f64>>,
}

/// `activities/{id}.geojson`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub geometry: Geometry,
    pub properties: TrackProperties,
}

/// GeoJSON LineString; coordinates are `[lon, lat]` or `[lon, lat, ele]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    #[serde(rename = "type")]
    pub kind: String,
    pub coordinates: Vec<Vec<f64>>,
}

/// Properties of the track feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackProperties {
    pub id: String,
    pub speeds: Vec<Option<f64>>,
    pub simplification: String,
    pub rdp_epsilon: f64,
    pub point_count_original: usize,
    pub point_count_simplified: usize,
}

/// Everything computed for one activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub detail: Detail,
    pub timeseries: Option<Timeseries>,
    pub geojson: Option<GeoJson>,
    pub preview_coords: Option<Vec<[f64; 2]>>,
    /// Number of parsed points (for dedup quality ranking).
    pub point_count: usize,
}

/// The §5.2 summary keys copied from the detail (the summary adds
/// `detail_url`, `track_url` and `preview_coords`). For summaries built
/// from documents rather than from an extraction (BAS uploads, imports).
pub const SUMMARY_FROM_DETAIL: &[&str] = &[
    "id",
    "title",
    "sport",
    "sub_sport",
    "started_at",
    "distance_m",
    "duration_s",
    "moving_time_s",
    "elevation_gain_m",
    "avg_speed_kmh",
    "max_speed_kmh",
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_cadence_rpm",
    "avg_power_w",
    "mmp",
    "best_efforts",
    "best_climb_m",
    "source",
    "privacy",
];

impl Activity {
    /// The feed entry for this activity.
    pub fn summary(&self) -> Summary {
        let d = &self.detail;
        Summary {
            id: d.id.clone(),
            title: d.title.clone(),
            sport: d.sport.clone(),
            sub_sport: d.sub_sport.clone(),
            started_at: d.started_at.clone(),
            distance_m: d.distance_m,
            duration_s: d.duration_s,
            moving_time_s: d.moving_time_s,
            elevation_gain_m: d.elevation_gain_m,
            avg_speed_kmh: d.avg_speed_kmh,
            max_speed_kmh: d.max_speed_kmh,
            avg_hr_bpm: d.avg_hr_bpm,
            max_hr_bpm: d.max_hr_bpm,
            avg_cadence_rpm: d.avg_cadence_rpm,
            avg_power_w: d.avg_power_w,
            mmp: d.mmp.clone(),
            best_efforts: d.best_efforts.clone(),
            best_climb_m: d.best_climb_m,
            source: d.source.clone(),
            privacy: d.privacy,
            detail_url: format!("activities/{}.json", d.id),
            track_url: self
                .geojson
                .as_ref()
                .map(|_| format!("activities/{}.geojson", d.id)),
            preview_coords: self.preview_coords.clone(),
        }
    }

    /// Change the id everywhere it appears (used on an id collision).
    pub fn set_id(&mut self, id: &str) {
        self.detail.id = id.to_string();
        if self.timeseries.is_some() {
            self.detail.timeseries_url = Some(format!("activities/{id}.timeseries.json"));
        }
        if let Some(g) = &mut self.geojson {
            g.properties.id = id.to_string();
        }
    }
}
