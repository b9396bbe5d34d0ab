//! The timeseries and the GeoJSON track of a BAS upload, and the preview
//! drawn from the track.

use serde_json::{json, Map, Value};

use super::fields::{bad, finite, is_lat, is_lon};
use super::{MAX_BAS_POINTS, MAX_NUMBER};
use crate::error::CoreResult;

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
