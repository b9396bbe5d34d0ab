//! What a viewer receives: extracted documents with the owner's edits laid
//! over them, and — for anyone but the owner — privacy and hidden stats cut.

use serde_json::{json, Map, Value};

use super::privacy;
use crate::model::{ActivityRecord, Privacy};

/// Stats an owner may hide, with the detail keys and timeseries series each
/// covers. Hidden stats are removed for everyone but the owner.
pub const HIDEABLE: &[(&str, &[&str], &[&str])] = &[
    (
        "elevation",
        &["elevation_gain_m", "elevation_loss_m", "best_climb_m"],
        &["elevation_m"],
    ),
    (
        "speed",
        &["avg_speed_kmh", "max_speed_kmh", "best_efforts"],
        &["speed_kmh"],
    ),
    ("heart_rate", &["avg_hr_bpm", "max_hr_bpm"], &["hr_bpm"]),
    ("cadence", &["avg_cadence_rpm"], &["cadence_rpm"]),
    (
        "power",
        &["avg_power_w", "max_power_w", "mmp"],
        &["power_w"],
    ),
];

/// True for a known hideable stat name.
pub fn is_hideable(stat: &str) -> bool {
    HIDEABLE.iter().any(|(s, _, _)| *s == stat)
}

fn set(obj: &mut Map<String, Value>, k: &str, v: Value) {
    obj.insert(k.to_owned(), v);
}

/// Overlay edits on a detail or summary document (owner's view).
pub fn overlay(rec: &ActivityRecord, doc: &Value, images: &[String]) -> Value {
    let mut out = doc.clone();
    let Some(obj) = out.as_object_mut() else {
        return out;
    };
    let e = &rec.edits;
    if let Some(t) = &e.title {
        set(obj, "title", json!(t));
    }
    if let Some(d) = &e.description {
        set(obj, "description", json!(d));
    }
    if let Some(s) = &e.sport {
        set(obj, "sport", json!(s));
    }
    if let Some(g) = &e.gear {
        set(obj, "gear", json!(g));
    }
    let p = rec.effective_privacy();
    set(obj, "privacy", json!(p.as_str()));
    set(
        obj,
        "private",
        json!(matches!(p, Privacy::Private | Privacy::Unlisted)),
    );
    if let Some(d) = &rec.duplicate_of {
        set(obj, "duplicate_of", json!(d));
    }
    let custom = obj
        .entry("custom")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(c) = custom.as_object_mut() {
        if let Some(h) = e.highlight {
            c.insert("highlight".into(), json!(h));
        }
        if let Some(hs) = &e.hide_stats {
            c.insert("hide_stats".into(), json!(hs));
        }
        if !images.is_empty() {
            c.insert("images".into(), json!(images));
        }
    }
    out
}

/// Remove hidden stats from a detail / summary.
pub fn hide_stats(doc: &mut Value, hidden: &[String]) {
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    for (stat, keys, _) in HIDEABLE {
        if hidden.iter().any(|h| h == stat) {
            for k in *keys {
                if obj.contains_key(*k) {
                    obj.insert((*k).to_owned(), Value::Null);
                }
            }
        }
    }
}

/// Remove hidden series from a timeseries.
pub fn hide_series(ts: &mut Value, hidden: &[String]) {
    let Some(obj) = ts.as_object_mut() else {
        return;
    };
    for (stat, _, series) in HIDEABLE {
        if hidden.iter().any(|h| h == stat) {
            for k in *series {
                if obj.contains_key(*k) {
                    obj.insert((*k).to_owned(), Value::Null);
                }
            }
        }
    }
}

/// A document as someone other than the owner sees it.
pub fn public_doc(
    rec: &ActivityRecord,
    doc: &Value,
    images: &[String],
    track: Option<&Value>,
) -> Value {
    let mut out = overlay(rec, doc, images);
    privacy::cut_document(&mut out, rec.effective_privacy(), track);
    if let Some(h) = &rec.edits.hide_stats {
        hide_stats(&mut out, h);
    }
    out
}
