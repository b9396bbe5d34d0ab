//! What we read from FIT messages, written once for both decoders.
//!
//! A decoder presents each data message as a [`View`]: "the value of this
//! profile field, as fitparser would name and convert it". [`absorb`] then
//! turns messages into points, laps, legs, sport and device — so the fast
//! decoder and the fitparser path differ only in how they produce a value,
//! never in what is done with it (which is what the differential test
//! checks value by value).

use super::super::error::ExtractError;
use super::super::metrics::round_dp;
use super::super::model::{DataPoint, Lap, Leg};
use super::super::sport::{fit_sub_sport, normalize_sport};
use super::super::time::ms_to_datetime;

/// Global message numbers we read.
pub(super) const FILE_ID: u16 = 0;
pub(super) const SPORT: u16 = 12;
pub(super) const SESSION: u16 = 18;
pub(super) const LAP: u16 = 19;
pub(super) const RECORD: u16 = 20;
pub(super) const DEVICE_INFO: u16 = 23;
pub(super) const FIELD_DESCRIPTION: u16 = 206;

/// A profile field by the name fitparser gives it (the meaning of a name
/// depends on the message: `manufacturer` is field 1 of `file_id` and
/// field 2 of `device_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum F {
    Timestamp,
    PositionLat,
    PositionLong,
    EnhancedAltitude,
    Altitude,
    HeartRate,
    Cadence,
    EnhancedSpeed,
    Speed,
    Power,
    Temperature,
    Distance,
    Sport,
    SubSport,
    StartTime,
    TotalElapsedTime,
    TotalDistance,
    EnhancedAvgSpeed,
    AvgSpeed,
    AvgHeartRate,
    TotalAscent,
    AvgPower,
    Manufacturer,
    ProductName,
    GarminProduct,
    FaveroProduct,
    Product,
}

impl F {
    /// fitparser's name of the field.
    pub(super) fn name(self) -> &'static str {
        match self {
            F::Timestamp => "timestamp",
            F::PositionLat => "position_lat",
            F::PositionLong => "position_long",
            F::EnhancedAltitude => "enhanced_altitude",
            F::Altitude => "altitude",
            F::HeartRate => "heart_rate",
            F::Cadence => "cadence",
            F::EnhancedSpeed => "enhanced_speed",
            F::Speed => "speed",
            F::Power => "power",
            F::Temperature => "temperature",
            F::Distance => "distance",
            F::Sport => "sport",
            F::SubSport => "sub_sport",
            F::StartTime => "start_time",
            F::TotalElapsedTime => "total_elapsed_time",
            F::TotalDistance => "total_distance",
            F::EnhancedAvgSpeed => "enhanced_avg_speed",
            F::AvgSpeed => "avg_speed",
            F::AvgHeartRate => "avg_heart_rate",
            F::TotalAscent => "total_ascent",
            F::AvgPower => "avg_power",
            F::Manufacturer => "manufacturer",
            F::ProductName => "product_name",
            F::GarminProduct => "garmin_product",
            F::FaveroProduct => "favero_product",
            F::Product => "product",
        }
    }

    /// Every field name [`absorb`] looks up, plus `device_index`: a
    /// developer field named like one of them would shadow it in fitparser.
    pub(super) const LOOKED_UP: [&'static str; 28] = [
        "timestamp",
        "position_lat",
        "position_long",
        "enhanced_altitude",
        "altitude",
        "heart_rate",
        "cadence",
        "enhanced_speed",
        "speed",
        "power",
        "temperature",
        "distance",
        "sport",
        "sub_sport",
        "start_time",
        "total_elapsed_time",
        "total_distance",
        "enhanced_avg_speed",
        "avg_speed",
        "avg_heart_rate",
        "total_ascent",
        "avg_power",
        "manufacturer",
        "product_name",
        "garmin_product",
        "favero_product",
        "product",
        "device_index",
    ];
}

/// One data message as seen through the profile.
pub(super) trait View {
    /// Numeric value after scale and offset; `None` when absent, not a
    /// single number (an array, text, a timestamp) or not finite.
    fn num(&self, f: F) -> Option<f64>;
    /// Text: a string field, an enum's name, else the number printed.
    fn text(&self, f: F) -> Option<String>;
    /// A date-time field in Unix milliseconds.
    fn ts_ms(&self, f: F) -> Option<i64>;
    /// `device_index` is "creator" (0).
    fn is_creator(&self) -> bool;

    fn int(&self, f: F) -> Option<i32> {
        self.num(f)
            .filter(|v| v.abs() < 1e9)
            .map(|v| v.trunc() as i32)
    }
}

/// Everything read from the messages, before the file-level decisions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitContent {
    pub points: Vec<DataPoint>,
    /// The last `sport` message that named a sport: (sport, sub_sport).
    pub sport: Option<(String, Option<String>)>,
    /// The first session's (sport, sub_sport).
    pub session_sport: Option<(String, Option<String>)>,
    pub creator: Option<String>,
    pub last_device: Option<String>,
    /// `file_id.manufacturer`, lower case.
    pub manufacturer: Option<String>,
    pub laps: Vec<Lap>,
    /// One per session with a start (all of them, before the multisport rule).
    pub legs: Vec<Leg>,
    /// A record carried an altitude.
    pub barometric: bool,
}

