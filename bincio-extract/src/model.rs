//! The parsed, not yet computed, form of an activity: what every parser
//! produces and every metric consumes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Input container format (after gzip is stripped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Gpx,
    Tcx,
    Fit,
}

impl Format {
    /// Lower-case name, used in error messages and benchmarks.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gpx => "gpx",
            Format::Tcx => "tcx",
            Format::Fit => "fit",
        }
    }
}

/// Where elevation values come from; decides the hysteresis threshold
/// (barometric 5 m, GPS 10 m).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AltitudeSource {
    Barometric,
    Gps,
    Unknown,
}

/// One recorded sample. Timestamps are integer milliseconds since the Unix
/// epoch (UTC) so that differences are exact; every other channel is
/// optional because devices record different subsets.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DataPoint {
    pub ts_ms: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub elevation_m: Option<f64>,
    pub hr_bpm: Option<i32>,
    pub cadence_rpm: Option<i32>,
    /// Device speed (km/h), never derived from positions.
    pub speed_kmh: Option<f64>,
    pub power_w: Option<i32>,
    pub temperature_c: Option<f64>,
    /// Device cumulative distance (m).
    pub distance_m: Option<f64>,
}

impl DataPoint {
    /// `(lat, lon)` when both are present.
    pub fn latlon(&self) -> Option<(f64, f64)> {
        match (self.lat, self.lon) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    }
}

/// A lap as recorded by the device (FIT only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lap {
    pub index: u32,
    pub started_at: DateTime<Utc>,
    pub duration_s: Option<i64>,
    pub distance_m: Option<f64>,
    pub elevation_gain_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
    pub avg_power_w: Option<i32>,
}

/// One leg of a multisport FIT file (one `session` message).
///
/// A triathlon is kept as one activity (one file = one activity, so the file
/// hash stays the dedup key) whose sport is the sport of its longest leg; the
/// legs are recorded here with the session's own figures instead of being
/// averaged away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub index: u32,
    pub sport: String,
    pub sub_sport: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_s: Option<i64>,
    pub distance_m: Option<f64>,
    pub avg_speed_kmh: Option<f64>,
    pub avg_hr_bpm: Option<i32>,
}

/// What a parser read from one file.
///
/// Invariants (established by [`super::parse_bytes`]): `points` is non-empty
/// and sorted by timestamp (stable, so equal timestamps keep file order), and
/// every timestamp is plausible (1990-01-01 ≤ t ≤ now + 1 day).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedActivity {
    pub format: Format,
    pub points: Vec<DataPoint>,
    /// Normalised sport (one of [`super::sport::SPORTS`]).
    pub sport: String,
    pub sub_sport: Option<String>,
    /// True when the file named no sport and [`super::sport::infer_from_speed`]
    /// will decide it after metrics are known.
    pub sport_inferred: bool,
    pub started_at: DateTime<Utc>,
    pub source_file: String,
    /// `"sha256:" + hex` of the bytes as given (compressed for `.gz`).
    pub source_hash: String,
    pub device: Option<String>,
    /// FIT manufacturer name (lower case), used to recognise Karoo devices.
    pub manufacturer: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub laps: Vec<Lap>,
    pub legs: Vec<Leg>,
    pub altitude_source: AltitudeSource,
}
