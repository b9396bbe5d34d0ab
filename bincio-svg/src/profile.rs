//! A small line/area chart of one measure along an activity (elevation,
//! speed, heart rate… against distance or time): the no-JavaScript fallback
//! of the activity page's charts.

use crate::decimate;
use crate::fmt::{open_svg, size, text, text_width, Px};
use crate::ticks::nice_ticks;

/// At most this many points are drawn: the samples are cut into 500 runs,
/// each giving its lowest and highest value, so peaks survive.
pub const MAX_PROFILE_POINTS: usize = 1_000;
const FONT: f64 = 11.0;

/// How [`profile`] draws. The formatters receive *display* values (raw ×
/// scale) and return tick labels, e.g. `&|km| format!("{km} km")`.
pub struct ProfileOptions<'a> {
    /// The viewBox (`0 0 width height`); width 16..=4000, height 60..=4000,
    /// else the default.
    pub width: f64,
    pub height: f64,
    /// The accessible name (`aria-label`), e.g. "Elevation".
    pub label: String,
    /// Raw → display factors (e.g. metres → miles): ticks are chosen "nice"
    /// in display units, so imperial axes read 5 mi, not 8.05 km. Not
    /// finite or 0 means 1.
    pub x_scale: f64,
    pub y_scale: f64,
    pub x_fmt: &'a dyn Fn(f64) -> String,
    pub y_fmt: &'a dyn Fn(f64) -> String,
    /// Fill under the line (`svg-profile-area`).
    pub area: bool,
    /// Start the y axis at 0 (speed, power, heart rate) rather than near the
    /// lowest value (elevation).
    pub y_from_zero: bool,
}

impl Default for ProfileOptions<'static> {
    /// 480×160, numbers as [`crate::num`] prints them, with an area.
    fn default() -> Self {
        ProfileOptions {
            width: 480.0,
            height: 160.0,
            label: "Profile".to_owned(),
            x_scale: 1.0,
            y_scale: 1.0,
            x_fmt: &crate::num,
            y_fmt: &crate::num,
            area: true,
            y_from_zero: false,
        }
    }
}

