//! Activity metrics, following contract §4.4 formula by formula.
//!
//! Deliberate departures (each also listed in `docs/extraction.md`):
//! * points are sorted by time before anything is computed (done by
//!   [`super::parse_bytes`]), so out-of-order segments never yield negative
//!   durations or dropped timeseries samples;
//! * maximum speed: the device's speed channel when any point has one (as the
//!   reference); otherwise not the fastest single GPS segment (one position
//!   spike gave 330 km/h on a walk) but the fastest ~5 s rolling window of
//!   GPS distance: for every point, distance covered since the latest point
//!   at least [`MAX_SPEED_WINDOW_MS`] earlier, divided by that span;
//! * best efforts: from the device speed channel when present (reference),
//!   else from the cumulative GPS distance of the points themselves (the
//!   reference returns nothing for every GPS-only file).

use super::model::{AltitudeSource, DataPoint};
use super::sport;

/// Earth radius of the haversine formula (m).
pub const EARTH_RADIUS_M: f64 = 6_371_000.0;
/// Speeds at or above this count as moving (km/h).
pub const MOVING_KMH: f64 = 1.0;
/// Rolling window for the GPS-derived maximum speed.
pub const MAX_SPEED_WINDOW_MS: i64 = 5_000;
/// Dense 1 Hz arrays longer than this are not built (corrupt timestamps).
pub const MAX_DENSE_SPAN_S: i64 = 7 * 86_400;
/// MMP durations (s).
pub const MMP_DURATIONS: [usize; 15] = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 1200, 1800, 3600,
];

/// Great-circle distance in metres (R = 6 371 000 m).
pub fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.min(1.0).sqrt().asin()
}

