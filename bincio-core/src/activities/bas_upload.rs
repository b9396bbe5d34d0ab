//! `POST /api/upload/bas`: an activity that another bincio / BincioActivity
//! (e.g. the mobile app) already extracted, sent as its BAS documents
//! `{activity, timeseries?, geojson?}` and stored for the caller.
//!
//! The Python original stored the JSON verbatim. Here every document is
//! validated and rebuilt, so what the store holds has the shape every
//! reader (feeds, privacy cuts, the static render, DEM) relies on:
//! * `activity.id` passes the activity-id rule; `started_at` is an ISO date
//!   (RFC 3339, or without offset = UTC); `sport` is normalised like an
//!   extracted file's; every numeric field is a finite number ≥ 0; texts
//!   are bounded; `privacy` is one of the known values; unknown keys are
//!   dropped; the server sets `bas_version`, `timeseries_url`,
//!   `source_hash` and clears `duplicate_of`; `custom.highlight` and
//!   `custom.hide_stats` become the owner's edits (enforced like any edit),
//!   `custom.images` is dropped (photos are uploaded separately);
//! * `timeseries` has a numeric `t` of at most [`MAX_BAS_POINTS`] samples
//!   and every other known series is null or an array of numbers / nulls of
//!   the same length;
//! * `geojson` is a `Feature` whose geometry is a `LineString` of at most
//!   [`MAX_BAS_POINTS`] `[lon, lat(, ele)]` numbers on the globe;
//! * errors are 400 and name the field (`activity.started_at: …`).
//!
//! Dedup ([`bas_source_hash`]): the stored `source_hash` is the activity's
//! own `source_hash` when it is a well-formed `sha256:<64 hex>` (BAS
//! documents extracted by bincio name the original file's hash, so the same
//! recording uploaded as a file and as BAS is one activity); otherwise
//! `sha256:` + SHA-256 of the canonical JSON (keys sorted, no whitespace) of
//! the uploaded activity object without its `id` and `source_hash`. The
//! upload is a `duplicate` when the id or that hash already exists for the
//! caller — decided atomically by the store's insert.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::extract::bas::BAS_VERSION;
use crate::extract::sport::normalize_sport;
use crate::model::{ActivityEdits, ActivityRecord, ActivityTracks, Privacy, User};
use crate::store::InsertOutcome;
use crate::validate;

/// Largest request body of a BAS upload, bytes.
pub const MAX_BAS_BODY_BYTES: usize = 20 * 1024 * 1024;
/// Most timeseries samples / GeoJSON coordinates.
pub const MAX_BAS_POINTS: usize = 500_000;
/// Most laps, legs, `mmp` or `best_efforts` entries.
pub const MAX_BAS_ENTRIES: usize = 10_000;
/// Largest accepted number in a numeric field (no real activity gets near).
const MAX_NUMBER: f64 = 1e12;

/// The request body of a BAS upload.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasUpload {
    /// The BAS detail document (`activities/{id}.json`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub activity: Value,
    /// The BAS timeseries (`activities/{id}.timeseries.json`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub timeseries: Option<Value>,
    /// The BAS GeoJSON track (`activities/{id}.geojson`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub geojson: Option<Value>,
}

/// What happened to a BAS upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BasStatus {
    /// Stored.
    Imported,
    /// The id or the content hash exists already for this user; nothing
    /// was changed.
    Duplicate,
}

/// Outcome of [`Activities::import_bas`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasImport {
    /// The stored activity (for a hash duplicate: the existing one).
    pub id: String,
    /// Imported or duplicate.
    pub status: BasStatus,
}

fn bad(field: &str, msg: &str) -> CoreError {
    CoreError::invalid(format!("{field}: {msg}"))
}

/// `null`/absent ⇒ `None`; a finite number in `[0, MAX_NUMBER]` ⇒ it.
fn opt_number(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(v @ Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && (0.0..=MAX_NUMBER).contains(&x) => Ok(v.clone()),
            _ => Err(bad(field, "must be a number between 0 and 1e12")),
        },
        Some(_) => Err(bad(field, "must be a number")),
    }
}