/// The profile of `ys` against `xs` (paired by index; the longer one is cut
/// to the shorter): a line `svg-profile-line`, optionally the area under it
/// `svg-profile-area`, horizontal gridlines `svg-grid`, axes `svg-axis` and
/// tick labels `svg-label svg-tick` at 1-2-5 values of the display units.
///
/// A `None` y, or a non-finite x or y, breaks the line (a pause, a sensor
/// drop-out). The x axis spans exactly the data (a 42.3 km ride ends at the
/// right edge); the y axis is widened to nice ticks. At most
/// [`MAX_PROFILE_POINTS`] points are drawn (min/max per run). `None` when
/// fewer than 2 usable samples remain or they all share one x.
pub fn profile(xs: &[f64], ys: &[Option<f64>], opts: &ProfileOptions<'_>) -> Option<String> {
    let factor = |f: f64| if f.is_finite() && f != 0.0 { f } else { 1.0 };
    let (kx, ky) = (factor(opts.x_scale), factor(opts.y_scale));
    let n = xs.len().min(ys.len());
    let get = |i: usize| {
        let (x, y) = (xs[i] * kx, ys[i]? * ky);
        (x.is_finite() && y.is_finite()).then_some((x, y))
    };
    let mut count = 0usize;
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in (0..n).filter_map(get) {
        count += 1;
        (x_lo, x_hi) = (x_lo.min(x), x_hi.max(x));
        (y_lo, y_hi) = (y_lo.min(y), y_hi.max(y));
    }
    if count < 2 || !(x_hi - x_lo).is_finite() || x_hi - x_lo <= 0.0 {
        return None;
    }
    if opts.y_from_zero {
        (y_lo, y_hi) = (y_lo.min(0.0), y_hi.max(0.0));
    }
    let w = size(opts.width, 480.0);
    let h = if opts.height.is_finite() && opts.height >= 60.0 {
        size(opts.height, 160.0)
    } else {
        160.0
    };
    let yt = nice_ticks(y_lo, y_hi, if h >= 140.0 { 4 } else { 3 });
    let y_labels: Vec<String> = yt.values.iter().map(|&v| (opts.y_fmt)(v)).collect();
    // As many x ticks as the labels leave room for (they are the caller's,
    // "1:05:00" is wider than "5 km"), from one per 80 units down to 2.
    let mut x_ticks = Vec::new();
    let mut x_labels = Vec::new();
    for target in (2..=((w / 80.0) as usize).clamp(2, 10)).rev() {
        let xt = nice_ticks(x_lo, x_hi, target);
        x_ticks = xt
            .values
            .iter()
            .copied()
            .filter(|v| (x_lo..=x_hi).contains(v))
            .collect();
        x_labels = x_ticks.iter().map(|&v| (opts.x_fmt)(v)).collect();
        let widest = x_labels
            .iter()
            .map(|l| text_width(l, FONT))
            .fold(0.0, f64::max);
        let spacing = xt.step / (x_hi - x_lo) * w * 0.85;
        if spacing >= widest + 10.0 {
            break;
        }
    }

    // Room for the widest y label on the left, half the last x label on the right.
    let widest = y_labels
        .iter()
        .map(|l| text_width(l, FONT))
        .fold(0.0, f64::max);
    let x0 = (widest + 8.0).clamp(12.0, w / 3.0);
    let last = x_labels.last().map_or(0.0, |l| text_width(l, FONT) / 2.0);
    let x1 = w - last.clamp(6.0, w / 4.0);
    let (y0, y1) = (8.0, h - FONT - 8.0);
    let x_of = |x: f64| x0 + (x - x_lo) / (x_hi - x_lo) * (x1 - x0);
    let y_of = |y: f64| y1 - (y - yt.lo) / (yt.hi - yt.lo) * (y1 - y0);

    let mut out = String::with_capacity(4_000 + 24 * MAX_PROFILE_POINTS);
    open_svg(&mut out, w, h, "svg-profile", "img", &opts.label);
    out.push_str(r#"<path class="svg-grid" fill="none" vector-effect="non-scaling-stroke" d=""#);
    for &v in &yt.values[1..] {
        w!(out, "M{} {}H{}", Px(x0), Px(y_of(v)), Px(x1));
    }
    out.push_str(r#""/>"#);

    let pts = decimate::min_max(n, MAX_PROFILE_POINTS / 2, get);
    let runs: Vec<&[Option<(f64, f64)>]> = pts
        .split(Option::is_none)
        .filter(|r| !r.is_empty())
        .collect();
    if opts.area {
        out.push_str(r#"<path class="svg-profile-area" d=""#);
        for run in &runs {
            let (first, last) = (
                run[0].map_or(0.0, |p| p.0),
                run[run.len() - 1].map_or(0.0, |p| p.0),
            );
            w!(out, "M{} {}", Px(x_of(first)), Px(y1));
            for &(x, y) in run.iter().flatten() {
                w!(out, "L{} {}", Px(x_of(x)), Px(y_of(y)));
            }
            w!(out, "L{} {}Z", Px(x_of(last)), Px(y1));
        }
        out.push_str(r#""/>"#);
    }
    out.push_str(r#"<path class="svg-profile-line" fill="none" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke" d=""#);
    for run in &runs {
        for (k, &(x, y)) in run.iter().flatten().enumerate() {
            w!(
                out,
                "{}{} {}",
                if k == 0 { "M" } else { "L" },
                Px(x_of(x)),
                Px(y_of(y))
            );
        }
        if run.len() == 1 {
            // A lone sample between gaps: a dot (zero-length line, round cap).
            out.push_str("h0");
        }
    }
    out.push_str(r#""/>"#);

    w!(
        out,
        r#"<path class="svg-axis" fill="none" vector-effect="non-scaling-stroke" d="M{} {}V{}H{}"/>"#,
        Px(x0),
        Px(y0),
        Px(y1),
        Px(x1)
    );
    for (&v, label) in yt.values.iter().zip(&y_labels) {
        text(
            &mut out,
            "svg-label svg-tick",
            x0 - 4.0,
            y_of(v) + FONT * 0.35,
            "end",
            FONT,
            label,
        );
    }
    for (&v, label) in x_ticks.iter().zip(&x_labels) {
        text(
            &mut out,
            "svg-label svg-tick",
            x_of(v),
            y1 + FONT + 4.0,
            "middle",
            FONT,
            label,
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlcheck::parse;

    fn path_points(d: &str) -> usize {
        d.matches(['M', 'L']).count()
    }

    fn line_d(svg: &str) -> String {
        let e = parse(svg);
        e.iter()
            .find(|e| e.has_class("svg-profile-line"))
            .unwrap()
            .attr("d")
            .unwrap()
            .to_owned()
    }

    #[test]
    fn draws_line_area_and_caller_labels() {
        let xs: Vec<f64> = (0..=100).map(|i| f64::from(i) * 423.0).collect(); // metres
        let ys: Vec<Option<f64>> = (0..=100)
            .map(|i| Some(300.0 + f64::from(i % 50) * 10.0))
            .collect();
        let km = |v: f64| format!("{} km", crate::num(v));
        let m = |v: f64| format!("{v} m");
        let opts = ProfileOptions {
            x_scale: 0.001,
            x_fmt: &km,
            y_fmt: &m,
            label: "Elevation".into(),
            ..ProfileOptions::default()
        };
        let svg = profile(&xs, &ys, &opts).unwrap();
        let e = parse(&svg);
        assert!(e[0].has_class("svg-profile"));
        assert!(e.iter().any(|e| e.has_class("svg-profile-area")));
        let ticks: Vec<&str> = e
            .iter()
            .filter(|e| e.has_class("svg-tick"))
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            ticks.contains(&"0 km") && ticks.contains(&"10 km") && ticks.contains(&"40 km"),
            "{ticks:?}"
        );
        assert!(
            !ticks.iter().any(|t| t.contains("50 km")),
            "x axis ends at the data: {ticks:?}"
        );
        assert!(
            ticks.contains(&"400 m") && ticks.contains(&"800 m"),
            "{ticks:?}"
        );
        assert_eq!(path_points(&line_d(&svg)), 101);
        // y is flipped: the highest sample is nearest the top.
        let no_area = ProfileOptions {
            area: false,
            ..ProfileOptions::default()
        };
        let svg = profile(&[0.0, 1.0], &[Some(1.0), Some(2.0)], &no_area).unwrap();
        assert!(!svg.contains("svg-profile-area"));
        let d = line_d(&svg);
        let ys: Vec<f64> = d
            .split(['M', 'L'])
            .filter(|s| !s.is_empty())
            .map(|p| p.split(' ').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(ys[1] < ys[0]);
    }

    #[test]
    fn gaps_break_the_line() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let ys = [
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            Some(f64::NAN),
            Some(4.0),
            Some(5.0),
        ];
        let d = line_d(&profile(&xs, &ys, &ProfileOptions::default()).unwrap());
        assert_eq!(d.matches('M').count(), 3, "{d}");
        assert!(d.contains("h0"), "lone sample drawn as a dot: {d}");
        assert_eq!(path_points(&d), 5);
    }

    #[test]
    fn decimation_keeps_peaks_and_caps() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(f64::from).collect();
        let ys: Vec<Option<f64>> = (0..n)
            .map(|i| {
                Some(if i == 123_457 {
                    5_000.0
                } else {
                    f64::from(i % 7)
                })
            })
            .collect();
        let opts = ProfileOptions {
            y_from_zero: true,
            ..ProfileOptions::default()
        };
        let svg = profile(&xs, &ys, &opts).unwrap();
        let e = parse(&svg);
        let d = line_d(&svg);
        assert!(path_points(&d) <= MAX_PROFILE_POINTS, "{}", path_points(&d));
        // The one-sample summit survives: the highest point drawn sits
        // between the 4000 and 6000 gridlines.
        let tick_y = |t: &str| {
            e.iter()
                .find(|e| e.has_class("svg-tick") && e.text == t)
                .unwrap()
                .num("y")
        };
        let top = d
            .split(['M', 'L'])
            .filter(|s| !s.is_empty())
            .map(|p| p.split(' ').nth(1).unwrap().parse::<f64>().unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!(
            top > tick_y("6000") - FONT && top < tick_y("4000") - FONT,
            "peak lost: {top}"
        );
        assert!(svg.len() < 40_000, "{}", svg.len());
    }

    #[test]
    fn degenerate_inputs() {
        let o = ProfileOptions::default();
        assert!(profile(&[], &[], &o).is_none());
        assert!(profile(&[1.0], &[Some(1.0)], &o).is_none());
        assert!(profile(&[1.0, 1.0, 1.0], &[Some(1.0), Some(2.0), Some(3.0)], &o).is_none());
        assert!(profile(&[1.0, 2.0], &[None, None], &o).is_none());
        assert!(profile(&[f64::NAN, 2.0], &[Some(1.0), Some(1.0)], &o).is_none());
        // Flat values, mismatched lengths, huge values, silly options: valid.
        parse(&profile(&[0.0, 1.0, 2.0], &[Some(5.0), Some(5.0), Some(5.0)], &o).unwrap());
        parse(&profile(&[0.0, 1.0, 2.0, 3.0], &[Some(0.0), Some(0.0)], &o).unwrap());
        parse(&profile(&[0.0, 1.0], &[Some(-1e300), Some(1e300)], &o).unwrap());
        let silly = ProfileOptions {
            width: f64::INFINITY,
            height: 0.0,
            x_scale: f64::NAN,
            y_scale: 0.0,
            ..ProfileOptions::default()
        };
        parse(&profile(&[0.0, 1.0], &[Some(1.0), Some(2.0)], &silly).unwrap());
    }

    #[test]
    fn caller_labels_are_escaped() {
        let evil = |_: f64| "<script>\"'&".to_owned();
        let opts = ProfileOptions {
            x_fmt: &evil,
            y_fmt: &evil,
            label: "<x>".into(),
            ..ProfileOptions::default()
        };
        let svg = profile(&[0.0, 1.0], &[Some(1.0), Some(2.0)], &opts).unwrap();
        parse(&svg);
        assert!(!svg.contains("<script") && !svg.contains("<x>"));
        assert!(svg.contains("&lt;script&gt;&quot;&apos;&amp;"));
    }
}