/// Round to `n` decimals (half away from zero on the binary value, which
/// agrees with Python's `round` except on exact binary ties).
pub fn round_dp(x: f64, n: i32) -> f64 {
    let m = 10f64.powi(n);
    let r = (x * m).round() / m;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Motion figures of one activity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Motion {
    pub distance_m: Option<f64>,
    pub moving_time_s: Option<i64>,
    pub avg_speed_kmh: Option<f64>,
    pub max_speed_kmh: Option<f64>,
    /// Cumulative distance (m) at each point from GPS segments (or device
    /// speed × dt when a pair lacks positions); used for best efforts, the
    /// rolling max speed, derived speeds and privacy trimming.
    pub cumulative_m: Vec<f64>,
    /// Per-point speed over the rolling window (km/h), for files without a
    /// device speed channel.
    pub window_kmh: Vec<Option<f64>>,
    pub has_device_speed: bool,
}

/// Distance, moving time and speeds (contract §4.4 single pass).
pub fn motion(points: &[DataPoint]) -> Motion {
    let n = points.len();
    let mut cum = vec![0.0; n];
    let mut total = 0.0;
    let mut moving_s: i64 = 0;
    let mut moving_dist = 0.0;
    let mut any = false;
    for i in 1..n {
        let (a, b) = (&points[i - 1], &points[i]);
        cum[i] = cum[i - 1];
        let dt = (b.ts_ms - a.ts_ms) as f64 / 1000.0;
        if dt <= 0.0 {
            continue;
        }
        let (seg_m, seg_kmh) = match (a.latlon(), b.latlon(), a.speed_kmh) {
            (Some((la1, lo1)), Some((la2, lo2)), _) => {
                let m = haversine(la1, lo1, la2, lo2);
                (m, m / dt * 3.6)
            }
            (_, _, Some(v)) => (v / 3.6 * dt, v),
            _ => continue,
        };
        any = true;
        total += seg_m;
        cum[i] = total;
        if seg_kmh >= MOVING_KMH {
            moving_s += dt as i64;
            moving_dist += seg_m;
        }
    }
    let device_dist = points.iter().rev().find_map(|p| p.distance_m);
    let has_device_speed = points.iter().any(|p| p.speed_kmh.is_some());
    let window_kmh = rolling_speed(points, &cum);
    if !any {
        return Motion {
            distance_m: device_dist,
            cumulative_m: cum,
            window_kmh,
            has_device_speed,
            ..Motion::default()
        };
    }
    let distance_m = match device_dist {
        Some(d) if d > 0.0 => Some(d),
        _ if total > 0.0 => Some(round_dp(total, 1)),
        other => other,
    };
    let max_speed = if has_device_speed {
        points
            .iter()
            .filter_map(|p| p.speed_kmh)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    } else {
        window_kmh
            .iter()
            .flatten()
            .fold(None, |m: Option<f64>, v| Some(m.map_or(*v, |m| m.max(*v))))
            .filter(|v| *v > 0.0)
    };
    Motion {
        distance_m,
        moving_time_s: (moving_s != 0).then_some(moving_s),
        avg_speed_kmh: (moving_s > 0).then(|| round_dp(moving_dist / moving_s as f64 * 3.6, 2)),
        max_speed_kmh: max_speed.map(|v| round_dp(v, 2)),
        cumulative_m: cum,
        window_kmh,
        has_device_speed,
    }
}

/// Speed at each point over the latest window of at least
/// [`MAX_SPEED_WINDOW_MS`] ending there (None until the window is filled,
/// except that an activity shorter than the window uses its whole span).
fn rolling_speed(points: &[DataPoint], cum: &[f64]) -> Vec<Option<f64>> {
    let n = points.len();
    let mut out = vec![None; n];
    if n < 2 {
        return out;
    }
    let span = points[n - 1].ts_ms - points[0].ts_ms;
    if span <= 0 {
        return out;
    }
    if span < MAX_SPEED_WINDOW_MS {
        let v = cum[n - 1] / (span as f64 / 1000.0) * 3.6;
        out[n - 1] = Some(v);
        return out;
    }
    let mut j = 0usize;
    for i in 1..n {
        while j + 1 < i && points[i].ts_ms - points[j + 1].ts_ms >= MAX_SPEED_WINDOW_MS {
            j += 1;
        }
        let dt = points[i].ts_ms - points[j].ts_ms;
        if dt >= MAX_SPEED_WINDOW_MS {
            out[i] = Some((cum[i] - cum[j]) / (dt as f64 / 1000.0) * 3.6);
        }
    }
    out
}

/// Hysteresis elevation gain / loss (rounded to 0.1 m): a change counts only
/// once it reaches the threshold from the last committed elevation.
pub fn elevation(points: &[DataPoint], source: AltitudeSource) -> (Option<f64>, Option<f64>) {
    let th = match source {
        AltitudeSource::Barometric => 5.0,
        _ => 10.0,
    };
    hysteresis(points.iter().filter_map(|p| p.elevation_m), th)
}

/// Hysteresis over a sequence of elevations (None, None when < 2 values).
pub fn hysteresis(values: impl Iterator<Item = f64>, th: f64) -> (Option<f64>, Option<f64>) {
    let mut count = 0usize;
    let mut committed = 0.0;
    let (mut gain, mut loss) = (0.0f64, 0.0f64);
    for e in values {
        count += 1;
        if count == 1 {
            committed = e;
            continue;
        }
        let d = e - committed;
        if d.abs() >= th {
            if d > 0.0 {
                gain += d;
            } else {
                loss += d;
            }
            committed = e;
        }
    }
    if count < 2 {
        return (None, None);
    }
    (Some(round_dp(gain, 1)), Some(round_dp(loss.abs(), 1)))
}

/// `(avg, max)` of an integer channel; avg is the truncated mean.
pub fn int_stats(values: impl Iterator<Item = i32>) -> (Option<i32>, Option<i32>) {
    let (mut sum, mut n, mut max) = (0i64, 0i64, i32::MIN);
    for v in values {
        sum += i64::from(v);
        n += 1;
        max = max.max(v);
    }
    if n == 0 {
        (None, None)
    } else {
        (Some((sum / n) as i32), Some(max))
    }
}

/// Dense 1 Hz arrays over `[t_min, t_max]` (seconds since start).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub power: Vec<f64>,
    pub speed: Vec<f64>,
    pub elevation: Vec<Option<f64>>,
}

/// Build the 1 Hz helper series (contract §4.4): `t = int(ts − start)`,
/// skip `t < 0` or repeated `t`; gaps are 0 (power, speed) / None
/// (elevation); None when the span exceeds seven days.
pub fn dense(points: &[DataPoint], start_ms: i64) -> Option<Dense> {
    let mut samples: Vec<(i64, &DataPoint)> = Vec::with_capacity(points.len());
    let mut prev: Option<i64> = None;
    for p in points {
        let d = p.ts_ms - start_ms;
        if d < 0 {
            continue;
        }
        let t = d / 1000;
        if prev == Some(t) {
            continue;
        }
        prev = Some(t);
        samples.push((t, p));
    }
    let (t_min, t_max) = (samples.first()?.0, samples.last()?.0);
    if t_max - t_min > MAX_DENSE_SPAN_S || t_max < t_min {
        return None;
    }
    let len = (t_max - t_min + 1) as usize;
    let mut out = Dense {
        power: vec![0.0; len],
        speed: vec![0.0; len],
        elevation: vec![None; len],
    };
    for (t, p) in samples {
        let i = (t - t_min) as usize;
        out.power[i] = p.power_w.map_or(0.0, f64::from);
        out.speed[i] = p.speed_kmh.unwrap_or(0.0);
        out.elevation[i] = p.elevation_m;
    }
    Some(out)
}

