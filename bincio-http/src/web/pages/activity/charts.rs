//! The activity page's charts and zones, computed on the server from the
//! timeseries the core handed out *for this viewer* (privacy and hidden
//! stats already cut: a hidden series is null here, so it is not drawn).
//!
//! The page carries one JSON block (`ChartData`) that `activity.js` draws
//! with uPlot, and one small server-drawn SVG per series that stays when
//! JavaScript is off. Both are decimated so a 14-hour, 50 000-sample ride
//! stays a light page: at most [`MAX_POINTS`] points in the JSON and
//! [`SVG_POINTS`] in each SVG.

use serde::Serialize;
use serde_json::Value;

use super::super::cards::uses_pace;
use crate::web::i18n::Strings;
use crate::web::units::Units;

/// Most samples sent to the charts.
pub(crate) const MAX_POINTS: usize = 2000;
/// Most samples drawn by each no-JavaScript profile.
pub(crate) const SVG_POINTS: usize = 400;

/// One chart: a series in display units.
#[derive(Debug, Serialize)]
pub(crate) struct Series {
    /// `elevation`, `speed`, `pace`, `hr`, `cadence`, `power`, `temperature`.
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub values: Vec<Option<f64>>,
}

/// Everything the charts and the map marker need, in display units.
#[derive(Debug, Serialize)]
pub(crate) struct ChartData {
    /// Seconds since the start.
    pub t: Vec<f64>,
    /// Distance from the start in the reader's unit, when known.
    pub d: Option<Vec<f64>>,
    pub dist_unit: &'static str,
    pub series: Vec<Series>,
    /// Position per sample (for the map marker), only when this viewer
    /// may see the track.
    pub lat: Option<Vec<Option<f64>>>,
    pub lon: Option<Vec<Option<f64>>>,
    /// Axis captions.
    pub x_time: &'static str,
    pub x_distance: &'static str,
}

fn column(ts: &Value, key: &str) -> Option<Vec<Option<f64>>> {
    let a = ts.get(key)?.as_array()?;
    let v: Vec<Option<f64>> = a
        .iter()
        .map(|x| x.as_f64().filter(|f| f.is_finite()))
        .collect();
    v.iter().any(Option::is_some).then_some(v)
}

/// Indices kept when `n` samples are thinned to at most `max` (evenly, the
/// last one always kept).
fn keep(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let step = n as f64 / (max - 1) as f64;
    let mut out: Vec<usize> = (0..max - 1).map(|i| (i as f64 * step) as usize).collect();
    out.push(n - 1);
    out.dedup();
    out
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.min(1.0).sqrt().asin()
}

/// Cumulative distance in metres per sample: from the positions when this
/// viewer has them, else from the speed; `None` when neither exists.
fn distance(
    t: &[f64],
    lat: Option<&[Option<f64>]>,
    lon: Option<&[Option<f64>]>,
    speed: Option<&[Option<f64>]>,
) -> Option<Vec<f64>> {
    let mut out = Vec::with_capacity(t.len());
    let mut total = 0.0;
    if let (Some(la), Some(lo)) = (lat, lon) {
        let mut last: Option<(f64, f64)> = None;
        for i in 0..t.len() {
            if let (Some(Some(a)), Some(Some(b))) = (la.get(i), lo.get(i)) {
                if let Some(p) = last {
                    total += haversine(p, (*a, *b));
                }
                last = Some((*a, *b));
            }
            out.push(total);
        }
        return (total > 0.0).then_some(out);
    }
    let sp = speed?;
    for i in 0..t.len() {
        if i > 0 {
            let dt = (t[i] - t[i - 1]).clamp(0.0, 60.0);
            total += sp.get(i).copied().flatten().unwrap_or(0.0) / 3.6 * dt;
        }
        out.push(total);
    }
    (total > 0.0).then_some(out)
}

