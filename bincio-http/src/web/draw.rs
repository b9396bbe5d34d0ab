//! The pages' server-drawn pictures, through `bincio-svg`: the track of a
//! feed card and of the activity map's no-JavaScript fallback, and the
//! activity charts' fallback profiles. The SVG holds only its own drawing
//! coordinates, never a latitude or longitude (`bincio-svg`'s invariant),
//! and is inlined into the page (no extra request, no tiles).

use bincio_svg::{ProfileOptions, TrackOptions};

use super::pages::activity::charts::{ChartData, Series};

/// A feed card's track (300×200).
pub(crate) fn card_track(points: &[[f64; 2]], title: &str) -> Option<String> {
    bincio_svg::track(
        points,
        &TrackOptions {
            label: title.to_owned(),
            ..TrackOptions::default()
        },
    )
}

/// The activity page's map fallback (wider, marks at start and end).
pub(crate) fn map_track(points: &[[f64; 2]], title: &str) -> Option<String> {
    bincio_svg::track(
        points,
        &TrackOptions {
            width: 800.0,
            height: 450.0,
            padding: 24.0,
            label: title.to_owned(),
            marks: true,
            stroke_width: 3.0,
            mark_radius: 7.0,
        },
    )
}

/// The no-JavaScript profile of one chart series against time (or
/// distance when the chart data has it).
pub(crate) fn profile(d: &ChartData, s: &Series) -> Option<String> {
    let step = (d.t.len() / super::pages::activity::charts::SVG_POINTS).max(1);
    let (xs, unit): (Vec<f64>, &str) = match &d.d {
        Some(dist) => (dist.iter().step_by(step).copied().collect(), d.dist_unit),
        None => (d.t.iter().step_by(step).map(|t| t / 60.0).collect(), "min"),
    };
    let ys: Vec<Option<f64>> = s.values.iter().step_by(step).copied().collect();
    let x_fmt = move |x: f64| format!("{} {unit}", bincio_svg::num(x));
    let y_fmt = |y: f64| {
        if s.key == "pace" {
            let y = y.max(0.0).round() as u64;
            format!("{}:{:02}", y / 60, y % 60)
        } else {
            bincio_svg::num(y)
        }
    };
    bincio_svg::profile(
        &xs,
        &ys,
        &ProfileOptions {
            width: 640.0,
            height: 160.0,
            label: s.label.to_owned(),
            x_fmt: &x_fmt,
            y_fmt: &y_fmt,
            area: s.key == "elevation",
            y_from_zero: !matches!(s.key, "elevation" | "temperature" | "pace"),
            ..ProfileOptions::default()
        },
    )
}
