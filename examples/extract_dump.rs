//! Print the key figures of every activity file given on the command line.
use bincio::core::extract::{compute, parse_bytes, Limits, Options};

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        let name = std::path::Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match parse_bytes(&name, &bytes, &Limits::default()) {
            Ok(p) => {
                let a = compute(&p, &Options::default());
                let d = &a.detail;
                let ts = a.timeseries.as_ref().map_or(0, |t| t.t.len());
                println!(
                    "{name}: id={} sport={} sub={:?} pts={}/{} dur={:?} dist={:?} mov={:?} avg={:?} max={:?} gain={:?}/{:?} hr={:?}/{:?} cad={:?} pw={:?} alt={} dev={:?} laps={} geo={} be={:?} climb={:?} title={}",
                    d.id, d.sport, d.sub_sport, a.point_count, ts, d.duration_s, d.distance_m, d.moving_time_s,
                    d.avg_speed_kmh, d.max_speed_kmh, d.elevation_gain_m, d.elevation_loss_m, d.avg_hr_bpm,
                    d.max_hr_bpm, d.avg_cadence_rpm, d.avg_power_w, d.altitude_source, d.device, d.laps.len(),
                    a.geojson.is_some(), d.best_efforts, d.best_climb_m, d.title
                );
            }
            Err(e) => println!("{e}"),
        }
    }
}