/// `null`/absent ⇒ `None`; a string of at most `max` characters without
/// control characters (newlines allowed when `multiline`) ⇒ it.
fn opt_text(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
    max: usize,
    multiline: bool,
) -> CoreResult<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > max {
                return Err(bad(field, &format!("too long (max {max} characters)")));
            }
            if s.chars()
                .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
            {
                return Err(bad(field, "contains control characters"));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad(field, "must be a string")),
    }
}

fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

fn is_lat(x: f64) -> bool {
    (-90.0..=90.0).contains(&x)
}

fn is_lon(x: f64) -> bool {
    (-180.0..=180.0).contains(&x)
}

/// `null` or `[lat, lon]` on the globe.
fn opt_latlng(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::Array(a)) => match a.as_slice() {
            [la, lo] if finite(la).is_some_and(is_lat) && finite(lo).is_some_and(is_lon) => {
                Ok(json!([la, lo]))
            }
            _ => Err(bad(field, "must be [lat, lon] in degrees")),
        },
        Some(_) => Err(bad(field, "must be [lat, lon] in degrees")),
    }
}

/// `null` or `[min_lon, min_lat, max_lon, max_lat]` on the globe.
fn opt_bbox(obj: &Map<String, Value>) -> CoreResult<Value> {
    let err = || {
        bad(
            "activity.bbox",
            "must be [min_lon, min_lat, max_lon, max_lat]",
        )
    };
    match obj.get("bbox") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::Array(a)) if a.len() == 4 => {
            let v: Vec<f64> = a.iter().filter_map(finite).collect();
            if v.len() == 4 && is_lon(v[0]) && is_lat(v[1]) && is_lon(v[2]) && is_lat(v[3]) {
                Ok(json!(v))
            } else {
                Err(err())
            }
        }
        Some(_) => Err(err()),
    }
}

/// `null` or a list (≤ [`MAX_BAS_ENTRIES`]) of numeric pairs (`mmp`,
/// `best_efforts`).
fn opt_pairs(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::Array(a)) => {
            if a.len() > MAX_BAS_ENTRIES {
                return Err(bad(
                    field,
                    &format!("too many entries (max {MAX_BAS_ENTRIES})"),
                ));
            }
            let ok = a.iter().all(|p| {
                p.as_array()
                    .is_some_and(|p| p.len() == 2 && p.iter().all(|x| finite(x).is_some()))
            });
            if ok {
                Ok(Value::Array(a.clone()))
            } else {
                Err(bad(field, "must be a list of [number, number] pairs"))
            }
        }
        Some(_) => Err(bad(field, "must be a list of [number, number] pairs")),
    }
}

/// A list (≤ [`MAX_BAS_ENTRIES`]) of flat objects whose values are null,
/// booleans, numbers or short strings (`laps`, `legs`).
fn flat_objects(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Option<Value>> {
    let list = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad(field, "must be a list of objects")),
    };
    if list.len() > MAX_BAS_ENTRIES {
        return Err(bad(
            field,
            &format!("too many entries (max {MAX_BAS_ENTRIES})"),
        ));
    }
    for (i, item) in list.iter().enumerate() {
        let Some(o) = item.as_object() else {
            return Err(bad(&format!("{field}[{i}]"), "must be an object"));
        };
        for (k, v) in o {
            let ok = match v {
                Value::Null | Value::Bool(_) => true,
                Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
                Value::String(s) => s.chars().count() <= 200,
                _ => false,
            };
            if !ok || k.len() > 64 {
                return Err(bad(
                    &format!("{field}[{i}].{k}"),
                    "must be a number or short text",
                ));
            }
        }
    }
    Ok(Some(Value::Array(list.clone())))
}

