//! TCX reader (streaming, quick-xml).
//!
//! Element names are matched by local name, so both Garmin namespace spellings
//! (`http://` and `https://www.garmin.com/xmlschemas/…`) and any prefix work.
//! Only the first `<Activity>` is read; its `Sport` attribute names the sport
//! (default `Biking`). Each `<Trackpoint>` with a `<Time>` gives one point:
//! `Position/LatitudeDegrees|LongitudeDegrees`, `AltitudeMeters`,
//! `HeartRateBpm/Value`, `Cadence`, `DistanceMeters`, and in
//! `ActivityExtension` `Speed` (m/s) and `Watts`. A time without `Z` or an
//! offset makes the file invalid (as in the reference): its instant is
//! unknowable.

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
    Time,
    Lat,
    Lon,
    Alt,
    HrValue,
    Cad,
    Dist,
    Speed,
    Watts,
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let text = as_text(data);
    let mut reader = Reader::from_str(text.trim_start());
    reader.config_mut().trim_text(true);
    let mut points = Vec::new();
    let mut sport: Option<String> = None;
    let mut activities = 0u32;
    let mut in_activity = false;
    let mut in_pt = false;
    let mut in_hr = false;
    let mut pt = DataPoint::default();
    let mut pt_time: Option<i64> = None;
    let mut field = Field::None;
    let mut saw_root = false;

    loop {
        let ev = reader.read_event().map_err(|e| {
            ExtractError::malformed(
                file,
                "TCX",
                format!("bad XML at byte {}: {e}", reader.error_position()),
            )
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                match local(e) {
                    "TrainingCenterDatabase" => saw_root = true,
                    "Activity" => {
                        activities += 1;
                        in_activity = activities == 1 && !empty;
                        if activities == 1 {
                            for a in e.attributes().flatten() {
                                if a.key.local_name().as_ref() == "Sport" {
                                    sport = Some(a.value.trim().to_string());
                                }
                            }
                        }
                    }
                    "Trackpoint" if in_activity && !empty => {
                        in_pt = true;
                        pt = DataPoint::default();
                        pt_time = None;
                    }
                    _ if empty || !in_pt => {}
                    "HeartRateBpm" => in_hr = true,
                    "Time" => field = Field::Time,
                    "LatitudeDegrees" => field = Field::Lat,
                    "LongitudeDegrees" => field = Field::Lon,
                    "AltitudeMeters" => field = Field::Alt,
                    "Value" if in_hr => field = Field::HrValue,
                    "Cadence" | "RunCadence" => field = Field::Cad,
                    "DistanceMeters" => field = Field::Dist,
                    "Speed" => field = Field::Speed,
                    "Watts" => field = Field::Watts,
                    _ => field = Field::None,
                }
            }
            Event::Text(t) if in_pt => {
                let s: &str = &t;
                match field {
                    Field::None => {}
                    Field::Time => match parse_iso8601(s) {
                        Some((ms, true)) => pt_time = Some(ms),
                        _ => {
                            return Err(ExtractError::malformed(
                                file,
                                "TCX",
                                format!("timestamp without time zone or invalid: {s:?}"),
                            ))
                        }
                    },
                    Field::Lat => pt.lat = float(s).and_then(lat),
                    Field::Lon => pt.lon = float(s).and_then(lon),
                    Field::Alt => pt.elevation_m = float(s),
                    Field::HrValue => pt.hr_bpm = int_of_float(s),
                    Field::Cad => pt.cadence_rpm = int_of_float(s),
                    Field::Dist => pt.distance_m = float(s),
                    Field::Speed => pt.speed_kmh = float(s).map(|v| v * 3.6),
                    Field::Watts => pt.power_w = int_of_float(s),
                }
            }
            Event::End(e) => {
                let name = e.name();
                match local_end(name.0) {
                    "Trackpoint" if in_pt => {
                        in_pt = false;
                        in_hr = false;
                        if let Some(ts) = pt_time {
                            if pt.lat.is_none() || pt.lon.is_none() {
                                pt.lat = None;
                                pt.lon = None;
                            }
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
                    "HeartRateBpm" => in_hr = false,
                    "Activity" => in_activity = false,
                    _ => {}
                }
                field = Field::None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(ExtractError::malformed(
            file,
            "TCX",
            "no <TrainingCenterDatabase> root element",
        ));
    }
    Ok(RawParse {
        format: Format::Tcx,
        points,
        sport_raw: Some(sport.unwrap_or_else(|| "Biking".to_string())),
        sub_sport_raw: None,
        sport_is_fit: false,
        device: None,
        manufacturer: None,
        laps: Vec::new(),
        legs: Vec::new(),
        altitude_source: AltitudeSource::Gps,
    })
}
