//! TCX reader.
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
//!
//! Like GPX, the fast tokenizer ([`super::xmlscan`]) is tried first and
//! quick-xml takes over when it gives up; both feed [`TcxState`].

use super::error::ExtractError;
use super::model::{AltitudeSource, DataPoint, Format};
use super::time::parse_iso8601;
use super::xml::{as_text, float, int_of_float, lat, lon};
use super::xmlscan::{scan, Sink};
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

struct TcxState<'f> {
    file: &'f str,
    max_points: usize,
    points: Vec<DataPoint>,
    sport: Option<String>,
    activities: u32,
    in_activity: bool,
    in_pt: bool,
    in_hr: bool,
    pt: DataPoint,
    pt_time: Option<i64>,
    field: Field,
    saw_root: bool,
}

impl<'f> TcxState<'f> {
    /// `text_len`: the document's size, for a first guess of the number of
    /// points (one every ~300 bytes in typical TCX) so the points are not
    /// copied over and over while the vector grows.
    fn new(file: &'f str, max_points: usize, text_len: usize) -> Self {
        TcxState {
            file,
            max_points,
            points: Vec::with_capacity((text_len / 300).min(max_points)),
            sport: None,
            activities: 0,
            in_activity: false,
            in_pt: false,
            in_hr: false,
            pt: DataPoint::default(),
            pt_time: None,
            field: Field::None,
            saw_root: false,
        }
    }

    fn start<'a>(
        &mut self,
        name: &str,
        empty: bool,
        attrs: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        match name {
            "TrainingCenterDatabase" => self.saw_root = true,
            "Activity" => {
                self.activities += 1;
                self.in_activity = self.activities == 1 && !empty;
                if self.activities == 1 {
                    for (k, v) in attrs {
                        if k == "Sport" {
                            self.sport = Some(v.trim().to_string());
                        }
                    }
                }
            }
            "Trackpoint" if self.in_activity && !empty => {
                self.in_pt = true;
                self.pt = DataPoint::default();
                self.pt_time = None;
            }
            _ if empty || !self.in_pt => {}
            "HeartRateBpm" => self.in_hr = true,
            "Time" => self.field = Field::Time,
            "LatitudeDegrees" => self.field = Field::Lat,
            "LongitudeDegrees" => self.field = Field::Lon,
            "AltitudeMeters" => self.field = Field::Alt,
            "Value" if self.in_hr => self.field = Field::HrValue,
            "Cadence" | "RunCadence" => self.field = Field::Cad,
            "DistanceMeters" => self.field = Field::Dist,
            "Speed" => self.field = Field::Speed,
            "Watts" => self.field = Field::Watts,
            _ => self.field = Field::None,
        }
    }

    fn text(&mut self, s: &str) -> Result<(), ExtractError> {
        if !self.in_pt {
            return Ok(());
        }
        let pt = &mut self.pt;
        match self.field {
            Field::None => {}
            Field::Time => match parse_iso8601(s) {
                Some((ms, true)) => self.pt_time = Some(ms),
                _ => {
                    return Err(ExtractError::malformed(
                        self.file,
                        "TCX",
                        format!("timestamp without time zone or invalid: {:?}", s.trim()),
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
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), ExtractError> {
        match name {
            "Trackpoint" if self.in_pt => {
                self.in_pt = false;
                self.in_hr = false;
                if let Some(ts) = self.pt_time {
                    if self.pt.lat.is_none() || self.pt.lon.is_none() {
                        self.pt.lat = None;
                        self.pt.lon = None;
                    }
                    self.pt.ts_ms = ts;
                    if self.points.len() >= self.max_points {
                        return Err(ExtractError::TooLarge {
                            file: self.file.to_string(),
                            reason: format!("more than {} points", self.max_points),
                        });
                    }
                    self.points.push(self.pt);
                }
            }
            "HeartRateBpm" => self.in_hr = false,
            "Activity" => self.in_activity = false,
            _ => {}
        }
        self.field = Field::None;
        Ok(())
    }

    fn finish(self) -> Result<RawParse, ExtractError> {
        if !self.saw_root {
            return Err(ExtractError::malformed(
                self.file,
                "TCX",
                "no <TrainingCenterDatabase> root element",
            ));
        }
        Ok(RawParse {
            format: Format::Tcx,
            points: self.points,
            sport_raw: Some(self.sport.unwrap_or_else(|| "Biking".to_string())),
            sub_sport_raw: None,
            sport_is_fit: false,
            device: None,
            manufacturer: None,
            laps: Vec::new(),
            legs: Vec::new(),
            altitude_source: AltitudeSource::Gps,
        })
    }
}

impl Sink for TcxState<'_> {
    type Error = ExtractError;
    fn start(
        &mut self,
        name: &str,
        empty: bool,
        attrs: &[(&str, &str)],
    ) -> Result<(), ExtractError> {
        TcxState::start(self, name, empty, attrs.iter().copied());
        Ok(())
    }
    fn text(&mut self, text: &str) -> Result<(), ExtractError> {
        TcxState::text(self, text)
    }
    fn end(&mut self, name: &str) -> Result<(), ExtractError> {
        TcxState::end(self, name)
    }
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let text = as_text(data);
    let text = text.trim_start();
    let mut st = TcxState::new(file, max_points, text.len());
    match scan(text, &mut st) {
        Some(Ok(())) => return st.finish(),
        Some(Err(e)) => return Err(e),
        None => {}
    }
    parse_quick_xml(file, text, max_points)
}

/// The quick-xml path (all of XML, precise errors).
pub(crate) fn parse_quick_xml(
    file: &str,
    text: &str,
    max_points: usize,
) -> Result<RawParse, ExtractError> {
    let mut st = TcxState::new(file, max_points, text.len());
    crate::xml::drive_quick_xml(file, "TCX", text, "Activity", &mut st)?;
    st.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="Running"><Lap StartTime="2021-03-04T05:06:07Z"><Track>
  <Trackpoint><Time>2021-03-04T05:06:07Z</Time><Position><LatitudeDegrees>45</LatitudeDegrees><LongitudeDegrees>7</LongitudeDegrees></Position><HeartRateBpm><Value>140</Value></HeartRateBpm><Extensions><ns3:TPX><ns3:Speed>3</ns3:Speed></ns3:TPX></Extensions></Trackpoint>
  <Trackpoint><Time>2021-03-04T05:06:08Z</Time><AltitudeMeters>12.5</AltitudeMeters></Trackpoint>
 </Track></Lap></Activity></Activities></TrainingCenterDatabase>"#;

    #[test]
    fn fast_and_quick_xml_paths_agree() {
        let mut st = TcxState::new("a", 100, 0);
        assert!(matches!(scan(DOC, &mut st), Some(Ok(()))));
        let fast = st.finish().unwrap();
        let slow = parse_quick_xml("a", DOC, 100).unwrap();
        assert_eq!(fast.points, slow.points);
        assert_eq!(fast.sport_raw, slow.sport_raw);
        assert_eq!(fast.points.len(), 2);
        assert_eq!(fast.points[0].hr_bpm, Some(140));
        // With a comment the fast tokenizer gives up; the result is the same.
        let commented = DOC.replace("<Activities>", "<!-- x --><Activities>");
        let r = parse("a", commented.as_bytes(), 100).unwrap();
        assert_eq!(r.points, slow.points);
    }
}
