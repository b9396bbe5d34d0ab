//! Elevation correction from a DEM (digital elevation model) service —
//! BincioActivity's "recalculate elevation / DEM" (`bincio.md` §4.10):
//!
//! 1. the GPS-valid indices of the stored timeseries (lat, lon and t all
//!    numbers) are sampled every 10th, plus the last one;
//! 2. the samples are looked up in batches of 512 through an
//!    [`ElevationSource`], each batch bounded by 30 s; a batch that fails, times
//!    out or answers the wrong number of values is skipped (its points count
//!    as missing) — the correction then works from what came back;
//! 3. at least two elevations must come back; they are linearly
//!    interpolated in `t` to every GPS index (rounded to 0.1 m), non-GPS
//!    indices become null;
//! 4. a sliding median over the valid values (window 60, i.e. `[i−30, i+31)`)
//!    removes DEM spikes, rounded to 0.1 m;
//! 5. gain / loss = hysteresis with a 10 m threshold;
//! 6. the previous `elevation_m` is backed up once as `elevation_m_original`
//!    (so repeated corrections and the hysteresis recalculation keep reading
//!    the recorded altitude), `elevation_m` is replaced, and the detail's
//!    gain / loss and the summary's gain are patched.
//!
//! Core knows no HTTP: the service is reached through [`ElevationSource`]
//! (the real one lives in `bincio-http`, tests use fakes). Its answers are
//! never trusted: a value that is not a finite, plausible elevation counts
//! as missing.

use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use super::elevation::{hysteresis, round1};
use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::model::User;

/// Most locations sent in one lookup.
pub const DEM_BATCH: usize = 512;
/// Time allowed for one batch; a slower batch is skipped.
pub const DEM_BATCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Every n-th GPS index is sampled.
pub const DEM_SAMPLE_EVERY: usize = 10;
/// Sliding-median window (values `[i − 30, i + 31)`).
pub const DEM_MEDIAN_WINDOW: usize = 60;
/// Hysteresis threshold for DEM elevations, metres.
pub const DEM_THRESHOLD_M: f64 = 10.0;
/// Elevations outside this range (metres) are treated as missing: nothing
/// on land is lower than the Dead Sea shore (−430 m) by much, nothing higher
/// than Everest.
pub const PLAUSIBLE_ELEVATION_M: (f64, f64) = (-1_000.0, 9_000.0);

/// One location to look up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Degrees, −90..=90.
    pub lat: f64,
    /// Degrees, −180..=180.
    pub lon: f64,
}

/// A DEM elevation service.
#[async_trait::async_trait]
pub trait ElevationSource: Send + Sync + 'static {
    /// Elevations in metres for `points` (at most [`DEM_BATCH`]), one per
    /// point in the same order, `None` where the service has no value.
    /// `Err` (a message for the log) means the whole batch failed; it is
    /// skipped, not fatal.
    async fn lookup(&self, points: &[LatLon]) -> Result<Vec<Option<f64>>, String>;
}

/// Result of a DEM correction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemResult {
    /// Metres, 1 decimal.
    pub elevation_gain_m: f64,
    /// Metres, 1 decimal.
    pub elevation_loss_m: f64,
    /// Locations sent to the service.
    pub points_queried: usize,
}

fn plausible(e: Option<f64>) -> Option<f64> {
    e.filter(|e| e.is_finite() && (PLAUSIBLE_ELEVATION_M.0..=PLAUSIBLE_ELEVATION_M.1).contains(e))
}

/// Indices `i` where `t[i]`, `lat[i]` and `lon[i]` are all numbers and the
/// position is on the globe.
pub fn gps_indices(t: &[Value], lat: &[Value], lon: &[Value]) -> Vec<usize> {
    let n = t.len().min(lat.len()).min(lon.len());
    (0..n)
        .filter(
            |&i| match (t[i].as_f64(), lat[i].as_f64(), lon[i].as_f64()) {
                (Some(t), Some(la), Some(lo)) => {
                    t.is_finite() && (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo)
                }
                _ => false,
            },
        )
        .collect()
}

/// Every [`DEM_SAMPLE_EVERY`]-th GPS index, plus the last one.
pub fn sample_indices(gps: &[usize]) -> Vec<usize> {
    let mut s: Vec<usize> = gps.iter().step_by(DEM_SAMPLE_EVERY).copied().collect();
    if let (Some(last), Some(end)) = (s.last(), gps.last()) {
        if last != end {
            s.push(*end);
        }
    }
    s
}