/// Parse `started_at`: RFC 3339, or an ISO date-time without offset (UTC).
fn parse_started_at(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// Canonical JSON: object keys sorted at every level, no whitespace.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn is_sha256_ref(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The dedup hash of an uploaded activity object (see the module doc).
pub fn bas_source_hash(activity: &Map<String, Value>) -> String {
    if let Some(h) = activity
        .get("source_hash")
        .and_then(Value::as_str)
        .filter(|h| is_sha256_ref(h))
    {
        return h.to_owned();
    }
    let mut rest = activity.clone();
    rest.remove("id");
    rest.remove("source_hash");
    let mut text = String::new();
    canonical(&Value::Object(rest), &mut text);
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Series of a BAS timeseries besides `t`, with their value range.
const SERIES: &[(&str, f64, f64)] = &[
    ("lat", -90.0, 90.0),
    ("lon", -180.0, 180.0),
    ("elevation_m", -MAX_NUMBER, MAX_NUMBER),
    ("elevation_m_original", -MAX_NUMBER, MAX_NUMBER),
    ("speed_kmh", -MAX_NUMBER, MAX_NUMBER),
    ("hr_bpm", -MAX_NUMBER, MAX_NUMBER),
    ("cadence_rpm", -MAX_NUMBER, MAX_NUMBER),
    ("power_w", -MAX_NUMBER, MAX_NUMBER),
    ("temperature_c", -MAX_NUMBER, MAX_NUMBER),
];

/// Validate and rebuild a timeseries (known keys only).
pub fn check_timeseries(ts: &Value) -> CoreResult<Value> {
    let obj = ts
        .as_object()
        .ok_or_else(|| bad("timeseries", "must be an object"))?;
    let t = obj
        .get("t")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("timeseries.t", "is required (a list of seconds)"))?;
    if t.len() > MAX_BAS_POINTS {
        return Err(bad(
            "timeseries.t",
            &format!("too many samples (max {MAX_BAS_POINTS})"),
        ));
    }
    if !t.iter().all(|x| finite(x).is_some()) {
        return Err(bad("timeseries.t", "must contain only numbers"));
    }
    let mut out = Map::new();
    out.insert("t".into(), Value::Array(t.clone()));
    for (key, lo, hi) in SERIES {
        let field = format!("timeseries.{key}");
        match obj.get(*key) {
            None => {}
            Some(Value::Null) => {
                out.insert((*key).into(), Value::Null);
            }
            Some(Value::Array(a)) => {
                if a.len() != t.len() {
                    return Err(bad(
                        &field,
                        &format!("has {} values but t has {}", a.len(), t.len()),
                    ));
                }
                let ok = a
                    .iter()
                    .all(|v| v.is_null() || finite(v).is_some_and(|x| (*lo..=*hi).contains(&x)));
                if !ok {
                    return Err(bad(&field, "must contain only numbers (in range) or nulls"));
                }
                out.insert((*key).into(), Value::Array(a.clone()));
            }
            Some(_) => return Err(bad(&field, "must be a list or null")),
        }
    }
    Ok(Value::Object(out))
}

/// Validate and rebuild a GeoJSON track; returns it with `properties.id`
/// set, and its `[lon, lat]` pairs.
pub fn check_geojson(geo: &Value, id: &str) -> CoreResult<(Value, Vec<[f64; 2]>)> {
    let obj = geo
        .as_object()
        .ok_or_else(|| bad("geojson", "must be a GeoJSON Feature object"))?;
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(bad("geojson.type", "must be \"Feature\""));
    }
    let geometry = obj
        .get("geometry")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("geojson.geometry", "must be a LineString geometry"))?;
    if geometry.get("type").and_then(Value::as_str) != Some("LineString") {
        return Err(bad("geojson.geometry.type", "must be \"LineString\""));
    }
    let coords = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            bad(
                "geojson.geometry.coordinates",
                "must be a list of positions",
            )
        })?;
    if coords.len() > MAX_BAS_POINTS {
        return Err(bad(
            "geojson.geometry.coordinates",
            &format!("too many positions (max {MAX_BAS_POINTS})"),
        ));
    }
    let mut pairs = Vec::with_capacity(coords.len());
    for (i, c) in coords.iter().enumerate() {
        let nums: Option<Vec<f64>> = c
            .as_array()
            .filter(|a| a.len() == 2 || a.len() == 3)
            .and_then(|a| a.iter().map(finite).collect());
        match nums.as_deref() {
            Some([lon, lat, ..]) if is_lon(*lon) && is_lat(*lat) => pairs.push([*lon, *lat]),
            _ => {
                return Err(bad(
                    &format!("geojson.geometry.coordinates[{i}]"),
                    "must be [lon, lat] or [lon, lat, ele] numbers on the globe",
                ))
            }
        }
    }
    let mut properties = match obj.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad("geojson.properties", "must be an object or null")),
    };
    properties.insert("id".into(), json!(id));
    let doc = json!({
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": properties,
    });
    Ok((doc, pairs))
}

