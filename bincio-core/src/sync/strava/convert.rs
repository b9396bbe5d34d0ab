//! From Strava's JSON (an activity's detail and its streams) to the
//! parsed form every uploaded file also becomes, so a synced activity gets
//! the same metrics, tracks and documents as the same ride uploaded as a
//! file ([`crate::extract::compute`]).
//!
//! * point `i` is at `start_date + time[i]`; every other stream is read at
//!   the same index when present (`velocity_smooth` m/s → km/h);
//! * a manual activity (or one without a `time` stream) has no points: it
//!   keeps Strava's summary figures and has no track;
//! * laps, the description, the gear's name and the device carry over;
//! * `private` or visibility `only_me` → [`Privacy::Private`],
//!   `followers_only` → [`Privacy::Unlisted`], else public.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::extract::bas::Activity;
use crate::extract::{self, AltitudeSource, DataPoint, Format, Lap, ParsedActivity};
use crate::model::Privacy;

/// The source label of synced activities.
pub const SOURCE: &str = "strava";

/// What one Strava activity became.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The documents, with `strava_id` and source `strava`.
    pub activity: Activity,
    /// Start (Unix s).
    pub started_at: i64,
    /// The privacy Strava gives it.
    pub privacy: Privacy,
}

/// Why a Strava activity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Strava activity {id}: {reason}")]
pub struct ConvertError {
    /// The Strava id (or 0 if absent).
    pub id: i64,
    /// What was wrong.
    pub reason: String,
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64).filter(|x| x.is_finite())
}

fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The Strava id of a summary or detail.
pub fn strava_id(v: &Value) -> Option<i64> {
    v.get("id").and_then(Value::as_i64)
}

/// `start_date` of a summary or detail (Unix s).
pub fn start_of(v: &Value) -> Option<i64> {
    s(v, "start_date")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
}

/// The privacy a summary or detail asks for.
pub fn privacy_of(v: &Value) -> Privacy {
    let private = v.get("private").and_then(Value::as_bool).unwrap_or(false);
    match (private, s(v, "visibility")) {
        (true, _) | (_, Some("only_me")) => Privacy::Private,
        (_, Some("followers_only")) => Privacy::Unlisted,
        _ => Privacy::Public,
    }
}

/// The title of a summary or detail (trimmed; `None` when blank).
pub fn name_of(v: &Value) -> Option<String> {
    s(v, "name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
}

/// Convert `detail` (with `streams`, keyed by type, when the activity has
/// any). `now` bounds plausible times; `max_points` bounds the streams.
pub fn convert(
    detail: &Value,
    streams: Option<&Value>,
    now: DateTime<Utc>,
    max_points: usize,
) -> Result<Converted, ConvertError> {
    let id = strava_id(detail).unwrap_or(0);
    let err = |reason: &str| ConvertError {
        id,
        reason: reason.to_owned(),
    };
    if id <= 0 {
        return Err(err("no id"));
    }
    let start_s = start_of(detail).ok_or_else(|| err("no valid start_date"))?;
    let start_ms = start_s.saturating_mul(1000);
    let max_ok = now.timestamp_millis().saturating_add(86_400_000);
    if !(extract::time::MIN_PLAUSIBLE_MS..=max_ok).contains(&start_ms) {
        return Err(err("start_date out of range"));
    }
    let sport_raw = s(detail, "sport_type").or_else(|| s(detail, "type"));
    let points = match streams {
        Some(st) => points(st, start_ms, max_ok, max_points).map_err(|r| err(&r))?,
        None => Vec::new(),
    };
    let started_at = extract::time::ms_to_datetime(start_ms);
    let laps = laps(detail);
    let has_points = !points.is_empty();
    let parsed = ParsedActivity {
        format: Format::Fit,
        points: if has_points {
            points
        } else {
            // One point at the start: `compute` needs one; the figures it
            // would derive are replaced by Strava's below.
            vec![DataPoint {
                ts_ms: start_ms,
                ..DataPoint::default()
            }]
        },
        sport: extract::sport::normalize_sport(sport_raw).to_owned(),
        sub_sport: extract::sport::normalize_sub_sport(sport_raw).map(str::to_owned),
        sport_inferred: false,
        started_at,
        source_file: format!("strava:{id}"),
        source_hash: source_hash(id),
        device: s(detail, "device_name").map(str::to_owned),
        manufacturer: None,
        title: name_of(detail),
        description: s(detail, "description")
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(20_000).collect()),
        laps,
        legs: Vec::new(),
        altitude_source: AltitudeSource::Unknown,
    };
    let mut activity = extract::compute(
        &parsed,
        &extract::Options {
            privacy: extract::Privacy::Public,
            ..extract::Options::default()
        },
    );
    let d = &mut activity.detail;
    d.source = Some(SOURCE.to_owned());
    d.strava_id = Some(id.to_string());
    d.gear = detail
        .get("gear")
        .and_then(|g| s(g, "name"))
        .map(str::to_owned);
    if !has_points {
        // Manual entry (or no streams): Strava's own figures.
        d.distance_m = f(detail, "distance").map(round1);
        d.duration_s = i(detail, "elapsed_time");
        d.moving_time_s = i(detail, "moving_time");
        d.elevation_gain_m = f(detail, "total_elevation_gain").map(round1);
        d.avg_speed_kmh = f(detail, "average_speed").map(|v| round1(v * 3.6));
        d.max_speed_kmh = f(detail, "max_speed").map(|v| round1(v * 3.6));
        d.avg_hr_bpm = f(detail, "average_heartrate").map(|v| v.round() as i32);
        d.max_hr_bpm = f(detail, "max_heartrate").map(|v| v.round() as i32);
        d.avg_cadence_rpm = f(detail, "average_cadence").map(|v| v.round() as i32);
        d.avg_power_w = f(detail, "average_watts").map(|v| v.round() as i32);
        d.max_power_w = f(detail, "max_watts").map(|v| v.round() as i32);
        d.timeseries_url = None;
        activity.timeseries = None;
        activity.geojson = None;
        activity.preview_coords = None;
        activity.point_count = 0;
    }
    Ok(Converted {
        activity,
        started_at: start_s,
        privacy: privacy_of(detail),
    })
}

