//! The shape of an activity's route, for feed cards and the activity page
//! without map tiles.

use crate::decimate;
use crate::fmt::{open_svg, size, Px};

/// At most this many points are drawn; longer tracks are decimated evenly
/// (first and last point kept). 5 000 points are far more than a card or a
/// page column can show.
pub const MAX_TRACK_POINTS: usize = 5_000;

/// How [`track`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackOptions {
    /// The viewBox (`0 0 width height`); 16..=4000, else the default.
    pub width: f64,
    pub height: f64,
    /// Empty border around the shape, in viewBox units (so a round line cap
    /// or a start mark is not cut at the edge).
    pub padding: f64,
    /// The accessible name (`aria-label`), e.g. "Route of Morning ride".
    pub label: String,
    /// Draw the start and end marks.
    pub marks: bool,
    /// Line width in CSS pixels (the line has `vector-effect=
    /// "non-scaling-stroke"`, so it is the same on a phone and a desktop);
    /// a `stroke-width` attribute, which the stylesheet may override.
    pub stroke_width: f64,
    /// Radius of the start/end marks in viewBox units.
    pub mark_radius: f64,
}

impl Default for TrackOptions {
    /// A feed card: 300×200.
    fn default() -> Self {
        TrackOptions {
            width: 300.0,
            height: 200.0,
            padding: 10.0,
            label: "Route".to_owned(),
            marks: true,
            stroke_width: 3.0,
            mark_radius: 4.0,
        }
    }
}

/// The route `points` (`[lat, lon]` in degrees) as SVG: a polyline (class
/// `svg-track`) and, if asked, a start (`svg-start`) and end (`svg-end`) mark.
///
/// Projection: equirectangular, longitude scaled by cos(mean latitude) so a
/// route far from the equator is not stretched east-west; north up. The
/// shape is centred and fitted into the viewBox minus padding, aspect ratio
/// kept. A route crossing the antimeridian (longitude span > 180°) is drawn
/// unwrapped.
///
/// Privacy invariant: the output holds only viewBox coordinates (one
/// decimal, 0..width × 0..height); no latitude or longitude, nor the scale
/// or offset that would recover them, is ever written. Cutting privacy zones
/// is the caller's job (the preview is already cut); this function does not
/// leak more than the shape it is given.
///
/// Points that are not finite or out of range (|lat| > 90, |lon| > 180) are
/// skipped. `None` when fewer than 2 points remain. All points equal: a
/// valid picture with the marks at the centre.
pub fn track(points: &[[f64; 2]], opts: &TrackOptions) -> Option<String> {
    let valid: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|&[lat, lon]| {
            lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
        })
        .collect();
    if valid.len() < 2 {
        return None;
    }
    let pts = decimate::evenly(&valid, MAX_TRACK_POINTS);
    let xy = project(&pts);

    let (w, h) = (size(opts.width, 300.0), size(opts.height, 200.0));
    let pad = if opts.padding.is_finite() {
        opts.padding.clamp(0.0, w.min(h) / 2.0 - 4.0)
    } else {
        10.0
    };
    let (aw, ah) = (w - 2.0 * pad, h - 2.0 * pad);
    let (min_x, max_x) = bounds(xy.iter().map(|p| p.0));
    let (min_y, max_y) = bounds(xy.iter().map(|p| p.1));
    let (sx, sy) = (max_x - min_x, max_y - min_y);
    let scale = match (sx > 0.0, sy > 0.0) {
        (true, true) => (aw / sx).min(ah / sy),
        (true, false) => aw / sx,
        (false, true) => ah / sy,
        (false, false) => 0.0,
    };
    let scale = if scale.is_finite() { scale } else { 0.0 };
    let ox = pad + (aw - sx * scale) / 2.0;
    let oy = pad + (ah - sy * scale) / 2.0;
    let to_box = |(x, y): (f64, f64)| {
        (
            (ox + (x - min_x) * scale).clamp(0.0, w),
            (oy + (y - min_y) * scale).clamp(0.0, h),
        )
    };

    let sw = if opts.stroke_width.is_finite() {
        opts.stroke_width.clamp(0.5, 20.0)
    } else {
        3.0
    };
    let mut out = String::with_capacity(400 + xy.len() * 12);
    open_svg(&mut out, w, h, "svg-map", "img", &opts.label);
    w!(
        out,
        r#"<polyline class="svg-track" fill="none" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke" points=""#,
        Px(sw)
    );
    let mut last = String::new();
    for &p in &xy {
        let (x, y) = to_box(p);
        let s = format!("{},{}", Px(x), Px(y));
        // Consecutive points that round to the same place add nothing.
        if s != last {
            if !last.is_empty() {
                out.push(' ');
            }
            out.push_str(&s);
            last = s;
        }
    }
    out.push_str(r#""/>"#);
    if opts.marks {
        let r = if opts.mark_radius.is_finite() {
            opts.mark_radius.clamp(0.5, w.min(h) / 4.0)
        } else {
            4.0
        };
        let marks = [("svg-start", xy[0]), ("svg-end", xy[xy.len() - 1])];
        for (class, p) in marks {
            let (x, y) = to_box(p);
            w!(
                out,
                r#"<circle class="{class}" cx="{}" cy="{}" r="{}"/>"#,
                Px(x),
                Px(y),
                Px(r)
            );
        }
    }
    out.push_str("</svg>");
    Some(out)
}

