//! GPX reader (streaming, quick-xml).
//!
//! Reads every `trk/trkseg/trkpt` in document order. Per point: `lat`/`lon`
//! attributes, `<ele>`, `<time>` (points without a time are dropped; naive
//! times are UTC), and inside `<extensions>` the Garmin
//! `TrackPointExtension` children by local name, with or without a namespace
//! prefix: `hr`, `cad`, `atemp`, `speed` (m/s), `pwr`/`power`/`watts`. The
//! same names directly under `<extensions>` (Strava writes `<power>` there)
//! are accepted too. The sport is the first track's `<type>`; when absent the
//! sport is left for [`super::sport::infer_from_speed`].

use quick_xml::events::Event;
use quick_xml::Reader;

use super::error::ExtractError;
use super::model::{AltitudeSource, DataPoint, Format};
use super::time::parse_iso8601;
use super::xml::{as_text, float, int_of_float, lat, local, local_end, lon};
use super::RawParse;

#[derive(Clone, Copy, PartialEq)]
enum Field {
    None,
    Ele,
    Time,
    Hr,
    Cad,
    Atemp,
    Speed,
    Power,
    Type,
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let text = as_text(data);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut points: Vec<DataPoint> = Vec::new();
    let mut sport: Option<String> = None;
    let mut trk_count = 0u32;
    let mut in_trk = false;
    let mut in_pt = false;
    let mut pt_time: Option<i64> = None;
    let mut pt = DataPoint::default();
    let mut ext_depth = 0u32;
    let mut field = Field::None;
    let mut type_text = String::new();
    let mut saw_gpx = false;

    loop {
        let ev = reader.read_event().map_err(|e| {
            ExtractError::malformed(
                file,
                "GPX",
                format!("bad XML at byte {}: {e}", reader.error_position()),
            )
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = local(e);
                match name {
                    "gpx" => saw_gpx = true,
                    "trk" => {
                        in_trk = true;
                        trk_count += 1;
                    }
                    "trkpt" if in_trk => {
                        pt = DataPoint::default();
                        pt_time = None;
                        for a in e.attributes().with_checks(false).flatten() {
                            let v = float(&a.value);
                            match a.key.local_name().as_ref() {
                                "lat" => pt.lat = v.and_then(lat),
                                "lon" => pt.lon = v.and_then(lon),
                                _ => {}
                            }
                        }
                        if pt.lat.is_none() || pt.lon.is_none() {
                            pt.lat = None;
                            pt.lon = None;
                        }
                        in_pt = !empty;
                    }
                    "extensions" if in_pt => ext_depth += u32::from(!empty),
                    _ if empty => {}
                    "ele" if in_pt && ext_depth == 0 => field = Field::Ele,
                    "time" if in_pt && ext_depth == 0 => field = Field::Time,
                    "speed" if in_pt => field = Field::Speed,
                    "hr" if in_pt && ext_depth > 0 => field = Field::Hr,
                    "cad" if in_pt && ext_depth > 0 => field = Field::Cad,
                    "atemp" if in_pt && ext_depth > 0 => field = Field::Atemp,
                    "pwr" | "power" | "watts" if in_pt && ext_depth > 0 => field = Field::Power,
                    "type" if in_trk && !in_pt && trk_count == 1 && sport.is_none() => {
                        field = Field::Type;
                        type_text.clear();
                    }
                    _ => field = Field::None,
                }
            }
            Event::Text(t) => {
                let s: &str = &t;
                match field {
                    Field::None => {}
                    Field::Ele => pt.elevation_m = float(s),
                    Field::Time => pt_time = parse_iso8601(s).map(|(ms, _)| ms),
                    Field::Hr => pt.hr_bpm = int_of_float(s),
                    Field::Cad => pt.cadence_rpm = int_of_float(s),
                    Field::Atemp => pt.temperature_c = float(s),
                    Field::Speed => pt.speed_kmh = float(s).map(|v| v * 3.6),
                    Field::Power => pt.power_w = int_of_float(s),
                    Field::Type => type_text.push_str(s),
                }
            }
            Event::CData(t) if field == Field::Type => type_text.push_str(&t),
            Event::End(e) => {
                let name = e.name();
                match local_end(name.0) {
                    "trkpt" if in_pt => {
                        in_pt = false;
                        ext_depth = 0;
                        if let Some(ts) = pt_time {
                            pt.ts_ms = ts;
                            if points.len() >= max_points {
                                return Err(ExtractError::TooLarge {
                                    file: file.to_string(),
                                    reason: format!("more than {max_points} points"),
                                });
                            }
                            points.push(pt);
                        }
                    }
                    "extensions" if in_pt => ext_depth = ext_depth.saturating_sub(1),
                    "trk" => in_trk = false,
                    "type" if field == Field::Type => {
                        let t = type_text.trim();
                        if !t.is_empty() {
                            sport = Some(t.to_string());
                        }
                    }
                    _ => {}
                }
                field = Field::None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_gpx {
        return Err(ExtractError::malformed(
            file,
            "GPX",
            "no <gpx> root element",
        ));
    }
    Ok(RawParse {
        format: Format::Gpx,
        points,
        sport_raw: sport,
        sub_sport_raw: None,
        sport_is_fit: false,
        device: None,
        manufacturer: None,
        laps: Vec::new(),
        legs: Vec::new(),
        altitude_source: AltitudeSource::Gps,
    })
}
