//! GPX reader.
//!
//! Reads every `trk/trkseg/trkpt` in document order. Per point: `lat`/`lon`
//! attributes, `<ele>`, `<time>` (points without a time are dropped; naive
//! times are UTC), and inside `<extensions>` the Garmin
//! `TrackPointExtension` children by local name, with or without a namespace
//! prefix: `hr`, `cad`, `atemp`, `speed` (m/s), `pwr`/`power`/`watts`. The
//! same names directly under `<extensions>` (Strava writes `<power>` there)
//! are accepted too. The sport is the first track's `<type>`; when absent the
//! sport is left for [`super::sport::infer_from_speed`].
//!
//! Two tokenizers feed one state machine ([`GpxState`]):
//! * a fast byte-level tokenizer ([`super::xmlscan`]) for the plain XML that
//!   GPS devices and apps write — balanced tags, attributes, text. It gives
//!   up (returns `None`) on anything else: comments, CDATA, DOCTYPE, entity
//!   references, or malformed markup;
//! * quick-xml, used when the fast tokenizer gives up; it handles all of XML
//!   and produces the precise error for malformed files.
//!
//! Why: quick-xml 0.42 re-validates UTF-8 for every event, which capped GPX
//! at ~85 MB/s; the fast path validates once and is well above 100 MB/s.
//! `tests/extract_features.rs` checks both paths agree on every fixture.

use super::error::ExtractError;
use super::model::{AltitudeSource, DataPoint, Format};
use super::time::parse_iso8601;
use super::xml::{as_text, float, int_of_float, lat, lon};
use super::xmlscan::{scan, Sink};
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

/// The GPX semantics, independent of the tokenizer.
struct GpxState<'f> {
    file: &'f str,
    max_points: usize,
    points: Vec<DataPoint>,
    sport: Option<String>,
    trk_count: u32,
    in_trk: bool,
    in_pt: bool,
    pt_time: Option<i64>,
    pt: DataPoint,
    ext_depth: u32,
    field: Field,
    type_text: String,
    saw_gpx: bool,
}

impl<'f> GpxState<'f> {
    /// `text_len`: the document's size, for a first guess of the number of
    /// points (one every ~100 bytes in typical GPX) so the points are not
    /// copied over and over while the vector grows.
    fn new(file: &'f str, max_points: usize, text_len: usize) -> Self {
        GpxState {
            file,
            max_points,
            points: Vec::with_capacity((text_len / 100).min(max_points)),
            sport: None,
            trk_count: 0,
            in_trk: false,
            in_pt: false,
            pt_time: None,
            pt: DataPoint::default(),
            ext_depth: 0,
            field: Field::None,
            type_text: String::new(),
            saw_gpx: false,
        }
    }

