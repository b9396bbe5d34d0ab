//! FIT reader: our own structural pass, then `fitparser` for decoding.
//!
//! Why a structural pass first: `fitparser` 0.11 prints `ERROR: field size …`
//! to stderr whenever a field definition's size is not a multiple of its base
//! type, then reads the field as bytes. A server or a CLI run over thousands
//! of files must not spray that onto users' terminals and logs. So before
//! calling it we walk the file ourselves: check every header, header CRC and
//! data CRC (so a corrupted file gets a precise error), check that every data
//! message has a definition and fits, and rewrite the base type of such
//! odd-sized fields to `byte` (0x0D) in a private copy — exactly what
//! fitparser would do, minus the print. Then fitparser runs with CRC checks
//! off (we did them on the original bytes).
//!
//! Messages used: `record` (timestamp, position, `enhanced_altitude` else
//! `altitude`, heart rate, cadence, `enhanced_speed` else `speed`, power,
//! temperature, distance), `sport`, `session`, `lap`, `file_id` and
//! `device_info`. Chained FIT files (several headers in one file) are read
//! in sequence.

use std::collections::HashSet;

use fitparser::de::{from_bytes_with_options, DecodeOption};
use fitparser::profile::MesgNum;
use fitparser::{FitDataRecord, Value};

use super::error::ExtractError;
use super::model::{AltitudeSource, DataPoint, Format, Lap, Leg};
use super::sport::{fit_sub_sport, normalize_sport};
use super::time::ms_to_datetime;
use super::RawParse;

const FIT: &str = "FIT";

/// FIT CRC-16 (the SDK's nibble table algorithm).
pub fn fit_crc(data: &[u8]) -> u16 {
    const T: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &b in data {
        let mut tmp = T[(crc & 0xF) as usize];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[(b & 0xF) as usize];
        tmp = T[(crc & 0xF) as usize];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ T[((b >> 4) & 0xF) as usize];
    }
    crc
}

/// Size in bytes of a FIT base type, as fitparser sees it (unknown → 1).
fn base_size(base: u8) -> u8 {
    match base & 0x9F {
        0x83 | 0x84 | 0x8B => 2,
        0x85 | 0x86 | 0x88 | 0x8C => 4,
        0x89 | 0x8E | 0x8F | 0x90 => 8,
        _ => 1,
    }
}

fn bad(file: &str, reason: impl Into<String>) -> ExtractError {
    ExtractError::malformed(file, FIT, reason)
}

/// Validate the structure and CRCs; return the bytes fitparser may read
/// (trailing garbage after the last complete FIT file is cut off, odd-sized
/// field definitions are neutralised).
pub(crate) fn prepare(file: &str, data: &[u8]) -> Result<Vec<u8>, ExtractError> {
    let mut out = data.to_vec();
    let mut pos = 0usize;
    let mut files = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        let looks_like_header =
            rest.len() >= 12 && (rest[0] == 12 || rest[0] == 14) && &rest[8..12] == b".FIT";
        if !looks_like_header {
            if files > 0 {
                // Padding or junk after a complete file: ignore it.
                out.truncate(pos);
                break;
            }
            return Err(bad(file, "not a FIT file (bad header)"));
        }
        let hsize = rest[0] as usize;
        if rest.len() < hsize {
            return Err(bad(file, "truncated header"));
        }
        if hsize == 14 {
            let hcrc = u16::from_le_bytes([rest[12], rest[13]]);
            if hcrc != 0 && hcrc != fit_crc(&rest[..12]) {
                return Err(bad(file, "header CRC mismatch"));
            }
        }
        let data_size = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = hsize
            .checked_add(data_size)
            .filter(|e| e.checked_add(2).is_some_and(|e2| e2 <= rest.len()))
            .ok_or_else(|| bad(file, "truncated file (data size beyond end of file)"))?;
        let crc = u16::from_le_bytes([rest[end], rest[end + 1]]);
        if crc != fit_crc(&rest[..end]) {
            return Err(bad(file, "data CRC mismatch"));
        }
        walk_records(file, &rest[hsize..end], &mut out[pos + hsize..pos + end])?;
        files += 1;
        pos += end + 2;
    }
    if files == 0 {
        return Err(ExtractError::NoDataPoints {
            file: file.to_string(),
        });
    }
    Ok(out)
}

