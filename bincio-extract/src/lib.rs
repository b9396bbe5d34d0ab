//! `bincio-extract`: the pure extraction engine. GPX / TCX / FIT (plain or
//! gzip) → stats, tracks, timeseries, BAS documents, and the privacy cut
//! applied to those documents on the way out. Contract:
//! `shared/contracts/bincio.md` §4–§5; deliberate departures are listed in
//! `docs/extraction.md`.
//!
//! The API is pure (no filesystem, no clock unless asked), so the CLI, the
//! server upload path and stores call the same code:
//!
//! ```no_run
//! use bincio_extract::{compute, parse_bytes, Limits, Options};
//! let bytes = std::fs::read("ride.fit.gz").unwrap();
//! let parsed = parse_bytes("ride.fit.gz", &bytes, &Limits::default()).unwrap();
//! let activity = compute(&parsed, &Options::default());
//! println!("{}", serde_json::to_string_pretty(&activity.detail).unwrap());
//! ```
//!
//! Invariants of this crate:
//! * no input makes any function here panic; bad input is an
//!   [`ExtractError`] naming the file and the reason;
//! * it depends on no store, no service, no async runtime and no HTTP
//!   (`cargo tree -p bincio-extract` shows no tokio, axum, rusqlite or
//!   mongodb): `bincio-core` depends on it, never the other way round, so a
//!   change in a service does not recompile the parsers.
pub mod bas;
pub mod compute;
pub mod dedup;
pub mod error;
pub mod expand;
pub mod fit;
pub mod gpx;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod privacy;
pub mod read;
pub mod simplify;
pub mod sport;
pub mod tcx;
pub mod time;
pub mod tree;
mod xml;
mod xmlscan;

pub use bas::{Activity, Detail, GeoJson, Privacy, Summary, Timeseries};
pub use compute::{compute, Options};
pub use error::ExtractError;
pub use model::{AltitudeSource, DataPoint, Format, Lap, Leg, ParsedActivity};
pub use read::{is_supported_name, source_hash, Limits, MAX_FIT_BYTES, MAX_XML_BYTES};

use chrono::Utc;

/// What a format parser returns before the common post-processing.
pub(crate) struct RawParse {
    pub format: Format,
    pub points: Vec<DataPoint>,
    pub sport_raw: Option<String>,
    pub sub_sport_raw: Option<String>,
    pub sport_is_fit: bool,
    pub device: Option<String>,
    pub manufacturer: Option<String>,
    pub laps: Vec<Lap>,
    pub legs: Vec<Leg>,
    pub altitude_source: AltitudeSource,
}

/// Parse one file's bytes (`name` is its base name; it picks the format by
/// suffix and appears in errors and in `source_file`).
///
/// gzip is inflated within the format's limit ([`Limits::max_content_bytes`],
/// also applied to plain input) without ever buffering more than a few MiB
/// of a stream that turns out too large (see [`expand`]).
///
/// After the format parser: points are sorted by time (stable), every
/// timestamp must lie in [1990-01-01, now + 1 day], and an empty result is
/// "no data points".
pub fn parse_bytes(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<ParsedActivity, ExtractError> {
    parse_inner(name, bytes, None, limits)
}

/// [`parse_bytes`] for a caller that already computed `source_hash(bytes)`
/// (to skip known files before parsing): the hash is taken as given, so a
/// file is hashed once. `hash` must be [`source_hash`] of `bytes`.
pub fn parse_bytes_hashed(
    name: &str,
    bytes: &[u8],
    hash: String,
    limits: &Limits,
) -> Result<ParsedActivity, ExtractError> {
    parse_inner(name, bytes, Some(hash), limits)
}

fn parse_inner(
    name: &str,
    bytes: &[u8],
    hash: Option<String>,
    limits: &Limits,
) -> Result<ParsedActivity, ExtractError> {
    let data = read::decompress(name, bytes, limits)?;
    let format = read::pick_format(name, &data)?;
    limits.check_content_len(name, format, data.len())?;
    let raw = match format {
        Format::Gpx => gpx::parse(name, &data, limits.max_points)?,
        Format::Tcx => tcx::parse(name, &data, limits.max_points)?,
        Format::Fit => fit::parse(name, &data, limits.max_points)?,
    };
    finish(name, bytes, hash, raw, limits)
}

fn finish(
    name: &str,
    bytes: &[u8],
    hash: Option<String>,
    raw: RawParse,
    limits: &Limits,
) -> Result<ParsedActivity, ExtractError> {
    let mut points = raw.points;
    if points.is_empty() {
        return Err(ExtractError::NoDataPoints {
            file: name.to_string(),
        });
    }
    let now = limits.now.unwrap_or_else(Utc::now).timestamp_millis();
    let max_ok = now.saturating_add(86_400_000);
    if let Some(bad) = points
        .iter()
        .map(|p| p.ts_ms)
        .find(|&t| !(time::MIN_PLAUSIBLE_MS..=max_ok).contains(&t))
    {
        return Err(ExtractError::BadTimestamp {
            file: name.to_string(),
            timestamp: time::ms_to_datetime(bad).to_rfc3339(),
        });
    }
    // Stable sort: out-of-order segments (a device that resumed with an old
    // clock, merged files) are put in time order; equal times keep file order.
    points.sort_by_key(|p| p.ts_ms);
    let (sport, sub_sport, inferred) = match raw.sport_raw.as_deref() {
        Some(s) if raw.sport_is_fit => (
            sport::normalize_sport(Some(s)).to_string(),
            raw.sub_sport_raw.as_deref().and_then(sport::fit_sub_sport),
            false,
        ),
        Some(s) => (
            sport::normalize_sport(Some(s)).to_string(),
            sport::normalize_sub_sport(Some(s)),
            false,
        ),
        None if raw.format == Format::Gpx => ("other".to_string(), None, true),
        None => ("other".to_string(), None, false),
    };
    Ok(ParsedActivity {
        format: raw.format,
        started_at: time::ms_to_datetime(points[0].ts_ms),
        points,
        sport,
        sub_sport: sub_sport.map(str::to_string),
        sport_inferred: inferred,
        source_file: name.to_string(),
        source_hash: hash.unwrap_or_else(|| source_hash(bytes)),
        device: raw.device,
        manufacturer: raw.manufacturer,
        title: None,
        description: None,
        laps: raw.laps,
        legs: raw.legs,
        altitude_source: raw.altitude_source,
    })
}

/// Parse and compute in one call.
pub fn extract_bytes(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    opts: &Options,
) -> Result<Activity, ExtractError> {
    parse_bytes(name, bytes, limits).map(|p| compute(&p, opts))
}