/// Plane coordinates (x east, y south) in scaled degrees.
fn project(pts: &[[f64; 2]]) -> Vec<(f64, f64)> {
    let (lon_min, lon_max) = bounds(pts.iter().map(|p| p[1]));
    let wrap = lon_max - lon_min > 180.0;
    let mean_lat = pts.iter().map(|p| p[0]).sum::<f64>() / pts.len() as f64;
    // Near a pole cos → 0: keep a floor so x keeps some extent.
    let k = mean_lat.to_radians().cos().max(0.01);
    pts.iter()
        .map(|&[lat, lon]| {
            let lon = if wrap && lon < 0.0 { lon + 360.0 } else { lon };
            (lon * k, -lat)
        })
        .collect()
}

fn bounds(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlcheck::parse;

    fn polyline_points(svg: &str) -> Vec<(f64, f64)> {
        let e = parse(svg);
        let line = e.iter().find(|e| e.has_class("svg-track")).unwrap();
        line.attr("points")
            .unwrap()
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn draws_a_track_with_marks() {
        let pts = [[45.0, 7.0], [45.01, 7.0], [45.01, 7.02]];
        let svg = track(&pts, &TrackOptions::default()).unwrap();
        let e = parse(&svg);
        assert_eq!(e[0].attr("viewBox"), Some("0 0 300 200"));
        assert!(e[0].has_class("svg-map"));
        assert_eq!(e.iter().filter(|e| e.has_class("svg-start")).count(), 1);
        assert_eq!(e.iter().filter(|e| e.has_class("svg-end")).count(), 1);
        let p = polyline_points(&svg);
        assert_eq!(p.len(), 3);
        // North up: the second point (further north) is higher (smaller y).
        assert!(p[1].1 < p[0].1);
        // East right.
        assert!(p[2].0 > p[1].0);
        // Everything inside the padding.
        assert!(p
            .iter()
            .all(|&(x, y)| (10.0..=290.0).contains(&x) && (10.0..=190.0).contains(&y)));
    }

    #[test]
    fn shape_is_not_squashed_by_latitude() {
        // A "square" of 0.01° lat × 0.01°/cos(60°) lon at 60°N is square on the ground.
        let d = 0.01;
        let dl = d / 60f64.to_radians().cos();
        let pts = [
            [60.0, 10.0],
            [60.0 + d, 10.0],
            [60.0 + d, 10.0 + dl],
            [60.0, 10.0 + dl],
        ];
        let opts = TrackOptions {
            width: 200.0,
            height: 200.0,
            ..TrackOptions::default()
        };
        let p = polyline_points(&track(&pts, &opts).unwrap());
        let wx = p[2].0 - p[1].0;
        let hy = p[0].1 - p[1].1;
        assert!((wx - hy).abs() < 1.0, "{wx} vs {hy}");
    }

    #[test]
    fn no_raw_coordinates_in_the_output() {
        let pts = [
            [45.123456, 7.654321],
            [45.124456, 7.655321],
            [45.125456, 7.653321],
        ];
        let opts = TrackOptions {
            label: "Route".into(),
            ..TrackOptions::default()
        };
        let svg = track(&pts, &opts).unwrap();
        parse(&svg);
        for leak in ["45.12", "7.65"] {
            assert!(!svg.contains(leak), "{leak} in {svg}");
        }
    }

    #[test]
    fn degenerate_inputs() {
        let o = TrackOptions::default();
        assert!(track(&[], &o).is_none());
        assert!(track(&[[45.0, 7.0]], &o).is_none());
        assert!(track(&[[f64::NAN, 7.0], [45.0, f64::INFINITY], [45.0, 7.0]], &o).is_none());
        assert!(track(&[[91.0, 7.0], [45.0, 181.0]], &o).is_none());
        // Identical points: a valid picture, marks at the centre.
        let svg = track(&[[45.0, 7.0]; 3], &o).unwrap();
        let e = parse(&svg);
        let start = e.iter().find(|e| e.has_class("svg-start")).unwrap();
        assert_eq!((start.num("cx"), start.num("cy")), (150.0, 100.0));
        // A pure north-south line and an east-west one fit.
        for pts in [[[45.0, 7.0], [46.0, 7.0]], [[45.0, 7.0], [45.0, 8.0]]] {
            parse(&track(&pts, &o).unwrap());
        }
        // Silly options fall back.
        let silly = TrackOptions {
            width: f64::NAN,
            height: -1.0,
            padding: 1e9,
            stroke_width: f64::INFINITY,
            mark_radius: f64::NAN,
            marks: false,
            label: String::new(),
        };
        let svg = track(&[[45.0, 7.0], [45.1, 7.1]], &silly).unwrap();
        let e = parse(&svg);
        assert!(!e.iter().any(|e| e.has_class("svg-start")));
        // Near a pole, and across the antimeridian (drawn narrow, not world-wide).
        parse(&track(&[[89.99, 0.0], [89.99, 90.0]], &o).unwrap());
        let p = polyline_points(&track(&[[0.0, 179.9], [0.1, -179.9]], &o).unwrap());
        // 0.2° east and 0.1° north: twice as wide as high, not a world-wide line.
        let (dx, dy) = (p[1].0 - p[0].0, p[0].1 - p[1].1);
        assert!(dx > 0.0 && (dx / dy - 2.0).abs() < 0.05, "{p:?}");
    }

    #[test]
    fn points_are_capped() {
        let pts: Vec<[f64; 2]> = (0..50_000)
            .map(|i| {
                let t = i as f64 / 1000.0;
                [45.0 + t.sin() * 0.1, 7.0 + t * 0.001]
            })
            .collect();
        let svg = track(&pts, &TrackOptions::default()).unwrap();
        let n = polyline_points(&svg).len();
        assert!(n <= MAX_TRACK_POINTS, "{n}");
        assert!(svg.len() < 100_000, "{}", svg.len());
    }

    #[test]
    fn label_is_escaped() {
        let opts = TrackOptions {
            label: r#"Ride "<script>alert(1)</script>" & 'co'"#.into(),
            ..TrackOptions::default()
        };
        let svg = track(&[[45.0, 7.0], [45.1, 7.1]], &opts).unwrap();
        parse(&svg);
        assert!(!svg.contains("<script"));
        assert!(
            svg.contains("&lt;script&gt;")
                && svg.contains("&quot;")
                && svg.contains("&apos;co&apos;")
        );
    }
}