/// The chart data of a timeseries, or `None` when it has no usable `t`.
pub(crate) fn chart_data(t_: &Strings, u: Units, sport: &str, ts: &Value) -> Option<ChartData> {
    let t_all: Vec<f64> = ts
        .get("t")?
        .as_array()?
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect();
    if t_all.len() < 2 || t_all.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let lat = column(ts, "lat");
    let lon = column(ts, "lon");
    let speed = column(ts, "speed_kmh");
    let dist = distance(&t_all, lat.as_deref(), lon.as_deref(), speed.as_deref());
    let idx = keep(t_all.len(), MAX_POINTS);
    let pick = |v: &[Option<f64>], f: &dyn Fn(f64) -> Option<f64>| -> Vec<Option<f64>> {
        idx.iter()
            .map(|&i| v.get(i).copied().flatten().and_then(f))
            .collect()
    };
    let round = |x: f64, p: f64| (x * p).round() / p;
    let (elev_unit, elev_f) = u.elevation_unit();
    let (speed_unit, speed_f) = u.speed_unit();
    let mut series = Vec::new();
    if let Some(v) = column(ts, "elevation_m") {
        series.push(Series {
            key: "elevation",
            label: t_.stat_elevation_chart,
            unit: elev_unit,
            values: pick(&v, &|x| Some(round(x * elev_f, 10.0))),
        });
    }
    if let Some(v) = &speed {
        if uses_pace(sport) {
            // Standing still is an endless pace: leave out what is slower
            // than three times the typical pace, so the axis shows running.
            let mut paces: Vec<f64> = v.iter().flatten().filter_map(|x| u.pace_secs(*x)).collect();
            paces.sort_by(f64::total_cmp);
            let cap = paces
                .get(paces.len() / 2)
                .map_or(3600.0, |m| (m * 3.0).min(3600.0));
            series.push(Series {
                key: "pace",
                label: t_.stat_pace_chart,
                unit: if u == Units::Metric { "/km" } else { "/mi" },
                values: pick(v, &|x| {
                    u.pace_secs(x).filter(|s| *s <= cap).map(|s| s.round())
                }),
            });
        } else {
            series.push(Series {
                key: "speed",
                label: t_.stat_speed_chart,
                unit: speed_unit,
                values: pick(v, &|x| Some(round(x * speed_f, 10.0))),
            });
        }
    }
    for (key, col, label, unit) in [
        ("hr", "hr_bpm", t_.stat_hr_chart, "bpm"),
        ("cadence", "cadence_rpm", t_.stat_cadence_chart, "rpm"),
        ("power", "power_w", t_.stat_power_chart, "W"),
    ] {
        if let Some(v) = column(ts, col) {
            series.push(Series {
                key,
                label,
                unit,
                values: pick(&v, &|x| Some(x.round())),
            });
        }
    }
    if let Some(v) = column(ts, "temperature_c") {
        let (unit, f): (&'static str, fn(f64) -> f64) = match u {
            Units::Metric => ("°C", |c| c),
            Units::Imperial => ("°F", |c| c * 9.0 / 5.0 + 32.0),
        };
        series.push(Series {
            key: "temperature",
            label: t_.stat_temperature_chart,
            unit,
            values: pick(&v, &|x| Some(round(f(x), 10.0))),
        });
    }
    let keep_pos =
        |v: &Option<Vec<Option<f64>>>| v.as_ref().map(|v| pick(v, &|x| Some(round(x, 100_000.0))));
    let (lat_k, lon_k) = (keep_pos(&lat), keep_pos(&lon));
    Some(ChartData {
        t: idx.iter().map(|&i| t_all[i]).collect(),
        d: dist.map(|d| {
            idx.iter()
                .map(|&i| round(d[i] * u.distance_factor(), 1000.0))
                .collect()
        }),
        dist_unit: u.distance_unit(),
        series,
        lat: lat_k.filter(|_| lon.is_some()),
        lon: lon_k.filter(|_| lat.is_some()),
        x_time: t_.axis_time,
        x_distance: t_.axis_distance,
    })
}

/// One row of the zones table.
#[derive(Debug, Clone)]
pub(crate) struct ZoneRow {
    pub name: String,
    pub range: String,
    pub time: String,
    /// Share of the recorded time, 0–100 (for a `<meter>`).
    pub percent: f64,
}