/// The contract's upload preview: every `len/9`-th coordinate (at least
/// every one), at most 9, as `[lat, lon]`; `None` without coordinates.
pub fn preview_from_track(pairs: &[[f64; 2]]) -> Option<Vec<[f64; 2]>> {
    if pairs.is_empty() {
        return None;
    }
    let step = (pairs.len() / 9).max(1);
    Some(
        pairs
            .iter()
            .step_by(step)
            .take(9)
            .map(|c| [c[1], c[0]])
            .collect(),
    )
}

/// A preview given by the client: `null`, or at most 100 `[lat, lon]`.
fn given_preview(obj: &Map<String, Value>) -> CoreResult<Option<Value>> {
    let err = || {
        bad(
            "activity.preview_coords",
            "must be a list of [lat, lon] (max 100)",
        )
    };
    match obj.get("preview_coords") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) if a.len() <= 100 => {
            let ok = a.iter().all(|p| {
                p.as_array().is_some_and(|p| {
                    p.len() == 2
                        && finite(&p[0]).is_some_and(is_lat)
                        && finite(&p[1]).is_some_and(is_lon)
                })
            });
            if ok {
                Ok(Some(Value::Array(a.clone())))
            } else {
                Err(err())
            }
        }
        Some(_) => Err(err()),
    }
}

/// Numeric detail fields (finite, ≥ 0).
const NUMBERS: &[&str] = &[
    "distance_m",
    "duration_s",
    "moving_time_s",
    "elevation_gain_m",
    "elevation_loss_m",
    "avg_speed_kmh",
    "max_speed_kmh",
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_cadence_rpm",
    "avg_power_w",
    "max_power_w",
    "best_climb_m",
];

/// A validated upload, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct BasDocuments {
    /// The id.
    pub id: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Privacy given (default public).
    pub privacy: Privacy,
    /// See [`bas_source_hash`].
    pub source_hash: String,
    /// §5.3 detail.
    pub detail: Value,
    /// §5.2 summary.
    pub summary: Value,
    /// Timeseries and track.
    pub tracks: ActivityTracks,
    /// `custom.highlight` / `custom.hide_stats` of the upload, kept as the
    /// owner's edits (the server enforces and overlays them from there).
    pub edits: ActivityEdits,
}