fn semicircles(v: Option<f64>) -> Option<f64> {
    let deg = v? * 180.0 / 2_147_483_648.0;
    (deg.abs() <= 180.0).then_some(deg)
}

fn device_name(m: &impl View) -> Option<String> {
    let mfr = m.text(F::Manufacturer);
    let prod = m.text(F::ProductName).or_else(|| {
        m.text(F::GarminProduct)
            .or_else(|| m.text(F::FaveroProduct))
            .or_else(|| m.text(F::Product))
    });
    match (mfr, prod) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (None, Some(b)) => Some(b),
        (Some(a), None) => Some(a),
        _ => None,
    }
}

/// Fold one data message (global number `global`) into `c`.
pub(super) fn absorb(
    file: &str,
    global: u16,
    m: &impl View,
    c: &mut FitContent,
    max_points: usize,
) -> Result<(), ExtractError> {
    match global {
        RECORD => {
            let Some(ts) = m.ts_ms(F::Timestamp) else {
                return Ok(());
            };
            let lat = semicircles(m.num(F::PositionLat));
            let lon = semicircles(m.num(F::PositionLong));
            let (lat, lon) = match (lat, lon) {
                (Some(a), Some(b)) => (Some(a), Some(b)),
                _ => (None, None),
            };
            let ele = m.num(F::EnhancedAltitude).or_else(|| m.num(F::Altitude));
            c.barometric |= ele.is_some();
            let speed = m.num(F::EnhancedSpeed).or_else(|| m.num(F::Speed));
            if c.points.len() >= max_points {
                return Err(ExtractError::TooLarge {
                    file: file.to_string(),
                    reason: format!("more than {max_points} points"),
                });
            }
            c.points.push(DataPoint {
                ts_ms: ts,
                lat,
                lon,
                elevation_m: ele,
                hr_bpm: m.int(F::HeartRate),
                cadence_rpm: m.int(F::Cadence),
                speed_kmh: speed.map(|v| v * 3.6),
                power_w: m.int(F::Power),
                temperature_c: m.num(F::Temperature),
                distance_m: m.num(F::Distance),
            });
        }
        SPORT => {
            if let Some(s) = m.text(F::Sport) {
                c.sport = Some((s, m.text(F::SubSport)));
            }
        }
        SESSION => {
            let s = m.text(F::Sport);
            let ss = m.text(F::SubSport);
            if c.session_sport.is_none() {
                if let Some(s) = &s {
                    c.session_sport = Some((s.clone(), ss.clone()));
                }
            }
            let start = m.ts_ms(F::StartTime).or_else(|| m.ts_ms(F::Timestamp));
            if let Some(start) = start {
                c.legs.push(Leg {
                    index: c.legs.len() as u32,
                    sport: normalize_sport(s.as_deref()).to_string(),
                    sub_sport: ss.as_deref().and_then(fit_sub_sport).map(str::to_string),
                    started_at: ms_to_datetime(start),
                    duration_s: m
                        .num(F::TotalElapsedTime)
                        .map(|v| v as i64)
                        .filter(|v| *v > 0),
                    distance_m: m.num(F::TotalDistance),
                    avg_speed_kmh: m
                        .num(F::EnhancedAvgSpeed)
                        .or_else(|| m.num(F::AvgSpeed))
                        .map(|v| round_dp(v * 3.6, 2)),
                    avg_hr_bpm: m.int(F::AvgHeartRate),
                });
            }
        }
        LAP => {
            let Some(start) = m.ts_ms(F::StartTime) else {
                return Ok(());
            };
            c.laps.push(Lap {
                index: c.laps.len() as u32,
                started_at: ms_to_datetime(start),
                duration_s: m
                    .num(F::TotalElapsedTime)
                    .map(|v| v as i64)
                    .filter(|v| *v != 0),
                distance_m: m.num(F::TotalDistance),
                elevation_gain_m: m.num(F::TotalAscent),
                avg_speed_kmh: m
                    .num(F::EnhancedAvgSpeed)
                    .or_else(|| m.num(F::AvgSpeed))
                    .map(|v| round_dp(v * 3.6, 2)),
                avg_hr_bpm: m.int(F::AvgHeartRate),
                avg_power_w: m.int(F::AvgPower),
            });
        }
        FILE_ID if c.creator.is_none() => {
            c.creator = device_name(m);
            c.manufacturer = m.text(F::Manufacturer).map(|s| s.to_ascii_lowercase());
        }
        DEVICE_INFO => {
            if let Some(d) = device_name(m) {
                if m.is_creator() && c.creator.is_none() {
                    c.creator = Some(d.clone());
                }
                c.last_device = Some(d);
            }
        }
        _ => {}
    }
    Ok(())
}