/// The dedup key of Strava activity `id`: `sha256("strava:{id}")`, unique
/// per member in the store like any file's hash, so one Strava activity is
/// one bincio activity whatever its title or how many syncs race.
pub fn source_hash(id: i64) -> String {
    extract::source_hash(format!("strava:{id}").as_bytes())
}

fn laps(detail: &Value) -> Vec<Lap> {
    let Some(laps) = detail.get("laps").and_then(Value::as_array) else {
        return Vec::new();
    };
    laps.iter()
        .take(10_000)
        .enumerate()
        .filter_map(|(n, l)| {
            let started_at = DateTime::parse_from_rfc3339(s(l, "start_date")?)
                .ok()?
                .with_timezone(&Utc);
            Some(Lap {
                index: i(l, "lap_index")
                    .and_then(|x| u32::try_from(x).ok())
                    .unwrap_or(n as u32 + 1),
                started_at,
                duration_s: i(l, "elapsed_time"),
                distance_m: f(l, "distance").map(round1),
                elevation_gain_m: f(l, "total_elevation_gain").map(round1),
                avg_speed_kmh: f(l, "average_speed").map(|v| round1(v * 3.6)),
                avg_hr_bpm: f(l, "average_heartrate").map(|v| v.round() as i32),
                avg_power_w: f(l, "average_watts").map(|v| v.round() as i32),
            })
        })
        .collect()
}

/// The `data` array of stream `key`, if present.
fn stream<'a>(streams: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    streams.get(key)?.get("data")?.as_array()
}

