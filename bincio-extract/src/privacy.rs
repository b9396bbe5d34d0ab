//! Privacy applied to BAS documents on the way out.
//!
//! The store keeps every activity complete (the owner always sees all of
//! it); what others receive is cut here, once, for every output path (API,
//! live `/data/` tree, static render):
//! * `no_gps`: no location anywhere — `bbox`, `start_latlng`, `end_latlng`,
//!   `preview_coords`, `track_url`, the GeoJSON and the `lat`/`lon` series;
//! * `blur_start`: every location output loses the points within 200 m
//!   (along the track) of the start and of the end; `bbox`, start / end and
//!   the preview are recomputed from what is left;
//! * `public` / `unlisted`: unchanged; `private` never leaves (callers 404).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Who may see an activity. The server enforces it; it is not a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// Listed in feeds, everything served.
    #[default]
    Public,
    /// Served to anyone with the link, never listed in a feed.
    Unlisted,
    /// Listed, but no location anywhere (bbox, start/end, track, preview,
    /// lat/lon series).
    NoGps,
    /// Listed; the first and last 200 m of every location output trimmed.
    BlurStart,
    /// Owner only.
    Private,
}

impl Privacy {
    /// Parse the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "unlisted" => Some(Self::Unlisted),
            "no_gps" => Some(Self::NoGps),
            "blur_start" => Some(Self::BlurStart),
            "private" => Some(Self::Private),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::NoGps => "no_gps",
            Self::BlurStart => "blur_start",
            Self::Private => "private",
        }
    }

    /// Shown in feeds to people other than the owner.
    pub fn is_listed(self) -> bool {
        matches!(self, Self::Public | Self::NoGps | Self::BlurStart)
    }

    /// True when no location may be published by the static extraction
    /// flow (`no_gps`, and legacy `private`).
    pub fn hides_location(self) -> bool {
        matches!(self, Self::NoGps | Self::Private)
    }

    /// Readable by id by people other than the owner.
    pub fn is_shared(self) -> bool {
        !matches!(self, Self::Private)
    }
}

/// Distance trimmed at each end by `blur_start`, metres.
pub const BLUR_METRES: f64 = 200.0;

const EARTH_RADIUS_M: f64 = 6_371_000.0;

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dp = p2 - p1;
    let dl = (b.1 - a.1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.min(1.0).sqrt().asin()
}

/// For a sequence of optional `(lat, lon)`, which entries survive
/// `blur_start`: those at least 200 m along the track from both ends.
fn blur_mask(points: &[Option<(f64, f64)>]) -> Vec<bool> {
    let mut cum = vec![0.0; points.len()];
    let mut last: Option<(f64, f64)> = None;
    let mut total = 0.0;
    for (i, p) in points.iter().enumerate() {
        if let Some(p) = p {
            if let Some(l) = last {
                total += haversine(l, *p);
            }
            last = Some(*p);
        }
        cum[i] = total;
    }
    points
        .iter()
        .zip(&cum)
        .map(|(p, d)| p.is_some() && *d >= BLUR_METRES && total - d >= BLUR_METRES)
        .collect()
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Cut a detail or summary document for `privacy`. `track` is the GeoJSON
/// coordinates (`[lon, lat, …]`) used to recompute blurred bounds.
pub fn cut_document(doc: &mut Value, privacy: Privacy, track: Option<&Value>) {
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    match privacy {
        Privacy::NoGps => {
            for k in [
                "bbox",
                "start_latlng",
                "end_latlng",
                "preview_coords",
                "track_url",
            ] {
                if obj.contains_key(k) {
                    obj.insert(k.to_owned(), Value::Null);
                }
            }
        }
        Privacy::BlurStart => {
            let kept = track.map(blurred_coords).unwrap_or_default();
            let latlng: Vec<(f64, f64)> = kept.iter().map(|c| (c[1], c[0])).collect();
            let bbox = if latlng.is_empty() {
                Value::Null
            } else {
                let (mut a, mut b, mut c, mut d) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
                for (lat, lon) in &latlng {
                    a = a.min(*lon);
                    b = b.min(*lat);
                    c = c.max(*lon);
                    d = d.max(*lat);
                }
                json!([a, b, c, d])
            };
            let first = latlng
                .first()
                .map(|p| json!([p.0, p.1]))
                .unwrap_or(Value::Null);
            let last = latlng
                .last()
                .map(|p| json!([p.0, p.1]))
                .unwrap_or(Value::Null);
            for (k, v) in [
                ("bbox", bbox),
                ("start_latlng", first),
                ("end_latlng", last),
            ] {
                if obj.contains_key(k) {
                    obj.insert(k.to_owned(), v);
                }
            }
            if let Some(prev) = obj.get("preview_coords").cloned() {
                obj.insert("preview_coords".into(), blur_preview(&prev, &latlng));
            }
        }
        Privacy::Public | Privacy::Unlisted | Privacy::Private => {}
    }
}

/// Preview points (`[lat, lon]`) that lie within the kept part: keep those
/// no closer than 200 m to the removed ends' surviving boundary points.
fn blur_preview(prev: &Value, kept: &[(f64, f64)]) -> Value {
    let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
        return Value::Null;
    };
    let Some(arr) = prev.as_array() else {
        return Value::Null;
    };
    let mut out: Vec<Value> = arr
        .iter()
        .filter_map(|p| {
            let (lat, lon) = (f(p.get(0)?)?, f(p.get(1)?)?);
            let here = (lat, lon);
            // A preview point survives when it is on the kept stretch, judged
            // by being no nearer to the true ends than the kept boundary is.
            (kept.iter().any(|k| haversine(*k, here) < 50.0)).then(|| json!([lat, lon]))
        })
        .collect();
    if out.len() < 2 {
        out = vec![json!([first.0, first.1]), json!([last.0, last.1])];
    }
    Value::Array(out)
}