/// Walk definition and data messages of one FIT data section.
fn walk_records(file: &str, d: &[u8], patch: &mut [u8]) -> Result<(), ExtractError> {
    let mut defs: [Option<usize>; 16] = [None; 16];
    let mut i = 0usize;
    let need = |i: usize, n: usize| -> Result<(), ExtractError> {
        if i + n > d.len() {
            Err(bad(file, format!("truncated record at data offset {i}")))
        } else {
            Ok(())
        }
    };
    while i < d.len() {
        let h = d[i];
        i += 1;
        if h & 0x80 != 0 {
            let local = ((h >> 5) & 0x03) as usize;
            let size = defs[local]
                .ok_or_else(|| bad(file, format!("data message without definition at {i}")))?;
            need(i, size)?;
            i += size;
        } else if h & 0x40 != 0 {
            let dev = h & 0x20 != 0;
            let local = (h & 0x0F) as usize;
            need(i, 5)?;
            let nfields = d[i + 4] as usize;
            i += 5;
            need(i, nfields * 3)?;
            let mut total = 0usize;
            for f in 0..nfields {
                let at = i + f * 3;
                let size = d[at + 1];
                let base = d[at + 2];
                // `%` rather than `is_multiple_of`: the workspace's MSRV is 1.85.
                #[allow(clippy::manual_is_multiple_of)]
                let odd = size == 0 || size % base_size(base) != 0;
                if odd {
                    patch[at + 2] = 0x0D;
                }
                total += size as usize;
            }
            i += nfields * 3;
            if dev {
                need(i, 1)?;
                let ndev = d[i] as usize;
                i += 1;
                need(i, ndev * 3)?;
                total += (0..ndev).map(|f| d[i + f * 3 + 1] as usize).sum::<usize>();
                i += ndev * 3;
            }
            defs[local] = Some(total);
        } else {
            let local = (h & 0x0F) as usize;
            let size = defs[local]
                .ok_or_else(|| bad(file, format!("data message without definition at {i}")))?;
            need(i, size)?;
            i += size;
        }
    }
    Ok(())
}

fn num(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Byte(x) | Value::Enum(x) | Value::UInt8(x) | Value::UInt8z(x) => f64::from(*x),
        Value::SInt8(x) => f64::from(*x),
        Value::SInt16(x) => f64::from(*x),
        Value::UInt16(x) | Value::UInt16z(x) => f64::from(*x),
        Value::SInt32(x) => f64::from(*x),
        Value::UInt32(x) | Value::UInt32z(x) => f64::from(*x),
        Value::SInt64(x) => *x as f64,
        Value::UInt64(x) | Value::UInt64z(x) => *x as f64,
        Value::Float32(x) => f64::from(*x),
        Value::Float64(x) => *x,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        other => num(other).map(|x| format!("{x}")),
    }
}

fn ts_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Timestamp(t) => Some(t.timestamp_millis()),
        _ => None,
    }
}

/// Field lookup by name within one message.
struct Msg<'a>(&'a FitDataRecord);

impl Msg<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .fields()
            .iter()
            .find(|f| f.name() == name)
            .map(|f| f.value())
    }
    fn f(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(num)
    }
    fn int(&self, name: &str) -> Option<i32> {
        self.f(name)
            .filter(|v| v.abs() < 1e9)
            .map(|v| v.trunc() as i32)
    }
    fn s(&self, name: &str) -> Option<String> {
        self.get(name).and_then(text)
    }
    fn ts(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(ts_ms)
    }
}

fn semicircles(v: Option<f64>) -> Option<f64> {
    let deg = v? * 180.0 / 2_147_483_648.0;
    (deg.abs() <= 180.0).then_some(deg)
}

