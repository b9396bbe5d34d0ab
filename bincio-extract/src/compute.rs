//! From a [`ParsedActivity`] to the BAS documents: metrics, privacy,
//! timeseries, track and preview.

use super::bas::{
    Activity, Detail, GeoJson, Geometry, LapOut, LegOut, Privacy, Timeseries, TrackProperties,
    BAS_VERSION,
};
use super::ids::{activity_id, auto_title, iso, source};
use super::metrics::{self, round_dp};
use super::model::{AltitudeSource, ParsedActivity};
use super::simplify::{preview, rdp_mask};

/// How much of the figures' location is published (privacy), and the
/// simplification settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub privacy: Privacy,
    /// RDP ε for the GeoJSON track (degrees).
    pub rdp_epsilon: f64,
    /// Maximum points of the feed preview.
    pub preview_max_points: usize,
    /// Distance trimmed at each end under [`Privacy::BlurStart`] (m).
    pub blur_m: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            privacy: Privacy::Public,
            rdp_epsilon: 0.0001,
            preview_max_points: 20,
            blur_m: 200.0,
        }
    }
}

/// Which points may show their location, under the privacy mode.
///
/// `no_gps` / `private`: none (the reference still published bbox and
/// start/end). `blur_start`: those at least `blur_m` of track distance from
/// both ends (the reference did not trim at all). Trimming uses the
/// cumulative GPS distance, so a stop at the start does not leak it.
fn location_mask(p: &ParsedActivity, cum: &[f64], opts: &Options) -> Vec<bool> {
    let has = |i: usize| p.points[i].latlon().is_some();
    match opts.privacy {
        Privacy::NoGps | Privacy::Private => vec![false; p.points.len()],
        Privacy::BlurStart => {
            let total = cum.last().copied().unwrap_or(0.0);
            (0..p.points.len())
                .map(|i| has(i) && cum[i] >= opts.blur_m && total - cum[i] >= opts.blur_m)
                .collect()
        }
        Privacy::Public | Privacy::Unlisted => (0..p.points.len()).map(has).collect(),
    }
}