/// Validate an upload and build the documents to store (see the module doc).
pub fn build(upload: &BasUpload) -> CoreResult<BasDocuments> {
    let a = upload
        .activity
        .as_object()
        .ok_or_else(|| bad("activity", "must be an object"))?;
    let id = match a.get("id") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(bad("activity.id", "is required")),
        Some(_) => return Err(bad("activity.id", "must be a string")),
    };
    if !validate::is_valid_activity_id(&id) {
        return Err(bad(
            "activity.id",
            "Invalid activity ID (letters, digits and '-', starting with a letter or digit, max 251)",
        ));
    }
    let started_str = match a.get("started_at") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(bad(
                "activity.started_at",
                "is required (an ISO 8601 date-time)",
            ))
        }
    };
    let started_at = parse_started_at(&started_str)
        .ok_or_else(|| bad("activity.started_at", "is not an ISO 8601 date-time"))?;
    let sport = match a.get("sport") {
        None | Some(Value::Null) => "other",
        Some(Value::String(s)) => normalize_sport(Some(s)),
        Some(_) => return Err(bad("activity.sport", "must be a string")),
    };
    let sub_sport = opt_text(a, "sub_sport", "activity.sub_sport", 40, false)?;
    if sub_sport.as_deref().is_some_and(|s| {
        !s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }) {
        return Err(bad(
            "activity.sub_sport",
            "must be lower-case letters, digits or '_'",
        ));
    }
    let privacy = match a.get("privacy") {
        None | Some(Value::Null) => Privacy::Public,
        Some(Value::String(s)) => Privacy::parse(s).ok_or_else(|| {
            bad(
                "activity.privacy",
                "must be one of public, unlisted, no_gps, blur_start, private",
            )
        })?,
        Some(_) => return Err(bad("activity.privacy", "must be a string")),
    };
    let title = opt_text(a, "title", "activity.title", 200, false)?
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Activity".to_owned());
    let description = opt_text(a, "description", "activity.description", 20_000, true)?;
    let gear = opt_text(a, "gear", "activity.gear", 200, false)?;
    let device = opt_text(a, "device", "activity.device", 200, false)?;
    let source = opt_text(a, "source", "activity.source", 64, false)?;
    let source_file = opt_text(a, "source_file", "activity.source_file", 255, false)?;
    let altitude_source = opt_text(a, "altitude_source", "activity.altitude_source", 32, false)?
        .unwrap_or_else(|| "unknown".to_owned());
    let strava_id = match a.get("strava_id") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Number(n)) => json!(n.to_string()),
        Some(Value::String(s)) if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()) => {
            json!(s)
        }
        Some(_) => return Err(bad("activity.strava_id", "must be a number")),
    };
    let (custom, edits) = custom_and_edits(a)?;

    let timeseries = upload
        .timeseries
        .as_ref()
        .filter(|v| !v.is_null())
        .map(check_timeseries)
        .transpose()?;
    let track = upload
        .geojson
        .as_ref()
        .filter(|v| !v.is_null())
        .map(|g| check_geojson(g, &id))
        .transpose()?;

    let mut d = Map::new();
    d.insert("bas_version".into(), json!(BAS_VERSION));
    d.insert("id".into(), json!(id));
    d.insert("title".into(), json!(title));
    d.insert("description".into(), json!(description));
    d.insert("sport".into(), json!(sport));
    d.insert("sub_sport".into(), json!(sub_sport));
    d.insert("started_at".into(), json!(started_str));
    for key in NUMBERS {
        d.insert(
            (*key).into(),
            opt_number(a, key, &format!("activity.{key}"))?,
        );
    }
    d.insert("gear".into(), json!(gear));
    d.insert("device".into(), json!(device));
    d.insert("bbox".into(), opt_bbox(a)?);
    d.insert(
        "start_latlng".into(),
        opt_latlng(a, "start_latlng", "activity.start_latlng")?,
    );
    d.insert(
        "end_latlng".into(),
        opt_latlng(a, "end_latlng", "activity.end_latlng")?,
    );
    d.insert("mmp".into(), opt_pairs(a, "mmp", "activity.mmp")?);
    d.insert(
        "best_efforts".into(),
        opt_pairs(a, "best_efforts", "activity.best_efforts")?,
    );
    d.insert(
        "laps".into(),
        flat_objects(a, "laps", "activity.laps")?.unwrap_or_else(|| json!([])),
    );
    if let Some(legs) = flat_objects(a, "legs", "activity.legs")? {
        d.insert("legs".into(), legs);
    }
    d.insert(
        "timeseries_url".into(),
        json!(timeseries
            .as_ref()
            .map(|_| format!("activities/{id}.timeseries.json"))),
    );
    d.insert("source".into(), json!(source));
    d.insert("source_file".into(), json!(source_file.unwrap_or_default()));
    let source_hash = bas_source_hash(a);
    d.insert("source_hash".into(), json!(source_hash));
    d.insert("altitude_source".into(), json!(altitude_source));
    d.insert("strava_id".into(), strava_id);
    d.insert("duplicate_of".into(), Value::Null);
    d.insert("privacy".into(), json!(privacy.as_str()));
    d.insert("custom".into(), Value::Object(custom));

    let mut s = Map::new();
    for key in crate::extract::bas::SUMMARY_FROM_DETAIL {
        s.insert((*key).into(), d.get(*key).cloned().unwrap_or(Value::Null));
    }
    s.insert("detail_url".into(), json!(format!("activities/{id}.json")));
    s.insert(
        "track_url".into(),
        json!(track.as_ref().map(|_| format!("activities/{id}.geojson"))),
    );
    let preview = match given_preview(a)? {
        Some(p) => p,
        None => json!(track
            .as_ref()
            .and_then(|(_, pairs)| preview_from_track(pairs))),
    };
    s.insert("preview_coords".into(), preview);

    Ok(BasDocuments {
        id,
        started_at,
        privacy,
        source_hash,
        detail: Value::Object(d),
        summary: Value::Object(s),
        tracks: ActivityTracks {
            timeseries,
            geojson: track.map(|(g, _)| g),
        },
        edits,
    })
}