/// Time in each `[lo, hi)` zone of `col` (the last zone includes `hi`):
/// every sample counts for the seconds until the next one (pauses over a
/// minute count as a minute, so a stop does not land in zone 1).
pub(crate) fn zone_times(ts: &Value, col: &str, zones: &[(f64, f64)], unit: &str) -> Vec<ZoneRow> {
    let (Some(t), Some(v)) = (column(ts, "t"), column(ts, col)) else {
        return Vec::new();
    };
    if zones.is_empty() {
        return Vec::new();
    }
    let mut secs = vec![0.0; zones.len()];
    for i in 0..t.len().saturating_sub(1) {
        let (Some(a), Some(b), Some(x)) = (t[i], t[i + 1], v.get(i).copied().flatten()) else {
            continue;
        };
        let dt = (b - a).clamp(0.0, 60.0);
        let last = zones.len() - 1;
        if let Some(z) = zones
            .iter()
            .enumerate()
            .position(|(k, (lo, hi))| x >= *lo && (x < *hi || (k == last && x <= *hi)))
        {
            secs[z] += dt;
        }
    }
    let total: f64 = secs.iter().sum();
    if total <= 0.0 {
        return Vec::new();
    }
    zones
        .iter()
        .zip(secs)
        .enumerate()
        .map(|(i, ((lo, hi), s))| ZoneRow {
            name: format!("Z{}", i + 1),
            range: format!("{lo:.0}–{hi:.0} {unit}"),
            time: crate::web::fmt::clock(s),
            percent: (s / total * 1000.0).round() / 10.0,
        })
        .collect()
}

/// `(lo, hi)` pairs of an athlete config zone list.
pub(crate) fn zone_pairs(zones: Option<&Vec<[serde_json::Number; 2]>>) -> Vec<(f64, f64)> {
    zones
        .map(|z| {
            z.iter()
                .filter_map(|[lo, hi]| {
                    let (lo, hi) = (lo.as_f64()?, hi.as_f64()?);
                    (lo.is_finite() && hi.is_finite() && hi > lo).then_some((lo, hi))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::EN;
    use serde_json::json;

    #[test]
    fn thins_long_rides_and_keeps_the_end() {
        let n = 50_000;
        let t: Vec<f64> = (0..n).map(f64::from).collect();
        let e: Vec<f64> = (0..n).map(|i| f64::from(i % 100)).collect();
        let s: Vec<f64> = vec![25.0; n as usize];
        let ts = json!({"t": t, "elevation_m": e, "speed_kmh": s, "hr_bpm": null});
        let d = chart_data(&EN, Units::Metric, "cycling", &ts).unwrap();
        assert_eq!(d.t.len(), MAX_POINTS);
        assert_eq!(*d.t.last().unwrap(), f64::from(n - 1));
        assert_eq!(
            d.series.len(),
            2,
            "elevation and speed; a null series is not drawn"
        );
        assert!(d.lat.is_none() && d.lon.is_none());
        let km = d.d.unwrap();
        assert!(
            (km.last().unwrap() - 347.2).abs() < 0.1,
            "{}",
            km.last().unwrap()
        );
        let run = chart_data(&EN, Units::Metric, "running", &ts).unwrap();
        assert_eq!(run.series[1].key, "pace");
        assert_eq!(run.series[1].values[1], Some(144.0));
    }

    #[test]
    fn zones_split_the_time() {
        let ts = json!({"t": [0, 10, 20, 30, 40], "hr_bpm": [100, 130, 130, 170, 170]});
        let z = zone_times(
            &ts,
            "hr_bpm",
            &[(0.0, 120.0), (120.0, 150.0), (150.0, 200.0)],
            "bpm",
        );
        let times: Vec<&str> = z.iter().map(|r| r.time.as_str()).collect();
        assert_eq!(times, ["0:10", "0:20", "0:10"]);
        assert!(zone_times(&json!({"t": [0, 1]}), "hr_bpm", &[(0.0, 1.0)], "bpm").is_empty());
    }
}
