//! Rebuilding the stored documents (detail, summary, tracks, edits) from a
//! checked BAS upload: pure, no store (see [`super`]).

use serde_json::{json, Map, Value};

use super::check::{
    bad, bas_source_hash, check_geojson, check_timeseries, flat_objects, given_preview, opt_bbox,
    opt_latlng, opt_number, opt_pairs, opt_text, parse_started_at, preview_from_track,
};
use super::BasUpload;
use crate::error::CoreResult;
use crate::extract::bas::BAS_VERSION;
use crate::extract::sport::normalize_sport;
use crate::model::{ActivityEdits, ActivityTracks, Privacy};
use crate::validate;

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
pub(super) fn custom_and_edits(
    a: &Map<String, Value>,
) -> CoreResult<(Map<String, Value>, ActivityEdits)> {
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
                        .filter(|s| crate::activities::view::is_hideable(s))
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

#[cfg(test)]
mod tests {
    use super::super::check::is_sha256_ref;
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