/// `custom` without the keys the server derives (`highlight`, `hide_stats`
/// become edits so they are enforced, not just displayed; `images` lists
/// the stored photos, of which an upload has none).
fn custom_and_edits(a: &Map<String, Value>) -> CoreResult<(Map<String, Value>, ActivityEdits)> {
    let mut custom = match a.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(bad("activity.custom", "must be an object")),
    };
    custom.remove("images");
    let mut edits = ActivityEdits::default();
    match custom.remove("highlight") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => edits.highlight = Some(b),
        Some(_) => return Err(bad("activity.custom.highlight", "must be true or false")),
    }
    match custom.remove("hide_stats") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            let names: Option<Vec<String>> = list
                .iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| super::view::is_hideable(s))
                        .map(str::to_owned)
                })
                .collect();
            edits.hide_stats = Some(names.ok_or_else(|| {
                bad(
                    "activity.custom.hide_stats",
                    "must list elevation, speed, heart_rate, cadence or power",
                )
            })?);
        }
        Some(_) => return Err(bad("activity.custom.hide_stats", "must be a list")),
    }
    Ok((custom, edits))
}

impl Activities {
    /// Store a BAS activity uploaded by `owner` (validated and rebuilt, see
    /// the module doc). A duplicate (same id or same content hash for this
    /// owner) changes nothing; an import notifies the change listener.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn import_bas(&self, owner: &User, upload: BasUpload) -> CoreResult<BasImport> {
        let docs = build(&upload)?;
        drop(upload);
        let rec = ActivityRecord {
            handle: owner.handle.clone(),
            id: docs.id.clone(),
            started_at: docs.started_at,
            source_hash: docs.source_hash,
            privacy: docs.privacy,
            distance_m: docs.detail.get("distance_m").and_then(Value::as_f64),
            source: docs
                .detail
                .get("source")
                .and_then(Value::as_str)
                .map(str::to_owned),
            summary: docs.summary,
            detail: docs.detail,
            edits: docs.edits,
            duplicate_of: None,
            created_at: self.clock.unix(),
        };
        let outcome = self.store.insert_activity(rec, docs.tracks).await?;
        Ok(match outcome {
            InsertOutcome::Inserted => {
                self.changed(&owner.handle);
                BasImport {
                    id: docs.id,
                    status: BasStatus::Imported,
                }
            }
            InsertOutcome::DuplicateHash(existing) => BasImport {
                id: existing,
                status: BasStatus::Duplicate,
            },
            InsertOutcome::IdTaken => BasImport {
                id: docs.id,
                status: BasStatus::Duplicate,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(activity: Value) -> BasUpload {
        BasUpload {
            activity,
            timeseries: None,
            geojson: None,
        }
    }

    fn minimal() -> Value {
        json!({"id": "2024-06-01T073012Z-ride", "started_at": "2024-06-01T07:30:12+00:00",
               "sport": "Ride", "distance_m": 1000.5, "title": "Ride"})
    }

    fn err(u: &BasUpload) -> String {
        build(u).unwrap_err().to_string()
    }

    #[test]
    fn builds_detail_and_summary_with_normalised_sport() {
        let mut u = upload(minimal());
        u.geojson = Some(json!({"type": "Feature", "geometry": {"type": "LineString",
            "coordinates": (0..20).map(|i| [7.0 + f64::from(i) * 0.001, 45.0, 300.0]).collect::<Vec<_>>()},
            "properties": {"id": "other"}}));
        let d = build(&u).unwrap();
        assert_eq!(d.detail["sport"], "cycling");
        assert_eq!(d.detail["privacy"], "public");
        assert_eq!(d.detail["timeseries_url"], Value::Null);
        assert_eq!(d.detail["laps"], json!([]));
        assert!(is_sha256_ref(d.detail["source_hash"].as_str().unwrap()));
        assert_eq!(
            d.summary["track_url"],
            "activities/2024-06-01T073012Z-ride.geojson"
        );
        assert_eq!(d.summary["distance_m"], 1000.5);
        // 20 coords: every 2nd, at most 9, as [lat, lon].
        let p = d.summary["preview_coords"].as_array().unwrap();
        assert_eq!(p.len(), 9);
        assert_eq!(p[1], json!([45.0, 7.002]));
        assert_eq!(
            d.tracks.geojson.unwrap()["properties"]["id"],
            "2024-06-01T073012Z-ride"
        );
    }

    #[test]
    fn refusals_name_the_field() {
        let mut a = minimal();
        a["id"] = json!("../etc/passwd");
        assert!(err(&upload(a)).starts_with("activity.id:"));
        let mut a = minimal();
        a.as_object_mut().unwrap().remove("id");
        assert!(err(&upload(a)).starts_with("activity.id:"));
        let mut a = minimal();
        a["started_at"] = json!("yesterday");
        assert!(err(&upload(a)).starts_with("activity.started_at:"));
        let mut a = minimal();
        a["distance_m"] = json!("12");
        assert!(err(&upload(a)).starts_with("activity.distance_m:"));
        let mut a = minimal();
        a["privacy"] = json!("secret");
        assert!(err(&upload(a)).starts_with("activity.privacy:"));
        let mut u = upload(minimal());
        u.timeseries = Some(json!({"t": [0, 1, 2], "hr_bpm": [100, 101]}));
        assert!(err(&u).starts_with("timeseries.hr_bpm:"));
        let mut u = upload(minimal());
        u.geojson =
            Some(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [7, 45]}}));
        assert!(err(&u).starts_with("geojson.geometry.type:"));
        let mut u = upload(minimal());
        u.geojson = Some(json!({"type": "Feature", "geometry": {"type": "LineString",
            "coordinates": [[7, 45], [7, "x"]]}}));
        assert!(err(&u).starts_with("geojson.geometry.coordinates[1]:"));
    }

