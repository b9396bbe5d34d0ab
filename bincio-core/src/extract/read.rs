//! Input decoding: format detection, gzip with an output limit, hashing.
//!
//! Why a limit: a `.gz` upload of a few MB can expand to many GB (a "gzip
//! bomb"). Decompression stops as soon as the output passes
//! [`Limits::max_decompressed_bytes`], so refusing a 1 GB bomb costs at most
//! the work of inflating the allowed amount, and memory never exceeds it.

use std::io::Read;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ExtractError;
use super::model::Format;

/// Resource limits and the clock used to judge timestamps.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted input (as given, before decompression).
    pub max_input_bytes: usize,
    /// Largest accepted decompressed size for gzip input.
    pub max_decompressed_bytes: usize,
    /// Largest accepted number of points in one file.
    pub max_points: usize,
    /// "Now" for the future-timestamp check; `None` means the system clock.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 512 << 20,
            max_decompressed_bytes: 512 << 20,
            max_points: 5_000_000,
            now: None,
        }
    }
}

/// `"sha256:" + lowercase hex` of the bytes exactly as given.
pub fn source_hash(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// File name with a trailing `.gz` removed, lower-cased, for suffix checks.
fn base_suffix(name: &str) -> (String, bool) {
    let lower = name.to_ascii_lowercase();
    match lower.strip_suffix(".gz") {
        Some(s) => (s.to_string(), true),
        None => (lower, false),
    }
}

/// True when the name ends in a supported suffix (`.gpx .tcx .fit`, each
/// optionally followed by `.gz`; case-insensitive).
pub fn is_supported_name(name: &str) -> bool {
    format_from_name(name).is_some()
}

/// Format implied by the file name, if any.
pub fn format_from_name(name: &str) -> Option<Format> {
    let (base, _) = base_suffix(name);
    if base.ends_with(".gpx") {
        Some(Format::Gpx)
    } else if base.ends_with(".tcx") {
        Some(Format::Tcx)
    } else if base.ends_with(".fit") {
        Some(Format::Fit)
    } else {
        None
    }
}

/// Format guessed from content: FIT has `.FIT` at byte 8; XML is told apart
/// by its root element (looked for in the first 4 KiB).
pub fn sniff_format(data: &[u8]) -> Option<Format> {
    if data.len() >= 12 && &data[8..12] == b".FIT" {
        return Some(Format::Fit);
    }
    let head = &data[..data.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    if head.contains("<TrainingCenterDatabase") {
        Some(Format::Tcx)
    } else if head.contains("<gpx") {
        Some(Format::Gpx)
    } else {
        None
    }
}

/// Strip gzip when the name says `.gz` or the bytes start with the gzip
/// magic; plain input is borrowed unchanged.
///
/// Unlike the reference (which falls back to the raw bytes when gzip fails)
/// a broken gzip stream is an error: parsing compressed bytes as XML only
/// produces a more confusing message.
pub fn decompress<'a>(
    name: &str,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<std::borrow::Cow<'a, [u8]>, ExtractError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            file: name.to_string(),
            reason: format!("{} bytes > limit {}", bytes.len(), limits.max_input_bytes),
        });
    }
    let is_gzip_magic = bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if !is_gzip_magic {
        if base_suffix(name).1 && !bytes.is_empty() {
            return Err(ExtractError::Gzip {
                file: name.to_string(),
                reason: "not a gzip stream".into(),
            });
        }
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let limit = limits.max_decompressed_bytes;
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    // Read at most limit + 1 bytes: one byte more than allowed proves the
    // stream is too large without inflating the rest of it.
    let mut out = Vec::with_capacity((bytes.len() * 4).min(limit).min(64 << 20));
    let mut taken = decoder.take(limit as u64 + 1);
    taken
        .read_to_end(&mut out)
        .map_err(|e| ExtractError::Gzip {
            file: name.to_string(),
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(ExtractError::TooLarge {
            file: name.to_string(),
            reason: format!("decompressed size exceeds limit {limit} bytes"),
        });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Decide the parser: by name first (the suffix with `.gz` stripped), else
/// by content.
pub fn pick_format(name: &str, data: &[u8]) -> Result<Format, ExtractError> {
    format_from_name(name)
        .or_else(|| sniff_format(data))
        .ok_or_else(|| ExtractError::UnsupportedFormat {
            file: name.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn names_and_sniffing() {
        assert_eq!(format_from_name("a.GPX.gz"), Some(Format::Gpx));
        assert_eq!(format_from_name("a.fit"), Some(Format::Fit));
        assert_eq!(format_from_name("a.tcx.gz"), Some(Format::Tcx));
        assert_eq!(format_from_name("a.txt"), None);
        assert_eq!(sniff_format(b"<?xml?><gpx>"), Some(Format::Gpx));
        assert_eq!(
            sniff_format(b"<TrainingCenterDatabase xmlns=''>"),
            Some(Format::Tcx)
        );
    }

    #[test]
    fn gzip_by_magic_and_limit() {
        let data = gz(b"hello world");
        let l = Limits::default();
        assert_eq!(&*decompress("x", &data, &l).unwrap(), b"hello world");
        let small = Limits {
            max_decompressed_bytes: 5,
            ..Limits::default()
        };
        assert!(matches!(
            decompress("x.gz", &data, &small),
            Err(ExtractError::TooLarge { .. })
        ));
        assert!(matches!(
            decompress("x.gpx.gz", b"<gpx>", &l),
            Err(ExtractError::Gzip { .. })
        ));
        let mut broken = data.clone();
        broken.truncate(data.len() - 6);
        assert!(decompress("x.gz", &broken, &l).is_err());
    }

    #[test]
    fn hash_is_prefixed_hex() {
        assert_eq!(
            source_hash(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