/// Compute every figure and document of an activity. Pure: no I/O, no
/// clock; the same input always gives the same output.
pub fn compute(p: &ParsedActivity, opts: &Options) -> Activity {
    let pts = &p.points;
    let start_ms = pts.first().map_or(0, |x| x.ts_ms);
    let motion = metrics::motion(pts);
    let (gain, loss) = metrics::elevation(pts, p.altitude_source);
    let sport = if p.sport_inferred {
        metrics::inferred_sport(&motion, gain).to_string()
    } else {
        p.sport.clone()
    };
    let duration_s = (pts.len() >= 2).then(|| {
        let d = pts[pts.len() - 1].ts_ms - pts[0].ts_ms;
        d / 1000
    });
    let (avg_hr, max_hr) = metrics::int_stats(pts.iter().filter_map(|x| x.hr_bpm));
    let (avg_cad, _) = metrics::int_stats(pts.iter().filter_map(|x| x.cadence_rpm));
    let (avg_pw, max_pw) = metrics::int_stats(pts.iter().filter_map(|x| x.power_w));
    // The dense 1 Hz arrays serve MMP (power), device-speed best efforts and
    // the cycling best climb; skip building them when none applies.
    let needs_dense = pts.iter().filter(|x| x.power_w.is_some()).take(2).count() == 2
        || (motion.has_device_speed && !metrics::effort_targets(&sport).is_empty())
        || sport == "cycling";
    let dense = if needs_dense {
        metrics::dense(pts, start_ms)
    } else {
        None
    };
    let mmp = metrics::mmp(pts, dense.as_ref());
    let best_efforts = metrics::best_efforts(&sport, pts, &motion, dense.as_ref());
    let best_climb = metrics::best_climb(&sport, dense.as_ref());

    // Location, after privacy.
    let mask = location_mask(p, &motion.cumulative_m, opts);
    let loc_idx: Vec<usize> = (0..pts.len()).filter(|&i| mask[i]).collect();
    let coords: Vec<[f64; 2]> = loc_idx
        .iter()
        .filter_map(|&i| pts[i].latlon().map(|(la, lo)| [lo, la]))
        .collect();
    let bbox = if coords.is_empty() {
        None
    } else {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in &coords {
            b[0] = b[0].min(c[0]);
            b[1] = b[1].min(c[1]);
            b[2] = b[2].max(c[0]);
            b[3] = b[3].max(c[1]);
        }
        Some(b)
    };
    let start_latlng = coords.first().map(|c| [c[1], c[0]]);
    let end_latlng = coords.last().map(|c| [c[1], c[0]]);

    // Speed shown per point: the device's, else the rolling GPS speed.
    let speed_at = |i: usize| -> Option<f64> {
        pts[i]
            .speed_kmh
            .or(if motion.has_device_speed {
                None
            } else {
                motion.window_kmh[i]
            })
            .map(|v| round_dp(v, 2))
    };

    let started_at = p.started_at;
    let title = p
        .title
        .clone()
        .unwrap_or_else(|| auto_title(started_at, &sport));
    let id = activity_id(started_at, p.title.as_deref());

    // Timeseries: one sample per new whole second (points are sorted).
    let mut ts_idx = Vec::with_capacity(pts.len());
    let mut last_t: Option<i64> = None;
    for (i, x) in pts.iter().enumerate() {
        let d = x.ts_ms - start_ms;
        if d < 0 {
            continue;
        }
        let t = d / 1000;
        if last_t.is_some_and(|l| t <= l) {
            continue;
        }
        last_t = Some(t);
        ts_idx.push((i, t));
    }
    let timeseries = (!ts_idx.is_empty()).then(|| {
        let hide = opts.privacy.hides_location();
        let loc = |f: fn(&(f64, f64)) -> f64| -> Option<Vec<Option<f64>>> {
            (!hide).then(|| {
                ts_idx
                    .iter()
                    .map(|&(i, _)| {
                        mask[i]
                            .then(|| pts[i].latlon().map(|ll| round_dp(f(&ll), 7)))
                            .flatten()
                    })
                    .collect()
            })
        };
        Timeseries {
            t: ts_idx.iter().map(|&(_, t)| t).collect(),
            lat: loc(|ll| ll.0),
            lon: loc(|ll| ll.1),
            elevation_m: ts_idx
                .iter()
                .map(|&(i, _)| pts[i].elevation_m.map(|v| round_dp(v, 1)))
                .collect(),
            speed_kmh: ts_idx.iter().map(|&(i, _)| speed_at(i)).collect(),
            hr_bpm: ts_idx.iter().map(|&(i, _)| pts[i].hr_bpm).collect(),
            cadence_rpm: ts_idx.iter().map(|&(i, _)| pts[i].cadence_rpm).collect(),
            power_w: ts_idx.iter().map(|&(i, _)| pts[i].power_w).collect(),
            temperature_c: ts_idx
                .iter()
                .map(|&(i, _)| pts[i].temperature_c.map(|v| round_dp(v, 1)))
                .collect(),
        }
    });

    // Track and preview from the publishable GPS points only.
    let gps_idx: Vec<usize> = loc_idx
        .iter()
        .copied()
        .filter(|&i| pts[i].latlon().is_some())
        .collect();
    let geojson = (bbox.is_some() && gps_idx.len() >= 2).then(|| {
        let keep = rdp_mask(&coords, opts.rdp_epsilon);
        let mut coordinates = Vec::new();
        let mut speeds = Vec::new();
        for (k, &i) in gps_idx.iter().enumerate() {
            if !keep[k] {
                continue;
            }
            let (la, lo) = pts[i].latlon().unwrap_or_default();
            let mut c = vec![lo, la];
            if let Some(e) = pts[i].elevation_m {
                c.push(e);
            }
            coordinates.push(c);
            speeds.push(speed_at(i));
        }
        let n = coordinates.len();
        GeoJson {
            kind: "Feature".into(),
            geometry: Geometry {
                kind: "LineString".into(),
                coordinates,
            },
            properties: TrackProperties {
                id: id.clone(),
                speeds,
                simplification: "rdp".into(),
                rdp_epsilon: opts.rdp_epsilon,
                point_count_original: pts.len(),
                point_count_simplified: n,
            },
        }
    });
    let preview_coords = if geojson.is_some() {
        preview(&coords, opts.preview_max_points)
    } else {
        None
    };

    let detail = Detail {
        bas_version: BAS_VERSION.into(),
        id: id.clone(),
        title,
        description: p.description.clone(),
        sport,
        sub_sport: p.sub_sport.clone(),
        started_at: iso(started_at),
        distance_m: motion.distance_m,
        duration_s,
        moving_time_s: motion.moving_time_s,
        elevation_gain_m: gain,
        elevation_loss_m: loss,
        avg_speed_kmh: motion.avg_speed_kmh,
        max_speed_kmh: motion.max_speed_kmh,
        avg_hr_bpm: avg_hr,
        max_hr_bpm: max_hr,
        avg_cadence_rpm: avg_cad,
        avg_power_w: avg_pw,
        max_power_w: max_pw,
        gear: None,
        device: p.device.clone(),
        bbox,
        start_latlng,
        end_latlng,
        mmp,
        best_efforts,
        best_climb_m: best_climb,
        laps: p
            .laps
            .iter()
            .map(|l| LapOut {
                index: l.index,
                started_at: iso(l.started_at),
                duration_s: l.duration_s,
                distance_m: l.distance_m,
                elevation_gain_m: l.elevation_gain_m,
                avg_speed_kmh: l.avg_speed_kmh,
                avg_hr_bpm: l.avg_hr_bpm,
                avg_power_w: l.avg_power_w,
            })
            .collect(),
        legs: p
            .legs
            .iter()
            .map(|l| LegOut {
                index: l.index,
                sport: l.sport.clone(),
                sub_sport: l.sub_sport.clone(),
                started_at: iso(l.started_at),
                duration_s: l.duration_s,
                distance_m: l.distance_m,
                avg_speed_kmh: l.avg_speed_kmh,
                avg_hr_bpm: l.avg_hr_bpm,
            })
            .collect(),
        timeseries_url: timeseries
            .as_ref()
            .map(|_| format!("activities/{id}.timeseries.json")),
        source: Some(source(p.format, p.manufacturer.as_deref()).to_string()),
        source_file: p.source_file.clone(),
        source_hash: p.source_hash.clone(),
        altitude_source: match p.altitude_source {
            AltitudeSource::Barometric => "barometric",
            AltitudeSource::Gps => "gps",
            AltitudeSource::Unknown => "unknown",
        }
        .into(),
        strava_id: None,
        duplicate_of: None,
        privacy: opts.privacy,
        custom: serde_json::Map::new(),
    };
    Activity {
        detail,
        timeseries,
        geojson,
        preview_coords,
        point_count: pts.len(),
    }
}