    #[test]
    fn custom_flags_become_edits() {
        let mut a = minimal();
        a["custom"] = json!({"highlight": true, "hide_stats": ["heart_rate"],
                             "images": ["x.jpg"], "note": "kept"});
        let d = build(&upload(a)).unwrap();
        assert_eq!(d.detail["custom"], json!({"note": "kept"}));
        assert_eq!(d.edits.highlight, Some(true));
        assert_eq!(d.edits.hide_stats, Some(vec!["heart_rate".to_owned()]));
        let mut a = minimal();
        a["custom"] = json!({"hide_stats": ["everything"]});
        assert!(err(&upload(a)).starts_with("activity.custom.hide_stats:"));
    }

    #[test]
    fn naive_dates_are_utc() {
        assert_eq!(parse_started_at("1970-01-01T00:01:00"), Some(60));
        assert_eq!(parse_started_at("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(parse_started_at("1970-01-01"), None);
    }

    #[test]
    fn hash_ignores_key_order_and_id_but_prefers_a_given_file_hash() {
        let a = json!({"id": "a", "x": {"b": 1, "a": [1, 2]}, "started_at": "s"});
        let b = json!({"started_at": "s", "x": {"a": [1, 2], "b": 1}, "id": "b"});
        let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
        assert_eq!(bas_source_hash(a), bas_source_hash(b));
        let given = format!("sha256:{}", "ab".repeat(32));
        let mut c = a.clone();
        c.insert("source_hash".into(), json!(given));
        assert_eq!(bas_source_hash(&c), given);
        c.insert("source_hash".into(), json!("sha256:nothex"));
        assert_eq!(bas_source_hash(&c), bas_source_hash(a));
    }

    #[test]
    fn preview_steps() {
        assert_eq!(preview_from_track(&[]), None);
        let pairs: Vec<[f64; 2]> = (0..5).map(|i| [f64::from(i), 1.0]).collect();
        assert_eq!(preview_from_track(&pairs).unwrap().len(), 5);
    }
}