fn device_name(m: &Msg) -> Option<String> {
    let mfr = m.s("manufacturer");
    let prod = m.s("product_name").or_else(|| {
        m.s("garmin_product")
            .or_else(|| m.s("favero_product"))
            .or_else(|| m.s("product"))
    });
    match (mfr, prod) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (None, Some(b)) => Some(b),
        (Some(a), None) => Some(a),
        _ => None,
    }
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let prepared = prepare(file, data)?;
    let opts: HashSet<DecodeOption> = [
        DecodeOption::SkipHeaderCrcValidation,
        DecodeOption::SkipDataCrcValidation,
    ]
    .into_iter()
    .collect();
    let records =
        from_bytes_with_options(&prepared, &opts).map_err(|e| bad(file, e.to_string()))?;

    let mut points = Vec::new();
    let mut sport: Option<String> = None;
    let mut sub_sport: Option<String> = None;
    let mut session_sport: Option<(String, Option<String>)> = None;
    let mut creator: Option<String> = None;
    let mut last_device: Option<String> = None;
    let mut manufacturer: Option<String> = None;
    let mut laps = Vec::new();
    let mut legs = Vec::new();
    let mut barometric = false;

    for rec in &records {
        let m = Msg(rec);
        match rec.kind() {
            MesgNum::Record => {
                let Some(ts) = m.ts("timestamp") else {
                    continue;
                };
                let lat = semicircles(m.f("position_lat"));
                let lon = semicircles(m.f("position_long"));
                let (lat, lon) = match (lat, lon) {
                    (Some(a), Some(b)) => (Some(a), Some(b)),
                    _ => (None, None),
                };
                let ele = m.f("enhanced_altitude").or_else(|| m.f("altitude"));
                barometric |= ele.is_some();
                let speed = m.f("enhanced_speed").or_else(|| m.f("speed"));
                if points.len() >= max_points {
                    return Err(ExtractError::TooLarge {
                        file: file.to_string(),
                        reason: format!("more than {max_points} points"),
                    });
                }
                points.push(DataPoint {
                    ts_ms: ts,
                    lat,
                    lon,
                    elevation_m: ele,
                    hr_bpm: m.int("heart_rate"),
                    cadence_rpm: m.int("cadence"),
                    speed_kmh: speed.map(|v| v * 3.6),
                    power_w: m.int("power"),
                    temperature_c: m.f("temperature"),
                    distance_m: m.f("distance"),
                });
            }
            MesgNum::Sport => {
                if let Some(s) = m.s("sport") {
                    sport = Some(s);
                    sub_sport = m.s("sub_sport");
                }
            }
            MesgNum::Session => {
                let s = m.s("sport");
                let ss = m.s("sub_sport");
                if session_sport.is_none() {
                    if let Some(s) = &s {
                        session_sport = Some((s.clone(), ss.clone()));
                    }
                }
                let start = m.ts("start_time").or_else(|| m.ts("timestamp"));
                if let Some(start) = start {
                    legs.push(Leg {
                        index: legs.len() as u32,
                        sport: normalize_sport(s.as_deref()).to_string(),
                        sub_sport: ss.as_deref().and_then(fit_sub_sport).map(str::to_string),
                        started_at: ms_to_datetime(start),
                        duration_s: m
                            .f("total_elapsed_time")
                            .map(|v| v as i64)
                            .filter(|v| *v > 0),
                        distance_m: m.f("total_distance"),
                        avg_speed_kmh: m
                            .f("enhanced_avg_speed")
                            .or_else(|| m.f("avg_speed"))
                            .map(|v| super::metrics::round_dp(v * 3.6, 2)),
                        avg_hr_bpm: m.int("avg_heart_rate"),
                    });
                }
            }
            MesgNum::Lap => {
                let Some(start) = m.ts("start_time") else {
                    continue;
                };
                laps.push(Lap {
                    index: laps.len() as u32,
                    started_at: ms_to_datetime(start),
                    duration_s: m
                        .f("total_elapsed_time")
                        .map(|v| v as i64)
                        .filter(|v| *v != 0),
                    distance_m: m.f("total_distance"),
                    elevation_gain_m: m.f("total_ascent"),
                    avg_speed_kmh: m
                        .f("enhanced_avg_speed")
                        .or_else(|| m.f("avg_speed"))
                        .map(|v| super::metrics::round_dp(v * 3.6, 2)),
                    avg_hr_bpm: m.int("avg_heart_rate"),
                    avg_power_w: m.int("avg_power"),
                });
            }
            MesgNum::FileId if creator.is_none() => {
                creator = device_name(&m);
                manufacturer = m.s("manufacturer").map(|s| s.to_ascii_lowercase());
            }
            MesgNum::DeviceInfo => {
                if let Some(d) = device_name(&m) {
                    let is_creator = matches!(m.get("device_index"),
                        Some(Value::String(s)) if s == "creator")
                        || matches!(m.get("device_index").and_then(num), Some(x) if x == 0.0);
                    if is_creator && creator.is_none() {
                        creator = Some(d.clone());
                    }
                    last_device = Some(d);
                }
            }
            _ => {}
        }
    }

    // Sport: the `sport` message; else the first session's. A multisport
    // file (several sessions with different sports) takes the sport of its
    // longest leg and keeps every leg in `legs`.
    let (mut sport_raw, mut sub_raw) = match sport {
        Some(s) if normalize_sport(Some(&s)) != "other" => (Some(s), sub_sport),
        other => match session_sport {
            Some((s, ss)) => (Some(s), ss),
            None => (other, sub_sport),
        },
    };
    let distinct: HashSet<&str> = legs.iter().map(|l| l.sport.as_str()).collect();
    if legs.len() > 1 && distinct.len() > 1 {
        if let Some(longest) = legs.iter().max_by_key(|l| l.duration_s.unwrap_or(0)) {
            sport_raw = Some(longest.sport.clone());
            sub_raw = None;
        }
    } else {
        legs.clear();
    }
    Ok(RawParse {
        format: Format::Fit,
        points,
        sport_raw,
        sub_sport_raw: sub_raw,
        sport_is_fit: true,
        device: creator.or(last_device),
        manufacturer,
        laps,
        legs,
        altitude_source: if barometric {
            AltitudeSource::Barometric
        } else {
            AltitudeSource::Gps
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_value() {
        // CRC of an empty input is 0; a file's CRC over itself plus CRC is 0.
        assert_eq!(fit_crc(b""), 0);
        let data = b"123456789";
        let c = fit_crc(data);
        let mut with = data.to_vec();
        with.extend_from_slice(&c.to_le_bytes());
        assert_eq!(fit_crc(&with), 0);
    }

    #[test]
    fn rejects_garbage() {
        assert!(prepare("x.fit", b"hello").is_err());
        assert!(prepare(
            "x.fit",
            &[14, 16, 0, 0, 255, 255, 255, 255, b'.', b'F', b'I', b'T', 0, 0]
        )
        .is_err());
    }
}