/// The GeoJSON coordinates that survive `blur_start`.
fn blurred_coords(coords: &Value) -> Vec<Vec<f64>> {
    let pts: Vec<Vec<f64>> = coords
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    c.as_array()
                        .map(|c| c.iter().filter_map(f).collect::<Vec<f64>>())
                })
                .filter(|c| c.len() >= 2)
                .collect()
        })
        .unwrap_or_default();
    let latlng: Vec<Option<(f64, f64)>> = pts.iter().map(|c| Some((c[1], c[0]))).collect();
    let mask = blur_mask(&latlng);
    pts.into_iter()
        .zip(mask)
        .filter(|(_, m)| *m)
        .map(|(c, _)| c)
        .collect()
}

/// Cut a GeoJSON Feature; `None` when nothing may be shown.
pub fn cut_geojson(geo: &Value, privacy: Privacy) -> Option<Value> {
    match privacy {
        Privacy::NoGps | Privacy::Private => None,
        Privacy::Public | Privacy::Unlisted => Some(geo.clone()),
        Privacy::BlurStart => {
            let coords = geo.pointer("/geometry/coordinates")?;
            let all = coords.as_array()?;
            let latlng: Vec<Option<(f64, f64)>> = all
                .iter()
                .map(|c| Some((f(c.get(1)?)?, f(c.get(0)?)?)))
                .collect();
            let mask = blur_mask(&latlng);
            let mut out = geo.clone();
            let kept: Vec<Value> = all
                .iter()
                .zip(&mask)
                .filter(|(_, m)| **m)
                .map(|(c, _)| c.clone())
                .collect();
            if let Some(speeds) = geo.pointer("/properties/speeds").and_then(Value::as_array) {
                let s: Vec<Value> = speeds
                    .iter()
                    .zip(&mask)
                    .filter(|(_, m)| **m)
                    .map(|(v, _)| v.clone())
                    .collect();
                out["properties"]["speeds"] = Value::Array(s);
            }
            if out.get("properties").is_some_and(Value::is_object) {
                out["properties"]["point_count_simplified"] = json!(kept.len());
            }
            out["geometry"]["coordinates"] = Value::Array(kept);
            Some(out)
        }
    }
}