fn points(
    streams: &Value,
    start_ms: i64,
    max_ms: i64,
    max_points: usize,
) -> Result<Vec<DataPoint>, String> {
    let Some(time) = stream(streams, "time") else {
        return Ok(Vec::new());
    };
    if time.len() > max_points {
        return Err(format!(
            "{} points in its streams (at most {max_points})",
            time.len()
        ));
    }
    let at = |key: &str, n: usize| stream(streams, key).and_then(|d| d.get(n));
    let num = |key: &str, n: usize| at(key, n).and_then(Value::as_f64).filter(|x| x.is_finite());
    let int = |key: &str, n: usize| num(key, n).map(|x| x.round() as i32);
    let mut out = Vec::with_capacity(time.len());
    for (n, t) in time.iter().enumerate() {
        let Some(t) = t.as_i64() else {
            return Err(format!("time[{n}] is not an integer"));
        };
        let ts_ms = start_ms.saturating_add(t.saturating_mul(1000));
        if ts_ms > max_ms || t < 0 {
            return Err(format!("time[{n}] out of range"));
        }
        let (lat, lon) = match at("latlng", n).and_then(Value::as_array) {
            Some(ll) if ll.len() == 2 => (
                ll[0].as_f64().filter(|x| (-90.0..=90.0).contains(x)),
                ll[1].as_f64().filter(|x| (-180.0..=180.0).contains(x)),
            ),
            _ => (None, None),
        };
        let (lat, lon) = if lat.is_some() && lon.is_some() {
            (lat, lon)
        } else {
            (None, None)
        };
        out.push(DataPoint {
            ts_ms,
            lat,
            lon,
            elevation_m: num("altitude", n),
            hr_bpm: int("heartrate", n),
            cadence_rpm: int("cadence", n),
            speed_kmh: num("velocity_smooth", n).map(|v| v * 3.6),
            power_w: int("watts", n),
            temperature_c: num("temp", n),
            distance_m: num("distance", n),
        });
    }
    out.sort_by_key(|p| p.ts_ms);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn streams_become_points_and_metrics() {
        let detail = json!({"id": 7, "name": "Lunch Ride", "sport_type": "Ride",
            "start_date": "2026-05-01T12:00:00Z", "private": false, "visibility": "everyone",
            "description": "windy", "gear": {"name": "Ti"},
            "laps": [{"lap_index": 1, "start_date": "2026-05-01T12:00:00Z", "elapsed_time": 60, "distance": 500.0}]});
        let n = 61;
        let streams = json!({
            "time": {"data": (0..n).collect::<Vec<i64>>()},
            "latlng": {"data": (0..n).map(|k| [45.0 + k as f64 * 0.0001, 9.0]).collect::<Vec<_>>()},
            "altitude": {"data": (0..n).map(|k| 100.0 + k as f64).collect::<Vec<_>>()},
            "heartrate": {"data": vec![140; n as usize]},
            "velocity_smooth": {"data": vec![10.0; n as usize]},
        });
        let c = convert(&detail, Some(&streams), now(), 1000).unwrap();
        let d = &c.activity.detail;
        assert_eq!(d.title, "Lunch Ride");
        assert_eq!(d.description.as_deref(), Some("windy"));
        assert_eq!(d.gear.as_deref(), Some("Ti"));
        assert_eq!(d.strava_id.as_deref(), Some("7"));
        assert_eq!(d.source.as_deref(), Some("strava"));
        assert_eq!(d.sport, "cycling");
        assert_eq!(d.avg_hr_bpm, Some(140));
        assert_eq!(d.max_speed_kmh, Some(36.0));
        assert_eq!(d.laps.len(), 1);
        assert!(d.distance_m.unwrap() > 600.0);
        assert!(c.activity.geojson.is_some() && c.activity.timeseries.is_some());
        assert_eq!(c.privacy, Privacy::Public);
    }

    #[test]
    fn manual_keeps_summary_and_privacy_maps() {
        let detail = json!({"id": 8, "name": "Gym", "type": "Run", "manual": true,
            "start_date": "2026-05-01T07:00:00Z", "distance": 5000.0, "moving_time": 1500,
            "elapsed_time": 1600, "visibility": "only_me"});
        let c = convert(&detail, None, now(), 1000).unwrap();
        let d = &c.activity.detail;
        assert_eq!(d.distance_m, Some(5000.0));
        assert_eq!(d.moving_time_s, Some(1500));
        assert_eq!(d.duration_s, Some(1600));
        assert!(c.activity.timeseries.is_none() && c.activity.geojson.is_none());
        assert_eq!(c.privacy, Privacy::Private);
        let fo = json!({"visibility": "followers_only"});
        assert_eq!(privacy_of(&fo), Privacy::Unlisted);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_activity() {
        let e = convert(&json!({"id": 9}), None, now(), 10).unwrap_err();
        assert!(e.to_string().contains("Strava activity 9"), "{e}");
        let detail = json!({"id": 9, "start_date": "2026-05-01T07:00:00Z"});
        let long = json!({"time": {"data": (0..20).collect::<Vec<i64>>()}});
        assert!(convert(&detail, Some(&long), now(), 10).is_err());
        let bad = json!({"time": {"data": ["x"]}});
        assert!(convert(&detail, Some(&bad), now(), 10).is_err());
    }
}
