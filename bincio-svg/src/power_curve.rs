//! Mean-maximal power: for each duration, the best average power held that
//! long. Durations on a log axis, so 5 s and 2 h both get room.

use crate::fmt::{clip, escape, open_svg, size, text, text_width, Px};
use crate::ticks::nice_ticks;

/// At most this many series are drawn (the rest are ignored): more could not
/// be told apart, and it bounds the output.
pub const MAX_SERIES: usize = 8;
/// Samples above this are not human power and are skipped (a bad sensor or a
/// hostile document would otherwise flatten every real curve).
pub const MAX_WATTS: f64 = 10_000.0;

/// Horizontal resolution of a curve: one sample per this many viewBox units
/// of the x axis (the highest in that slice). Bounds the points per series to
/// about plot width / 2 (≈ 220 at the default size) whatever the input.
const X_BUCKET: f64 = 2.0;
const FONT: f64 = 11.0;

/// One curve of [`power_curve`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CurveSeries {
    /// Legend and tooltip name, e.g. "all time", "last 90 days", "2025".
    pub label: String,
    /// `(duration in seconds, watts)`. Any order; duration 0, watts not
    /// finite, negative or above [`MAX_WATTS`] are skipped; for a duration
    /// given twice the higher watts count.
    pub points: Vec<(u32, f64)>,
}

/// How [`power_curve`] draws.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerCurveOptions {
    /// The viewBox (`0 0 width height`); width 16..=4000 and height
    /// 120..=4000, else the default.
    pub width: f64,
    pub height: f64,
    /// The accessible name (`aria-label`).
    pub label: String,
    /// Functional threshold power: a dashed line `svg-ftp` labelled
    /// "FTP 250 W". `None`, or not a positive finite power, draws none.
    pub ftp: Option<f64>,
}

impl Default for PowerCurveOptions {
    /// 480×280: text (11 units) stays readable scaled to a 360 px phone
    /// column (≈ 8 px) and at a desktop column capped around 760 px (≈ 17 px).
    fn default() -> Self {
        PowerCurveOptions {
            width: 480.0,
            height: 280.0,
            label: "Power curve".to_owned(),
            ftp: None,
        }
    }
}

/// Duration for people: `1 s`, `30 s`, `1 min`, `1 min 30 s`, `5 min`,
/// `1 h`, `1 h 30 min` (seconds are dropped once there are hours).
pub fn format_duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// Tick candidates on the duration axis, with their short labels.
const X_TICKS: [(u32, &str); 12] = [
    (1, "1s"),
    (5, "5s"),
    (15, "15s"),
    (30, "30s"),
    (60, "1m"),
    (300, "5m"),
    (1200, "20m"),
    (3600, "1h"),
    (7200, "2h"),
    (18_000, "5h"),
    (36_000, "10h"),
    (86_400, "24h"),
];