    fn start<'a>(
        &mut self,
        name: &str,
        empty: bool,
        attrs: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        match name {
            "gpx" => self.saw_gpx = true,
            "trk" => {
                self.in_trk = !empty;
                self.trk_count += 1;
            }
            "trkpt" if self.in_trk => {
                self.pt = DataPoint::default();
                self.pt_time = None;
                for (k, v) in attrs {
                    match k {
                        "lat" => self.pt.lat = float(v).and_then(lat),
                        "lon" => self.pt.lon = float(v).and_then(lon),
                        _ => {}
                    }
                }
                if self.pt.lat.is_none() || self.pt.lon.is_none() {
                    self.pt.lat = None;
                    self.pt.lon = None;
                }
                self.in_pt = !empty;
            }
            "extensions" if self.in_pt => self.ext_depth += u32::from(!empty),
            _ if empty => {}
            "ele" if self.in_pt && self.ext_depth == 0 => self.field = Field::Ele,
            "time" if self.in_pt && self.ext_depth == 0 => self.field = Field::Time,
            "speed" if self.in_pt => self.field = Field::Speed,
            "hr" if self.in_pt && self.ext_depth > 0 => self.field = Field::Hr,
            "cad" if self.in_pt && self.ext_depth > 0 => self.field = Field::Cad,
            "atemp" if self.in_pt && self.ext_depth > 0 => self.field = Field::Atemp,
            "pwr" | "power" | "watts" if self.in_pt && self.ext_depth > 0 => {
                self.field = Field::Power
            }
            "type" if self.in_trk && !self.in_pt && self.trk_count == 1 && self.sport.is_none() => {
                self.field = Field::Type;
                self.type_text.clear();
            }
            _ => self.field = Field::None,
        }
    }

    fn text(&mut self, s: &str) {
        let pt = &mut self.pt;
        match self.field {
            Field::None => {}
            Field::Ele => pt.elevation_m = float(s),
            Field::Time => self.pt_time = parse_iso8601(s).map(|(ms, _)| ms),
            Field::Hr => pt.hr_bpm = int_of_float(s),
            Field::Cad => pt.cadence_rpm = int_of_float(s),
            Field::Atemp => pt.temperature_c = float(s),
            Field::Speed => pt.speed_kmh = float(s).map(|v| v * 3.6),
            Field::Power => pt.power_w = int_of_float(s),
            Field::Type => self.type_text.push_str(s),
        }
    }

    fn end(&mut self, name: &str) -> Result<(), ExtractError> {
        match name {
            "trkpt" if self.in_pt => {
                self.in_pt = false;
                self.ext_depth = 0;
                if let Some(ts) = self.pt_time {
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
            "extensions" if self.in_pt => self.ext_depth = self.ext_depth.saturating_sub(1),
            "trk" => self.in_trk = false,
            "type" if self.field == Field::Type => {
                let t = self.type_text.trim();
                if !t.is_empty() {
                    self.sport = Some(t.to_string());
                }
            }
            _ => {}
        }
        self.field = Field::None;
        Ok(())
    }

    fn finish(self) -> Result<RawParse, ExtractError> {
        if !self.saw_gpx {
            return Err(ExtractError::malformed(
                self.file,
                "GPX",
                "no <gpx> root element",
            ));
        }
        Ok(RawParse {
            format: Format::Gpx,
            points: self.points,
            sport_raw: self.sport,
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

impl Sink for GpxState<'_> {
    type Error = ExtractError;
    fn start(
        &mut self,
        name: &str,
        empty: bool,
        attrs: &[(&str, &str)],
    ) -> Result<(), ExtractError> {
        GpxState::start(self, name, empty, attrs.iter().copied());
        Ok(())
    }
    fn text(&mut self, text: &str) -> Result<(), ExtractError> {
        GpxState::text(self, text);
        Ok(())
    }
    fn end(&mut self, name: &str) -> Result<(), ExtractError> {
        GpxState::end(self, name)
    }
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let text = as_text(data);
    if let Some(r) = parse_fast(file, &text, max_points) {
        return r;
    }
    parse_quick_xml(file, &text, max_points)
}

/// The fast tokenizer; `None` when it gives up (quick-xml decides then).
pub(crate) fn parse_fast(
    file: &str,
    text: &str,
    max_points: usize,
) -> Option<Result<RawParse, ExtractError>> {
    let mut st = GpxState::new(file, max_points, text.len());
    match scan(text, &mut st) {
        None => None,
        Some(Err(e)) => Some(Err(e)),
        Some(Ok(())) => Some(st.finish()),
    }
}

/// The quick-xml path (all of XML, precise errors).
pub(crate) fn parse_quick_xml(
    file: &str,
    text: &str,
    max_points: usize,
) -> Result<RawParse, ExtractError> {
    let mut st = GpxState::new(file, max_points, text.len());
    crate::xml::drive_quick_xml(file, "GPX", text, "trkpt", &mut st)?;
    st.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Both tokenizers give the same points and sport on every GPX fixture,
    /// and the fast one does not give up on them.
    #[test]
    fn fast_and_quick_xml_paths_agree_on_fixtures() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/activities");
        let mut n = 0;
        for user in ["brut", "dave"] {
            for e in std::fs::read_dir(format!("{root}/{user}")).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let raw = std::fs::read(&p).unwrap();
                let data = if name.ends_with(".gpx.gz") {
                    let mut v = Vec::new();
                    flate2::read::GzDecoder::new(&raw[..])
                        .read_to_end(&mut v)
                        .unwrap();
                    v
                } else if name.ends_with(".gpx") {
                    raw
                } else {
                    continue;
                };
                let text = as_text(&data);
                let fast = parse_fast(&name, &text, usize::MAX)
                    .expect("fast path gave up")
                    .unwrap();
                let slow = parse_quick_xml(&name, &text, usize::MAX).unwrap();
                assert_eq!(fast.points, slow.points, "{name}");
                assert_eq!(fast.sport_raw, slow.sport_raw, "{name}");
                n += 1;
            }
        }
        assert_eq!(n, 18);
    }

    #[test]
    fn comments_fall_back_to_quick_xml() {
        let doc = r#"<gpx><!-- c --><trk><type>run</type><trkseg><trkpt lat="1" lon="2"><time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>"#;
        assert!(parse_fast("a", doc, 10).is_none());
        let r = parse("a", doc.as_bytes(), 10).unwrap();
        assert_eq!(r.points.len(), 1);
        assert_eq!(r.sport_raw.as_deref(), Some("run"));
    }

    /// Random mutations of a fixture: whenever the fast tokenizer accepts,
    /// quick-xml accepts too and reads the same points.
    #[test]
    fn fast_path_never_accepts_what_quick_xml_reads_differently() {
        use rand::{Rng, SeedableRng};
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/activities/brut/1034867910.gpx"
        );
        let seed = std::fs::read(path).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let alphabet = b"<>/=\"' :&!?-abcdet0123456789.\n";
        let mut accepted = 0;
        for _ in 0..150 {
            let mut d = seed.clone();
            for _ in 0..rng.random_range(1..4) {
                let i = rng.random_range(0..d.len());
                let c = alphabet[rng.random_range(0..alphabet.len())];
                match rng.random_range(0..3) {
                    0 => d[i] = c,
                    1 => d.insert(i, c),
                    _ => {
                        d.remove(i);
                    }
                }
            }
            let text = as_text(&d);
            if let Some(Ok(fast)) = parse_fast("m", &text, usize::MAX) {
                accepted += 1;
                let slow = parse_quick_xml("m", &text, usize::MAX)
                    .expect("quick-xml rejects what the fast path accepted");
                assert_eq!(fast.points, slow.points);
                assert_eq!(fast.sport_raw, slow.sport_raw);
            }
        }
        assert!(accepted > 0);
    }
}
