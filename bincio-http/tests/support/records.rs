//! Synthetic activity records for serving tests (independent of extraction).

use bincio_core::model::{ActivityEdits, ActivityRecord, ActivityTracks, Privacy};
use serde_json::{json, Value};

pub const ID: &str = "2024-06-01T073012Z";

/// 60 points northwards (~11 m apart) from (45, 7).
pub fn track() -> (Vec<(f64, f64)>, ActivityTracks) {
    let pts: Vec<(f64, f64)> = (0..60).map(|i| (45.0 + i as f64 * 0.0001, 7.0)).collect();
    let coords: Vec<Value> = pts.iter().map(|(la, lo)| json!([lo, la, 100.0])).collect();
    let tracks = ActivityTracks {
        timeseries: Some(json!({
            "t": (0..60).collect::<Vec<_>>(),
            "lat": pts.iter().map(|p| p.0).collect::<Vec<_>>(),
            "lon": pts.iter().map(|p| p.1).collect::<Vec<_>>(),
            "hr_bpm": vec![140; 60],
        })),
        geojson: Some(json!({"type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"id": ID, "speeds": vec![20.0; 60]}})),
    };
    (pts, tracks)
}

pub fn record(handle: &str, id: &str, started_at: i64, privacy: Privacy) -> ActivityRecord {
    let loc = json!({"bbox": [7.0, 45.0, 7.0, 45.0059], "start_latlng": [45.0, 7.0],
                     "end_latlng": [45.0059, 7.0], "preview_coords": [[45.0, 7.0], [45.0059, 7.0]]});
    let mut summary = json!({"id": id, "title": "Morning Ride", "sport": "cycling", "distance_m": 655.0,
                             "avg_hr_bpm": 140, "privacy": privacy.as_str(),
                             "detail_url": format!("activities/{id}.json"),
                             "track_url": format!("activities/{id}.geojson")});
    let mut detail = json!({"id": id, "title": "Morning Ride", "sport": "cycling", "description": null,
                            "gear": null, "distance_m": 655.0, "avg_hr_bpm": 140, "max_hr_bpm": 150,
                            "privacy": privacy.as_str(), "custom": {}});
    for d in [&mut summary, &mut detail] {
        for (k, v) in loc.as_object().unwrap() {
            d[k] = v.clone();
        }
    }
    ActivityRecord {
        handle: handle.into(),
        id: id.into(),
        started_at,
        source_hash: format!("sha256:{handle}{id}"),
        privacy,
        distance_m: Some(655.0),
        source: Some("gpx_file".into()),
        summary,
        detail,
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: 1,
    }
}
