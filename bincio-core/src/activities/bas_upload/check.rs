//! Checks of the uploaded BAS documents, field by field (numbers, texts,
//! coordinates, dates, timeseries, GeoJSON) and the dedup hash: pure
//! functions, each error naming the field (see [`super`]).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{MAX_BAS_ENTRIES, MAX_BAS_POINTS, MAX_NUMBER};
use crate::error::{CoreError, CoreResult};

pub(super) fn bad(field: &str, msg: &str) -> CoreError {
    CoreError::invalid(format!("{field}: {msg}"))
}

/// `null`/absent ⇒ `None`; a finite number in `[0, MAX_NUMBER]` ⇒ it.
pub(super) fn opt_number(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
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
pub(super) fn opt_text(
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

pub(super) fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

pub(super) fn is_lat(x: f64) -> bool {
    (-90.0..=90.0).contains(&x)
}

pub(super) fn is_lon(x: f64) -> bool {
    (-180.0..=180.0).contains(&x)
}

/// `null` or `[lat, lon]` on the globe.
pub(super) fn opt_latlng(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
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
pub(super) fn opt_bbox(obj: &Map<String, Value>) -> CoreResult<Value> {
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
pub(super) fn opt_pairs(obj: &Map<String, Value>, key: &str, field: &str) -> CoreResult<Value> {
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
pub(super) fn flat_objects(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
) -> CoreResult<Option<Value>> {
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
pub(super) fn parse_started_at(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// Canonical JSON: object keys sorted at every level, no whitespace.
pub(super) fn canonical(v: &Value, out: &mut String) {
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

pub(super) fn is_sha256_ref(s: &str) -> bool {
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
pub(super) const SERIES: &[(&str, f64, f64)] = &[
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
pub(super) fn given_preview(obj: &Map<String, Value>) -> CoreResult<Option<Value>> {
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
