//! FIT reader: our structural pass, then our own decoder for the messages
//! we use, with `fitparser` as the reference and the fallback.
//!
//! 1. Structural pass ([`sections`]): every header, header CRC and data CRC
//!    is checked (so a corrupted file gets a precise error), every data
//!    message must have a definition and fit; chained FIT files (several
//!    headers in one file) are cut into their data sections, trailing
//!    padding after a complete file is ignored.
//! 2. [`fast`]: reads only the fields we use straight from the bytes —
//!    `record` (timestamp, position, `enhanced_altitude` else `altitude`,
//!    heart rate, cadence, `enhanced_speed` else `speed`, power,
//!    temperature, distance), `sport`, `session`, `lap`, `file_id`,
//!    `device_info`, plus `field_description` to skip developer fields —
//!    with fitparser's rules for base types, invalid values, scale/offset,
//!    components, compressed-timestamp headers and both byte orders. No
//!    allocation per message or per point.
//! 3. Files the fast decoder declines (types fitparser might refuse or read
//!    differently: see [`fast`]) go through [`reference`]: fitparser on a
//!    private copy whose odd-sized field definitions are rewritten to
//!    `byte` (fitparser 0.11 would print `ERROR: field size …` to stderr and
//!    read them as bytes anyway), CRC checks off (done in step 1).
//!
//! Both decoders present messages through one [`view::View`] and feed one
//! interpretation ([`view::absorb`]), so they can only differ in a field's
//! value; `tests/extract_fit_differential.rs` compares them point by point
//! on every FIT file of the repository and on generated odd files.
//!
//! Why not fitparser alone: it allocates a `String` name, a `Value` and a
//! hash-map entry per field and converts every field of every message
//! through the profile. On the repository's FIT files (`cargo bench -p
//! bincio-extract --bench extract`, FIT row, same loaded machine) `parse`
//! went from 5.3 MB/s (242 files/s) with fitparser to 97.5 MB/s (4 424
//! files/s) with the fast path, and parse + compute + JSON from 4.7 to
//! 58.7 MB/s.

mod fast;
mod profile_types;
mod reference;
mod view;

use std::collections::HashSet;
use std::ops::Range;

pub use view::FitContent;

use super::error::ExtractError;
use super::model::{AltitudeSource, Format};
use super::sport::normalize_sport;
use super::RawParse;

const FIT: &str = "FIT";

/// CRC-16 table of the FIT polynomial (reflected 0xA001), one entry per
/// byte value: the SDK's nibble algorithm applied to a whole byte.
const CRC_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
            k += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
};

/// FIT CRC-16 (the SDK's algorithm, a byte at a time).
pub fn fit_crc(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| {
        (crc >> 8) ^ CRC_TABLE[((crc ^ u16::from(b)) & 0xFF) as usize]
    })
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

/// The structural pass: validate every header, CRC and message; return the
/// data section (between header and CRC) of each chained FIT file.
/// Trailing bytes after the last complete file are ignored.
pub(crate) fn sections(file: &str, data: &[u8]) -> Result<Vec<Range<usize>>, ExtractError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let rest = &data[pos..];
        let looks_like_header =
            rest.len() >= 12 && (rest[0] == 12 || rest[0] == 14) && &rest[8..12] == b".FIT";
        if !looks_like_header {
            if !out.is_empty() {
                // Padding or junk after a complete file: ignore it.
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
        walk_records(file, &rest[hsize..end], None)?;
        out.push(pos + hsize..pos + end);
        pos += end + 2;
    }
    if out.is_empty() {
        return Err(ExtractError::NoDataPoints {
            file: file.to_string(),
        });
    }
    Ok(out)
}

/// Validate the structure and CRCs; return the bytes fitparser may read
/// (trailing garbage after the last complete FIT file cut off, odd-sized
/// field definitions neutralised).
pub(crate) fn prepare(file: &str, data: &[u8]) -> Result<Vec<u8>, ExtractError> {
    let secs = sections(file, data)?;
    let last = secs.last().map_or(0, |r| r.end + 2);
    let mut out = data[..last].to_vec();
    for r in secs {
        walk_records(file, &data[r.clone()], Some(&mut out[r]))?;
    }
    Ok(out)
}

/// Walk definition and data messages of one FIT data section; with `patch`
/// (a copy of the section), rewrite odd-sized fields' base type to `byte`.
fn walk_records(file: &str, d: &[u8], mut patch: Option<&mut [u8]>) -> Result<(), ExtractError> {
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
                if let Some(p) = patch.as_deref_mut() {
                    let base = d[at + 2];
                    // `%` rather than `is_multiple_of`: the workspace's MSRV is 1.85.
                    #[allow(clippy::manual_is_multiple_of)]
                    let odd = size == 0 || size % base_size(base) != 0;
                    if odd {
                        p[at + 2] = 0x0D;
                    }
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

/// Decode with the fast decoder only: `Ok(None)` when it declines the file
/// (which [`parse`] then gives to fitparser). Public for the differential
/// test and for tools; [`parse`] is what extraction uses.
pub fn decode_fast(
    file: &str,
    data: &[u8],
    max_points: usize,
) -> Result<Option<FitContent>, ExtractError> {
    let secs = sections(file, data)?;
    let slices: Vec<&[u8]> = secs.into_iter().map(|r| &data[r]).collect();
    fast::decode(file, &slices, max_points)
}

/// Decode with fitparser only (the reference of the differential test).
pub fn decode_reference(
    file: &str,
    data: &[u8],
    max_points: usize,
) -> Result<FitContent, ExtractError> {
    reference::decode(file, data, max_points)
}

pub(crate) fn parse(file: &str, data: &[u8], max_points: usize) -> Result<RawParse, ExtractError> {
    let c = match decode_fast(file, data, max_points)? {
        Some(c) => c,
        None => decode_reference(file, data, max_points)?,
    };
    // Sport: the `sport` message; else the first session's. A multisport
    // file (several sessions with different sports) takes the sport of its
    // longest leg and keeps every leg in `legs`.
    let (mut sport_raw, mut sub_raw) = match c.sport {
        Some((s, ss)) if normalize_sport(Some(&s)) != "other" => (Some(s), ss),
        other => match c.session_sport {
            Some((s, ss)) => (Some(s), ss),
            None => match other {
                Some((s, ss)) => (Some(s), ss),
                None => (None, None),
            },
        },
    };
    let mut legs = c.legs;
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
        points: c.points,
        sport_raw,
        sub_sport_raw: sub_raw,
        sport_is_fit: true,
        device: c.creator.or(c.last_device),
        manufacturer: c.manufacturer,
        laps: c.laps,
        legs,
        altitude_source: if c.barometric {
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
    fn crc_table_matches_the_sdk_nibble_algorithm() {
        fn nibble_crc(data: &[u8]) -> u16 {
            const T: [u16; 16] = [
                0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00,
                0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
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
        let data: Vec<u8> = (0..2048u32).map(|i| (i * 7919 % 251) as u8).collect();
        for n in [0, 1, 2, 13, 255, 2048] {
            assert_eq!(fit_crc(&data[..n]), nibble_crc(&data[..n]), "{n} bytes");
        }
    }

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
