//! Unit tests of the BAS upload rules.

use super::fields::is_sha256_ref;
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