/// The power curve chart of `series` (series `i` is drawn with classes
/// `svg-curve svg-series-{i}`), with:
/// * x: log scale of duration from 1 s to the longest duration present, at
///   least 1 h; ticks from 1s, 5s, 15s, 30s, 1m, 5m, 20m, 1h, 2h, 5h… that
///   fit without overlapping;
/// * y: watts from 0 to a 1-2-5 "nice" value above the largest power and
///   the FTP, 4–6 gridlines;
/// * one invisible `<circle class="svg-pt">` per drawn sample with
///   `data-secs`, `data-watts` (rounded), `data-series` and a `<title>` like
///   "5 min · 312 W · all time", for hover and later JavaScript; `fill="none"
///   pointer-events="all"` makes it hoverable and invisible without CSS;
/// * a legend (`svg-legend-swatch svg-series-{i}` + label) under the axis.
///
/// Bounded: at most [`MAX_SERIES`] series and one sample per 2 viewBox units
/// of the x axis per series (the best power of that slice), so a curve of
/// 86 400 one-second samples draws ~220 points. `None` when no series has a
/// usable point.
pub fn power_curve(series: &[CurveSeries], opts: &PowerCurveOptions) -> Option<String> {
    let series: Vec<(String, Vec<(u32, f64)>)> = series
        .iter()
        .take(MAX_SERIES)
        .map(|s| (clip(s.label.trim(), 40), clean(&s.points)))
        .collect();
    let max_secs = series
        .iter()
        .filter_map(|s| s.1.last())
        .map(|p| p.0)
        .max()?;
    let max_watts = series
        .iter()
        .flat_map(|s| &s.1)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    let ftp = opts
        .ftp
        .filter(|f| f.is_finite() && *f > 0.0 && *f <= MAX_WATTS);

    let w = size(opts.width, 480.0);
    let h = if opts.height.is_finite() && opts.height >= 120.0 {
        size(opts.height, 280.0)
    } else {
        280.0
    };
    let x_hi = f64::from(max_secs.max(3600));
    let top = max_watts.max(ftp.unwrap_or(0.0));
    let top = if top > 0.0 { top * 1.04 } else { 100.0 };
    // 4–6 intervals: the first target giving that (5 is usually it; 1175 W
    // would give 0/500/1000/1500 with 5, so 6 gives steps of 200).
    let yt = [5, 6, 4, 7]
        .into_iter()
        .map(|t| nice_ticks(0.0, top, t))
        .find(|t| (5..=7).contains(&t.values.len()))
        .unwrap_or_else(|| nice_ticks(0.0, top, 5));

    // Layout, top to bottom: plot, x tick labels, legend rows.
    let legend = legend_rows(&series, w - 16.0);
    let rows = legend.iter().map(|r| r.2).max().map_or(0, |r| r + 1) as f64;
    let x0 = 8.0 + text_width(&Px(yt.hi).to_string(), FONT).max(text_width("W", FONT)) + 6.0;
    let x1 = w - 14.0;
    let y0 = 16.0;
    let y1 = (h - 22.0 - rows * 16.0).max(y0 + 40.0);
    let x_of = |secs: f64| x0 + secs.max(1.0).ln() / x_hi.ln() * (x1 - x0);
    let y_of = |watts: f64| y1 - watts / yt.hi * (y1 - y0);

    let mut out = String::with_capacity(8_000);
    open_svg(&mut out, w, h, "svg-power-curve", "img", &opts.label);

    // Grid: a line per y tick above 0, and per kept x tick.
    let mut xticks: Vec<(f64, &str)> = Vec::new();
    for (secs, label) in X_TICKS {
        let x = x_of(f64::from(secs));
        if f64::from(secs) <= x_hi && xticks.last().is_none_or(|&(px, _)| x - px >= 28.0) {
            xticks.push((x, label));
        }
    }
    out.push_str(r#"<path class="svg-grid" fill="none" vector-effect="non-scaling-stroke" d=""#);
    for &v in yt.values.iter().filter(|&&v| v > 0.0) {
        w!(out, "M{} {}H{}", Px(x0), Px(y_of(v)), Px(x1));
    }
    for &(x, _) in xticks.iter().skip(1) {
        w!(out, "M{} {}V{}", Px(x), Px(y0), Px(y1));
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
    for &v in &yt.values {
        text(
            &mut out,
            "svg-label svg-tick",
            x0 - 4.0,
            y_of(v) + FONT * 0.35,
            "end",
            FONT,
            &crate::num(v),
        );
    }
    text(
        &mut out,
        "svg-label svg-unit",
        x0 - 4.0,
        y0 - 6.0,
        "end",
        FONT,
        "W",
    );
    for &(x, label) in &xticks {
        text(
            &mut out,
            "svg-label svg-tick",
            x,
            y1 + FONT + 3.0,
            "middle",
            FONT,
            label,
        );
    }

    if let Some(ftp) = ftp {
        let y = y_of(ftp);
        w!(
            out,
            r#"<line class="svg-ftp" x1="{}" y1="{}" x2="{}" y2="{}" stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/>"#,
            Px(x0),
            Px(y),
            Px(x1),
            Px(y)
        );
        // On the left, where the curve is usually far above the FTP.
        let label = format!("FTP {} W", ftp.round());
        text(
            &mut out,
            "svg-label svg-ftp-label",
            x0 + 4.0,
            y - 4.0,
            "start",
            FONT,
            &label,
        );
    }

    let drawn: Vec<Vec<(u32, f64)>> = series.iter().map(|s| bucket(&s.1, &x_of)).collect();
    for (i, pts) in drawn.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        w!(
            out,
            r#"<polyline class="svg-curve svg-series-{i}" fill="none" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke" points=""#
        );
        // A single sample is drawn as a zero-length line: a dot (round cap).
        let twice = if pts.len() == 1 { 2 } else { 1 };
        for (k, &(secs, watts)) in pts.iter().cycle().take(pts.len() * twice).enumerate() {
            let sep = if k == 0 { "" } else { " " };
            w!(
                out,
                "{sep}{},{}",
                Px(x_of(f64::from(secs))),
                Px(y_of(watts))
            );
        }
        out.push_str(r#""/>"#);
    }
    out.push_str(r#"<g class="svg-pts">"#);
    for (i, pts) in drawn.iter().enumerate() {
        let name = escape(&series[i].0);
        for &(secs, watts) in pts {
            let tip = format!("{} · {} W", format_duration(secs), watts.round());
            w!(
                out,
                r#"<circle class="svg-pt" cx="{}" cy="{}" r="4" fill="none" pointer-events="all" data-secs="{secs}" data-watts="{}" data-series="{i}"><title>{}{}{name}</title></circle>"#,
                Px(x_of(f64::from(secs))),
                Px(y_of(watts)),
                watts.round(),
                tip,
                if name.is_empty() { "" } else { " · " },
            );
        }
    }
    out.push_str("</g>");

    out.push_str(r#"<g class="svg-legend">"#);
    for &(i, x, row) in &legend {
        let y = y1 + 22.0 + f64::from(row) * 16.0;
        w!(
            out,
            r#"<rect class="svg-legend-swatch svg-series-{i}" x="{}" y="{}" width="12" height="4" rx="1"/>"#,
            Px(8.0 + x),
            Px(y + 2.0)
        );
        text(
            &mut out,
            "svg-label",
            8.0 + x + 16.0,
            y + FONT * 0.7,
            "start",
            FONT,
            &series[i].0,
        );
    }
    out.push_str("</g></svg>");
    Some(out)
}

/// Usable samples, sorted by duration, one per duration (the highest).
fn clean(points: &[(u32, f64)]) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .copied()
        .filter(|&(s, w)| s > 0 && w.is_finite() && (0.0..=MAX_WATTS).contains(&w))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    v.dedup_by_key(|p| p.0);
    v
}

/// One sample per [`X_BUCKET`] of x (the highest power in it), in order.
fn bucket(points: &[(u32, f64)], x_of: &dyn Fn(f64) -> f64) -> Vec<(u32, f64)> {
    let mut out: Vec<(u32, f64)> = Vec::new();
    let mut last_key = None;
    for &(secs, watts) in points {
        let key = (x_of(f64::from(secs)) / X_BUCKET).floor() as i64;
        if last_key == Some(key) {
            if let Some(prev) = out.last_mut() {
                if watts > prev.1 {
                    *prev = (secs, watts);
                }
            }
        } else {
            out.push((secs, watts));
            last_key = Some(key);
        }
    }
    out
}

/// Legend items `(series index, x offset, row)` of the series that have
/// points, wrapping rows at `avail` width.
fn legend_rows(series: &[(String, Vec<(u32, f64)>)], avail: f64) -> Vec<(usize, f64, u32)> {
    let mut out = Vec::new();
    let (mut x, mut row) = (0.0, 0u32);
    for (i, (label, _)) in series.iter().enumerate().filter(|(_, s)| !s.1.is_empty()) {
        let item = 16.0 + text_width(label, FONT) + 14.0;
        if x > 0.0 && x + item > avail {
            x = 0.0;
            row += 1;
        }
        out.push((i, x, row));
        x += item;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlcheck::{parse, Elem};

    fn series(label: &str, pts: &[(u32, f64)]) -> CurveSeries {
        CurveSeries {
            label: label.into(),
            points: pts.to_vec(),
        }
    }

    fn sample() -> Vec<CurveSeries> {
        vec![
            series(
                "all time",
                &[
                    (1, 900.0),
                    (5, 800.0),
                    (60, 450.0),
                    (300, 312.0),
                    (1200, 270.0),
                    (3600, 240.0),
                ],
            ),
            series("last 90 days", &[(1, 850.0), (60, 420.0), (1200, 250.0)]),
        ]
    }

    fn pt(e: &[Elem], secs: u32, series: u32) -> &Elem {
        e.iter()
            .find(|e| {
                e.has_class("svg-pt")
                    && e.attr("data-secs") == Some(&secs.to_string())
                    && e.attr("data-series") == Some(&series.to_string())
            })
            .unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(1), "1 s");
        assert_eq!(format_duration(30), "30 s");
        assert_eq!(format_duration(60), "1 min");
        assert_eq!(format_duration(90), "1 min 30 s");
        assert_eq!(format_duration(300), "5 min");
        assert_eq!(format_duration(3600), "1 h");
        assert_eq!(format_duration(5400), "1 h 30 min");
        assert_eq!(format_duration(5405), "1 h 30 min");
    }

    #[test]
    fn draws_log_x_and_titles() {
        let svg = power_curve(&sample(), &PowerCurveOptions::default()).unwrap();
        let e = parse(&svg);
        assert!(e[0].has_class("svg-power-curve"));
        assert_eq!(e.iter().filter(|e| e.has_class("svg-curve")).count(), 2);
        assert!(e
            .iter()
            .any(|e| e.has_class("svg-series-1") && e.has_class("svg-curve")));
        let (x5, x60, x1200) = (
            pt(&e, 5, 0).num("cx"),
            pt(&e, 60, 0).num("cx"),
            pt(&e, 1200, 0).num("cx"),
        );
        assert!(x5 < x60 && x60 < x1200);
        // Log scale: 1 s → 1 min is as wide as 1 min → 1 h.
        let (x1, x3600) = (pt(&e, 1, 0).num("cx"), pt(&e, 3600, 0).num("cx"));
        assert!(((x60 - x1) - (x3600 - x60)).abs() < 0.5);
        // More watts is higher.
        assert!(pt(&e, 1, 0).num("cy") < pt(&e, 3600, 0).num("cy"));
        let p = pt(&e, 300, 0);
        assert_eq!(p.attr("data-watts"), Some("312"));
        let title = e
            .iter()
            .find(|t| {
                t.name == "title" && t.parent.map(|i| &e[i]).is_some_and(|x| std::ptr::eq(x, p))
            })
            .unwrap();
        assert_eq!(title.text, "5 min · 312 W · all time");
        let ticks: Vec<&str> = e
            .iter()
            .filter(|e| e.has_class("svg-tick"))
            .map(|e| e.text.as_str())
            .collect();
        for t in [
            "1s", "5s", "1m", "5m", "20m", "1h", "0", "200", "400", "800", "1000",
        ] {
            assert!(ticks.contains(&t), "{t} not in {ticks:?}");
        }
        assert!(!ticks.contains(&"2h"));
        let legend: Vec<&str> = e
            .iter()
            .filter(|t| t.name == "text" && t.parent.is_some_and(|i| e[i].has_class("svg-legend")))
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(legend, ["all time", "last 90 days"]);
        assert_eq!(
            e.iter()
                .filter(|e| e.has_class("svg-legend-swatch"))
                .count(),
            2
        );
        assert!(!e.iter().any(|e| e.has_class("svg-ftp")));
    }

    #[test]
    fn ftp_line_and_axis_above_it() {
        let opts = PowerCurveOptions {
            ftp: Some(1500.0),
            ..PowerCurveOptions::default()
        };
        let e = parse(&power_curve(&sample(), &opts).unwrap());
        let line = e.iter().find(|e| e.has_class("svg-ftp")).unwrap();
        assert_eq!(line.name, "line");
        let label = e.iter().find(|e| e.has_class("svg-ftp-label")).unwrap();
        assert_eq!(label.text, "FTP 1500 W");
        let ticks: Vec<f64> = e
            .iter()
            .filter(|e| e.has_class("svg-tick"))
            .filter_map(|e| e.text.parse().ok())
            .collect();
        assert!(ticks.iter().any(|&t| t >= 1500.0));
        assert!(ticks.len() >= 5 && ticks.len() <= 7, "{ticks:?}");
        for bad in [Some(f64::NAN), Some(-5.0), Some(0.0), Some(1e9), None] {
            let opts = PowerCurveOptions {
                ftp: bad,
                ..PowerCurveOptions::default()
            };
            let svg = power_curve(&sample(), &opts).unwrap();
            assert!(!svg.contains("svg-ftp"), "{bad:?}");
        }
    }

    #[test]
    fn long_axis_and_caps() {
        // One sample per second for 10 h, and more series than drawn.
        let long: Vec<(u32, f64)> = (1..=36_000)
            .map(|s| (s, 1000.0 / f64::from(s).sqrt() + 150.0))
            .collect();
        let many: Vec<CurveSeries> = (0..20).map(|i| series(&format!("s{i}"), &long)).collect();
        let svg = power_curve(&many, &PowerCurveOptions::default()).unwrap();
        let e = parse(&svg);
        let pts = e.iter().filter(|e| e.has_class("svg-pt")).count();
        assert!(pts <= MAX_SERIES * 240, "{pts}");
        assert_eq!(
            e.iter().filter(|e| e.has_class("svg-curve")).count(),
            MAX_SERIES
        );
        assert!(svg.len() < 400_000, "{}", svg.len());
        let ticks: Vec<&str> = e
            .iter()
            .filter(|e| e.has_class("svg-tick"))
            .map(|e| e.text.as_str())
            .collect();
        assert!(ticks.contains(&"10h") && ticks.contains(&"5h") && !ticks.contains(&"24h"));
        // The 1 s sample and the longest survive bucketing.
        pt(&e, 1, 0);
        pt(&e, 36_000, 0);
    }

    #[test]
    fn degenerate_inputs() {
        let o = PowerCurveOptions::default();
        assert!(power_curve(&[], &o).is_none());
        assert!(power_curve(&[series("a", &[])], &o).is_none());
        let junk = [
            (0, 100.0),
            (5, f64::NAN),
            (6, f64::INFINITY),
            (7, -1.0),
            (8, 1e7),
        ];
        assert!(power_curve(&[series("a", &junk)], &o).is_none());
        // One point, all zero, duplicates, silly sizes: valid pictures.
        parse(&power_curve(&[series("a", &[(60, 300.0)])], &o).unwrap());
        parse(&power_curve(&[series("a", &[(60, 0.0), (120, 0.0)])], &o).unwrap());
        let dup =
            power_curve(&[series("a", &[(60, 300.0), (60, 310.0), (30, 320.0)])], &o).unwrap();
        let e = parse(&dup);
        assert_eq!(pt(&e, 60, 0).attr("data-watts"), Some("310"));
        let silly = PowerCurveOptions {
            width: f64::NAN,
            height: 1.0,
            label: String::new(),
            ftp: None,
        };
        parse(&power_curve(&sample(), &silly).unwrap());
        // An empty series keeps its index for the others.
        let svg = power_curve(&[series("none", &[]), series("b", &[(5, 500.0)])], &o).unwrap();
        let e = parse(&svg);
        assert!(e
            .iter()
            .any(|e| e.has_class("svg-curve") && e.has_class("svg-series-1")));
        assert!(!e
            .iter()
            .any(|e| e.has_class("svg-curve") && e.has_class("svg-series-0")));
        assert!(
            !svg.contains(">none<"),
            "an empty series is not in the legend"
        );
        assert!(e
            .iter()
            .any(|e| e.has_class("svg-legend-swatch") && e.has_class("svg-series-1")));
    }

    #[test]
    fn hostile_labels_are_escaped() {
        let s = vec![series(
            "<script>alert('x')</script> & \"co\"",
            &[(5, 500.0)],
        )];
        let svg = power_curve(
            &s,
            &PowerCurveOptions {
                label: "<b>".into(),
                ..PowerCurveOptions::default()
            },
        )
        .unwrap();
        parse(&svg);
        assert!(!svg.contains("<script") && !svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(&apos;x&apos;)"));
    }
}