/// Mean-maximal power `[[d, round_half_even(best/d)]]`.
pub fn mmp(points: &[DataPoint], dense: Option<&Dense>) -> Option<Vec<[i64; 2]>> {
    if points.iter().filter(|p| p.power_w.is_some()).count() < 2 {
        return None;
    }
    let power = &dense?.power;
    let n = power.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for v in power {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + v);
    }
    let mut out = Vec::new();
    for &d in &MMP_DURATIONS {
        if d > n {
            break;
        }
        let best = (d..=n)
            .map(|r| prefix[r] - prefix[r - d])
            .fold(f64::MIN, f64::max);
        out.push([d as i64, (best / d as f64).round_ties_even() as i64]);
    }
    (!out.is_empty()).then_some(out)
}

/// Best-effort target distances (km) per sport.
pub fn effort_targets(sport: &str) -> &'static [f64] {
    match sport {
        "running" => &[0.4, 1.0, 1.609, 5.0, 10.0, 21.097, 42.195],
        "cycling" => &[5.0, 10.0, 20.0, 50.0, 100.0],
        "swimming" => &[0.1, 0.2, 0.5, 1.0, 2.0],
        _ => &[],
    }
}

/// Best efforts `[[km, seconds]]` (see module doc for the two methods).
pub fn best_efforts(
    sport: &str,
    points: &[DataPoint],
    motion: &Motion,
    dense: Option<&Dense>,
) -> Option<Vec<[f64; 2]>> {
    let targets = effort_targets(sport);
    if targets.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    if motion.has_device_speed {
        let km: Vec<f64> = dense?.speed.iter().map(|v| v / 3600.0).collect();
        for &target in targets {
            let (mut left, mut acc, mut best) = (0usize, 0.0f64, None::<usize>);
            for right in 0..km.len() {
                acc += km[right];
                while left < right && acc - km[left] >= target {
                    acc -= km[left];
                    left += 1;
                }
                if acc >= target {
                    let w = right - left + 1;
                    best = Some(best.map_or(w, |b| b.min(w)));
                }
            }
            if let Some(b) = best {
                out.push([target, b as f64]);
            }
        }
    } else {
        let cum = &motion.cumulative_m;
        for &target in targets {
            let target_m = target * 1000.0;
            let (mut left, mut best) = (0usize, None::<i64>);
            for right in 0..points.len() {
                while left + 1 < right && cum[right] - cum[left + 1] >= target_m {
                    left += 1;
                }
                if cum[right] - cum[left] >= target_m {
                    let ms = points[right].ts_ms - points[left].ts_ms;
                    best = Some(best.map_or(ms, |b| b.min(ms)));
                }
            }
            if let Some(ms) = best {
                out.push([target, (ms as f64 / 1000.0).round()]);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Best continuous climb on the 1 Hz elevation (cycling only), Kadane with
/// a reset at every gap; None for < 2 samples or no climb.
pub fn best_climb(sport: &str, dense: Option<&Dense>) -> Option<f64> {
    if sport != "cycling" {
        return None;
    }
    let elev = &dense?.elevation;
    if elev.iter().flatten().count() < 2 {
        return None;
    }
    let (mut best, mut cur, mut prev) = (0.0f64, 0.0f64, None::<f64>);
    for e in elev {
        match (e, prev) {
            (None, _) => {
                prev = None;
                cur = 0.0;
            }
            (Some(e), Some(p)) => {
                cur = (cur + e - p).max(0.0);
                best = best.max(cur);
                prev = Some(*e);
            }
            (Some(e), None) => prev = Some(*e),
        }
    }
    (best > 0.0).then(|| round_dp(best, 1))
}

/// Sport for an untyped file, once its motion figures are known.
pub fn inferred_sport(m: &Motion, gain: Option<f64>) -> &'static str {
    sport::infer_from_speed(m.avg_speed_kmh, m.distance_m, gain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(s: i64) -> DataPoint {
        DataPoint {
            ts_ms: s * 1000,
            ..DataPoint::default()
        }
    }

    #[test]
    fn haversine_cases() {
        assert_eq!(haversine(1.0, 1.0, 1.0, 1.0), 0.0);
        let lp = haversine(51.5074, -0.1278, 48.8566, 2.3522);
        assert!((340_000.0..347_000.0).contains(&lp));
        let d = haversine(0.0, 0.0, 0.001, 0.0);
        assert!((110.0..112.0).contains(&d));
        assert_eq!(haversine(1.0, 2.0, 3.0, 4.0), haversine(3.0, 4.0, 1.0, 2.0));
    }

    #[test]
    fn elevation_hysteresis() {
        let v = [100.0, 150.0, 120.0];
        assert_eq!(hysteresis(v.into_iter(), 10.0), (Some(50.0), Some(30.0)));
        let steps = [0.0, 7.0, 0.0, 7.0];
        assert_eq!(hysteresis(steps.iter().copied(), 5.0).0, Some(14.0));
        assert_eq!(hysteresis(steps.iter().copied(), 10.0).0, Some(0.0));
        assert_eq!(hysteresis([1.0].into_iter(), 5.0), (None, None));
    }

    #[test]
    fn motion_with_stop_and_device_distance() {
        let mut pts: Vec<DataPoint> = (0..10).map(pt).collect();
        for (i, p) in pts.iter_mut().enumerate() {
            p.lat = Some(48.0 + if i < 5 { i as f64 * 0.0001 } else { 0.0004 });
            p.lon = Some(11.0);
        }
        let m = motion(&pts);
        assert_eq!(m.moving_time_s, Some(4));
        assert!(m.distance_m.unwrap() > 40.0);
        pts[9].distance_m = Some(500.0);
        assert_eq!(motion(&pts).distance_m, Some(500.0));
    }

    #[test]
    fn mmp_constant_and_peak() {
        let mut pts: Vec<DataPoint> = (0..600).map(pt).collect();
        for p in &mut pts {
            p.power_w = Some(200);
        }
        pts[100].power_w = Some(300);
        let d = dense(&pts, 0);
        let m = mmp(&pts, d.as_ref()).unwrap();
        assert_eq!(m[0], [1, 300]);
        assert_eq!(m.last().unwrap()[0], 600);
        let short: Vec<DataPoint> = (0..3)
            .map(|s| DataPoint {
                power_w: Some(100),
                ..pt(s)
            })
            .collect();
        let m = mmp(&short, dense(&short, 0).as_ref()).unwrap();
        assert!(m.iter().all(|x| x[0] <= 3));
    }

    #[test]
    fn best_efforts_device_speed() {
        let pts: Vec<DataPoint> = (0..3600)
            .map(|s| DataPoint {
                speed_kmh: Some(15.0),
                ..pt(s)
            })
            .collect();
        let m = motion(&pts);
        let be = best_efforts("running", &pts, &m, dense(&pts, 0).as_ref()).unwrap();
        let kms: Vec<f64> = be.iter().map(|x| x[0]).collect();
        assert!(kms.contains(&10.0) && !kms.contains(&42.195));
        assert_eq!(best_efforts("hiking", &pts, &m, None), None);
    }

    #[test]
    fn best_efforts_from_gps() {
        // 10 m every second = 36 km/h, 200 s → 2 km, no device speed.
        let pts: Vec<DataPoint> = (0..200)
            .map(|s| DataPoint {
                lat: Some(s as f64 * 10.0 / 111_194.9),
                lon: Some(0.0),
                ..pt(s)
            })
            .collect();
        let m = motion(&pts);
        let be = best_efforts("running", &pts, &m, None).unwrap();
        assert_eq!(be[0], [0.4, 40.0]);
        assert_eq!(be[1], [1.0, 100.0]);
        assert!((m.max_speed_kmh.unwrap() - 36.0).abs() < 0.1);
    }

    #[test]
    fn climb() {
        let pts: Vec<DataPoint> = (0..101)
            .map(|s| DataPoint {
                elevation_m: Some(s as f64),
                ..pt(s)
            })
            .collect();
        assert_eq!(best_climb("cycling", dense(&pts, 0).as_ref()), Some(100.0));
        assert_eq!(best_climb("running", dense(&pts, 0).as_ref()), None);
        let down: Vec<DataPoint> = (0..10)
            .map(|s| DataPoint {
                elevation_m: Some(-(s as f64)),
                ..pt(s)
            })
            .collect();
        assert_eq!(best_climb("cycling", dense(&down, 0).as_ref()), None);
    }
}