/// Piecewise-linear interpolation of the points `(x, y)` at `x`, with the
/// end values held outside the range (numpy's `interp`). `points` must be
/// sorted by `x` (NaN when empty); repeated `x` never divide by zero.
pub fn interpolate(points: &[(f64, f64)], x: f64) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return f64::NAN;
    };
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    // First point with xp > x; it exists and is not index 0 (x > first.0, x < last.0).
    let hi = points.partition_point(|p| p.0 <= x);
    let (x0, y0) = points[hi - 1];
    let (x1, y1) = points[hi];
    if x1 == x0 {
        return y0;
    }
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// Sliding median over `values`: entry `i` is the median of
/// `values[i − window/2 .. i + window/2 + 1]` (clipped to the slice; the
/// mean of the two middle values for an even count, like numpy).
pub fn sliding_median(values: &[f64], window: usize) -> Vec<f64> {
    let half = window / 2;
    let n = values.len();
    let mut buf = Vec::with_capacity(window + 1);
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            buf.clear();
            buf.extend_from_slice(&values[lo..hi]);
            median(&mut buf)
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let by = |a: &f64, b: &f64| a.total_cmp(b);
    let mid = n / 2;
    let (lower, m, _) = v.select_nth_unstable_by(mid, by);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        // The largest of the lower half is the other middle value.
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + m) / 2.0
    }
}

/// Look up `points` in batches; missing (failed, timed out, implausible)
/// values are `None`.
async fn lookup_all(source: &dyn ElevationSource, points: &[LatLon]) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(points.len());
    for batch in points.chunks(DEM_BATCH) {
        let answer = tokio::time::timeout(DEM_BATCH_TIMEOUT, source.lookup(batch)).await;
        match answer {
            Ok(Ok(v)) if v.len() == batch.len() => out.extend(v.into_iter().map(plausible)),
            Ok(Ok(v)) => {
                tracing::warn!(
                    sent = batch.len(),
                    got = v.len(),
                    "DEM batch answered the wrong number of elevations; skipped"
                );
                out.extend(std::iter::repeat_n(None, batch.len()));
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "DEM batch failed; skipped");
                out.extend(std::iter::repeat_n(None, batch.len()));
            }
            Err(_) => {
                tracing::warn!("DEM batch timed out; skipped");
                out.extend(std::iter::repeat_n(None, batch.len()));
            }
        }
    }
    out
}

fn array<'a>(ts: &'a Value, key: &str) -> Option<&'a Vec<Value>> {
    ts.get(key).and_then(Value::as_array)
}

impl Activities {
    /// Whether a DEM service is configured (reported by `/api/me`).
    pub fn dem_configured(&self) -> bool {
        self.elevation.is_some()
    }

