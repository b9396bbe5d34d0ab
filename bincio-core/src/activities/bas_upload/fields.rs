//! Field rules of a BAS upload: numbers, texts, coordinates, dates, and
//! the content hash that dedups uploads.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{MAX_BAS_ENTRIES, MAX_NUMBER};
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