/// Cut a timeseries document (`t`, `lat`, `lon`, …).
pub fn cut_timeseries(ts: &Value, privacy: Privacy) -> Option<Value> {
    let mut out = ts.clone();
    match privacy {
        Privacy::Private => return None,
        Privacy::Public | Privacy::Unlisted => {}
        Privacy::NoGps => {
            if let Some(o) = out.as_object_mut() {
                o.insert("lat".into(), Value::Null);
                o.insert("lon".into(), Value::Null);
            }
        }
        Privacy::BlurStart => {
            let (Some(lat), Some(lon)) = (
                ts.get("lat").and_then(Value::as_array),
                ts.get("lon").and_then(Value::as_array),
            ) else {
                return Some(out);
            };
            let pts: Vec<Option<(f64, f64)>> = lat
                .iter()
                .zip(lon)
                .map(|(a, b)| Some((f(a)?, f(b)?)))
                .collect();
            let mask = blur_mask(&pts);
            let cut = |arr: &Vec<Value>| -> Value {
                Value::Array(
                    arr.iter()
                        .zip(&mask)
                        .map(|(v, m)| if *m { v.clone() } else { Value::Null })
                        .collect(),
                )
            };
            out["lat"] = cut(lat);
            out["lon"] = cut(lon);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straight line north, one point every ~11.1 m (0.0001° lat).
    fn line(n: usize) -> Vec<(f64, f64)> {
        (0..n).map(|i| (45.0 + i as f64 * 0.0001, 7.0)).collect()
    }

    #[test]
    fn blur_trims_200m_each_end() {
        let pts: Vec<_> = line(100).into_iter().map(Some).collect();
        let mask = blur_mask(&pts);
        let first = mask.iter().position(|m| *m).unwrap();
        let last = mask.iter().rposition(|m| *m).unwrap();
        let d0 = haversine(pts[0].unwrap(), pts[first].unwrap());
        let d1 = haversine(pts[last].unwrap(), pts[99].unwrap());
        assert!((200.0..212.0).contains(&d0), "{d0}");
        assert!((200.0..212.0).contains(&d1), "{d1}");
        // A track shorter than 400 m shows nothing.
        let short: Vec<_> = line(30).into_iter().map(Some).collect();
        assert!(blur_mask(&short).iter().all(|m| !m));
    }

    #[test]
    fn no_gps_removes_every_location() {
        let mut d = json!({"bbox": [1, 2, 3, 4], "start_latlng": [1, 2], "end_latlng": [3, 4],
                           "preview_coords": [[1, 2]], "track_url": "x", "title": "t"});
        cut_document(&mut d, Privacy::NoGps, None);
        assert_eq!(
            d,
            json!({"bbox": null, "start_latlng": null, "end_latlng": null,
                             "preview_coords": null, "track_url": null, "title": "t"})
        );
        let ts = json!({"t": [0, 1], "lat": [1.0, 2.0], "lon": [1.0, 2.0], "hr_bpm": [100, 101]});
        let c = cut_timeseries(&ts, Privacy::NoGps).unwrap();
        assert_eq!(
            c,
            json!({"t": [0, 1], "lat": null, "lon": null, "hr_bpm": [100, 101]})
        );
        assert!(cut_geojson(&json!({}), Privacy::NoGps).is_none());
    }

    #[test]
    fn blur_start_cuts_every_output() {
        let pts = line(100);
        let coords: Vec<Value> = pts.iter().map(|(la, lo)| json!([lo, la])).collect();
        let geo = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                         "properties": {"speeds": vec![json!(10.0); 100]}});
        let g = cut_geojson(&geo, Privacy::BlurStart).unwrap();
        let kept = g["geometry"]["coordinates"].as_array().unwrap();
        assert!(kept.len() < 70 && kept.len() > 50, "{}", kept.len());
        assert_eq!(
            g["properties"]["speeds"].as_array().unwrap().len(),
            kept.len()
        );
        let ts = json!({"t": (0..100).collect::<Vec<_>>(),
                        "lat": pts.iter().map(|p| p.0).collect::<Vec<_>>(),
                        "lon": pts.iter().map(|p| p.1).collect::<Vec<_>>()});
        let t = cut_timeseries(&ts, Privacy::BlurStart).unwrap();
        assert!(t["lat"][0].is_null() && t["lon"][99].is_null() && t["lat"][50].is_f64());
        let mut d = json!({"bbox": [7.0, 45.0, 7.0, 45.0099], "start_latlng": [45.0, 7.0],
                           "end_latlng": [45.0099, 7.0], "preview_coords": [[45.0, 7.0], [45.005, 7.0], [45.0099, 7.0]]});
        cut_document(
            &mut d,
            Privacy::BlurStart,
            Some(&geo["geometry"]["coordinates"]),
        );
        let start = d["start_latlng"][0].as_f64().unwrap();
        assert!(haversine((45.0, 7.0), (start, 7.0)) >= 200.0);
        let end = d["end_latlng"][0].as_f64().unwrap();
        assert!(haversine((45.0099, 7.0), (end, 7.0)) >= 200.0);
        assert!(d["bbox"][1].as_f64().unwrap() >= start);
        for p in d["preview_coords"].as_array().unwrap() {
            let lat = p[0].as_f64().unwrap();
            assert!(lat >= start && lat <= end, "{p}");
        }
    }
}