    /// Correct the elevation of one of the owner's activities from the DEM
    /// service (see the module doc). `Unavailable` without a service,
    /// `NotFound` for an unknown id, `Unprocessable` without timeseries,
    /// without GPS or with fewer than two DEM answers.
    pub async fn recalculate_elevation_dem(&self, owner: &User, id: &str) -> CoreResult<DemResult> {
        let source = self.elevation.clone().ok_or_else(|| {
            CoreError::Unavailable("No DEM elevation service is configured".into())
        })?;
        let (rec, mut tracks) = self.owned_with_tracks(owner, id).await?;
        let ts = tracks
            .timeseries
            .as_mut()
            .filter(|t| t.is_object())
            .ok_or_else(|| CoreError::Unprocessable("This activity has no timeseries".into()))?;
        let no_gps = || CoreError::Unprocessable("This activity has no GPS data".into());
        let (Some(t), Some(lat), Some(lon)) = (array(ts, "t"), array(ts, "lat"), array(ts, "lon"))
        else {
            return Err(no_gps());
        };
        let gps = gps_indices(t, lat, lon);
        if gps.is_empty() {
            return Err(no_gps());
        }
        let n = t.len();
        let num = |a: &[Value], i: usize| a[i].as_f64().unwrap_or(f64::NAN);
        let sample = sample_indices(&gps);
        let points: Vec<LatLon> = sample
            .iter()
            .map(|&i| LatLon {
                lat: num(lat, i),
                lon: num(lon, i),
            })
            .collect();
        let elevations = lookup_all(source.as_ref(), &points).await;
        let mut known: Vec<(f64, f64)> = sample
            .iter()
            .zip(&elevations)
            .filter_map(|(&i, e)| e.map(|e| (num(t, i), e)))
            .collect();
        if known.len() < 2 {
            return Err(CoreError::Unprocessable(
                "The DEM service returned fewer than 2 elevations".into(),
            ));
        }
        // Stable: equal times keep the order of the track.
        known.sort_by(|a, b| a.0.total_cmp(&b.0));
        let interpolated: Vec<f64> = gps
            .iter()
            .map(|&i| round1(interpolate(&known, num(t, i))))
            .collect();
        let smoothed: Vec<f64> = sliding_median(&interpolated, DEM_MEDIAN_WINDOW)
            .into_iter()
            .map(round1)
            .collect();
        let (gain, loss) = hysteresis(&smoothed, DEM_THRESHOLD_M);

        let mut series = vec![Value::Null; n];
        for (&i, e) in gps.iter().zip(&smoothed) {
            series[i] = json!(e);
        }
        if let Some(obj) = ts.as_object_mut() {
            if !obj.contains_key("elevation_m_original") {
                let old = obj.get("elevation_m").cloned().unwrap_or(Value::Null);
                obj.insert("elevation_m_original".into(), old);
            }
            obj.insert("elevation_m".into(), Value::Array(series));
        }
        self.store_elevation(owner, rec, tracks, gain, loss).await?;
        Ok(DemResult {
            elevation_gain_m: gain,
            elevation_loss_m: loss,
            points_queried: points.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_every_tenth_and_the_last() {
        let gps: Vec<usize> = (0..25).collect();
        assert_eq!(sample_indices(&gps), vec![0, 10, 20, 24]);
        let gps: Vec<usize> = (0..21).collect();
        assert_eq!(sample_indices(&gps), vec![0, 10, 20]);
        assert_eq!(sample_indices(&[7]), vec![7]);
        assert!(sample_indices(&[]).is_empty());
    }

    #[test]
    fn gps_indices_skip_nulls_and_off_globe_points() {
        let t = vec![json!(0), json!(1), json!(2), json!(3), json!(null)];
        let lat = vec![
            json!(45.0),
            json!(null),
            json!(95.0),
            json!(45.1),
            json!(45.2),
        ];
        let lon = vec![json!(7.0), json!(7.0), json!(7.0), json!(7.1)];
        assert_eq!(gps_indices(&t, &lat, &lon), vec![0, 3]);
    }

    #[test]
    fn interpolation_is_linear_inside_and_held_outside() {
        let p = [(0.0, 100.0), (10.0, 200.0), (20.0, 100.0)];
        assert_eq!(interpolate(&p, -5.0), 100.0);
        assert_eq!(interpolate(&p, 0.0), 100.0);
        assert_eq!(interpolate(&p, 5.0), 150.0);
        assert_eq!(interpolate(&p, 10.0), 200.0);
        assert_eq!(interpolate(&p, 15.0), 150.0);
        assert_eq!(interpolate(&p, 25.0), 100.0);
        // Repeated x: no division by zero.
        let p = [(0.0, 1.0), (5.0, 2.0), (5.0, 3.0), (10.0, 4.0)];
        assert!(interpolate(&p, 5.0).is_finite());
        assert!(interpolate(&[], 1.0).is_nan());
    }

    #[test]
    fn median_window_removes_a_spike_and_keeps_a_ramp() {
        let mut flat = vec![100.0; 200];
        flat[100] = 900.0;
        let m = sliding_median(&flat, DEM_MEDIAN_WINDOW);
        assert_eq!(m.len(), 200);
        assert!(m.iter().all(|v| *v == 100.0), "{m:?}");
        // A ramp is a fixed point of a centred median away from the ends.
        let ramp: Vec<f64> = (0..200).map(f64::from).collect();
        let m = sliding_median(&ramp, DEM_MEDIAN_WINDOW);
        assert_eq!(&m[30..170], &ramp[30..170]);
        // Clipped window at the start: values[0..31] ⇒ median 15.
        assert_eq!(m[0], 15.0);
        // Even count: mean of the two middle values.
        assert_eq!(sliding_median(&[1.0, 2.0], 2), vec![1.5, 1.5]);
        assert!(sliding_median(&[], 60).is_empty());
    }

    #[test]
    fn implausible_elevations_are_missing() {
        assert_eq!(plausible(Some(1234.5)), Some(1234.5));
        assert_eq!(plausible(Some(-32768.0)), None);
        assert_eq!(plausible(Some(f64::INFINITY)), None);
        assert_eq!(plausible(None), None);
    }

    type Answer = Result<Vec<Option<f64>>, String>;

    struct Fake(fn(&[LatLon]) -> Answer);

    #[async_trait::async_trait]
    impl ElevationSource for Fake {
        async fn lookup(&self, points: &[LatLon]) -> Answer {
            assert!(points.len() <= DEM_BATCH);
            (self.0)(points)
        }
    }

    #[test]
    fn failed_and_short_batches_count_as_missing() {
        let pts: Vec<LatLon> = (0..1100)
            .map(|i| LatLon {
                lat: f64::from(i) * 1e-4,
                lon: 0.0,
            })
            .collect();
        // Batches: 512, 512, 76. The second fails, the third answers short.
        let fake = Fake(|p| match p.len() {
            512 if p[0].lat > 0.0 => Err("boom".into()),
            512 => Ok(vec![Some(10.0); 512]),
            n => Ok(vec![Some(10.0); n - 1]),
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let got = rt.block_on(lookup_all(&fake, &pts));
        assert_eq!(got.len(), 1100);
        assert!(got[..512].iter().all(|e| *e == Some(10.0)));
        assert!(got[512..].iter().all(Option::is_none));
    }
}
