//! A page showing every picture with a sample stylesheet, for eyeballing and
//! for whoever writes the real one:
//! `cargo run -p bincio-svg --example gallery > /tmp/gallery.html`.
//! (A local file, so its inline `<style>` is not under the pages' CSP.)

use bincio_svg::*;

const CSS: &str = r#"
body { font-family: system-ui, sans-serif; margin: 1rem; background: #fafafa; }
figure { margin: 0 0 1.5rem; max-width: 48rem; }
.scroll { overflow-x: auto; }
svg.svg-root { display: block; width: 100%; height: auto; }
svg.svg-map { max-width: 300px; background: #eef3ee; border-radius: 8px; }
svg.svg-calendar { min-width: 560px; }
.svg-track { stroke: #e4572e; }
.svg-start { fill: #2a9d3a; stroke: #fff; stroke-width: 1.5px; }
.svg-end { fill: #222; stroke: #fff; stroke-width: 1.5px; }
.svg-label { fill: #666; }
.svg-cell.svg-l0 { fill: #ebedf0; } .svg-cell.svg-l1 { fill: #c6e48b; }
.svg-cell.svg-l2 { fill: #7bc96f; } .svg-cell.svg-l3 { fill: #239a3b; }
.svg-cell.svg-l4 { fill: #196127; }
.svg-grid { stroke: #ddd; } .svg-axis { stroke: #999; }
.svg-curve { stroke-width: 2px; }
.svg-series-0 { stroke: #e4572e; fill: #e4572e; } .svg-series-1 { stroke: #2e86ab; fill: #2e86ab; }
.svg-series-2 { stroke: #a23b72; fill: #a23b72; }
.svg-curve.svg-series-0, .svg-curve.svg-series-1, .svg-curve.svg-series-2 { fill: none; }
.svg-legend-swatch { stroke: none; }
.svg-ftp { stroke: #555; } .svg-ftp-label { fill: #555; }
.svg-pt:hover { fill: currentColor; }
.svg-profile-line { stroke: #2e86ab; stroke-width: 1.5px; }
.svg-profile-area { fill: #2e86ab33; }
"#;

fn main() {
    let mut html =
        format!("<!doctype html><meta charset=utf-8><title>bincio-svg</title><style>{CSS}</style>");
    let ride: Vec<[f64; 2]> = (0..400)
        .map(|i| {
            let t = f64::from(i) / 400.0 * std::f64::consts::TAU;
            [
                45.07 + 0.03 * t.sin() + 0.01 * (3.0 * t).sin(),
                7.68 + 0.05 * t.cos(),
            ]
        })
        .collect();
    let map = track(&ride, &TrackOptions::default()).unwrap_or_default();
    html += &format!("<figure>{map}</figure>");

    let days: Vec<CalendarDay> = (0..150u32)
        .map(|i| CalendarDay {
            month: 1 + (i * 7) % 12,
            day: 1 + (i * 13) % 28,
            value: f64::from((i * 37) % 120),
            title: format!("{} km · Ride {i}", (i * 37) % 120),
            href: Some(format!("/days/{i}/")),
        })
        .collect();
    let cal = calendar(2026, &days, &CalendarOptions::default());
    html += &format!("<figure class=scroll>{cal}</figure>");

    let curve = |scale: f64, max: u32| -> Vec<(u32, f64)> {
        (1..=max)
            .map(|s| (s, scale * (230.0 + 900.0 / f64::from(s).powf(0.45))))
            .collect()
    };
    let series = [
        CurveSeries {
            label: "all time".into(),
            points: curve(1.0, 14_400),
        },
        CurveSeries {
            label: "last 365 days".into(),
            points: curve(0.93, 9_000),
        },
        CurveSeries {
            label: "last 90 days".into(),
            points: curve(0.85, 3_600),
        },
    ];
    let opts = PowerCurveOptions {
        ftp: Some(265.0),
        ..PowerCurveOptions::default()
    };
    html += &format!(
        "<figure>{}</figure>",
        power_curve(&series, &opts).unwrap_or_default()
    );

    let xs: Vec<f64> = (0..5000).map(|i| f64::from(i) * 10.0).collect();
    let ys: Vec<Option<f64>> = (0..5000)
        .map(|i| {
            let x = f64::from(i) / 5000.0;
            (!(0.4..0.42).contains(&x))
                .then(|| 300.0 + 600.0 * (x * 3.0).sin().abs() + 20.0 * (x * 80.0).sin())
        })
        .collect();
    let km = |v: f64| format!("{} km", num(v));
    let m = |v: f64| format!("{} m", num(v));
    let opts = ProfileOptions {
        x_scale: 0.001,
        x_fmt: &km,
        y_fmt: &m,
        ..ProfileOptions::default()
    };
    html += &format!(
        "<figure>{}</figure>",
        profile(&xs, &ys, &opts).unwrap_or_default()
    );
    println!("{html}");
}
