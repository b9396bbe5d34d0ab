//! Input decoding: format detection, bounded gzip, hashing.
//!
//! Why bounds: a `.gz` upload of a few hundred KiB can expand to many GB (a
//! "gzip bomb"). gzip is inflated by [`super::expand`]: at most a few MiB
//! are held until the real size is known, the size is checked against the
//! per-format limit ([`Limits::max_content_bytes`]) while inflating, and the
//! content is then held once at its exact size.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ExtractError;
use super::expand::{self, Bound, MAX_RATIO};
use super::model::Format;

/// Largest GPX or TCX content (after decompression) by default: 128 MiB.
/// A 24 h recording at 1 Hz with extensions is ~30–40 MiB of GPX (TCX
/// about twice the bytes per point), so this leaves room for multi-day
/// files while keeping one upload's buffer far from the memory of a server.
pub const MAX_XML_BYTES: usize = 128 << 20;
/// Largest FIT content (after decompression) by default: 64 MiB. FIT spends
/// ~20–60 bytes per record, so 64 MiB is over two weeks at 1 Hz.
pub const MAX_FIT_BYTES: usize = 64 << 20;

/// Resource limits and the clock used to judge timestamps.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted input (as given, before decompression).
    pub max_input_bytes: usize,
    /// Largest accepted GPX / TCX content, after decompression.
    pub max_xml_bytes: usize,
    /// Largest accepted FIT content, after decompression.
    pub max_fit_bytes: usize,
    /// Largest accepted gzip expansion (output bytes per compressed byte,
    /// judged past the first MiB; see [`super::expand`]).
    pub max_gzip_ratio: u64,
    /// Largest accepted number of points in one file (2 million by default:
    /// 23 days at 1 Hz, ~270 MB of points in memory).
    pub max_points: usize,
    /// "Now" for the future-timestamp check; `None` means the system clock.
    pub now: Option<DateTime<Utc>>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: MAX_XML_BYTES,
            max_xml_bytes: MAX_XML_BYTES,
            max_fit_bytes: MAX_FIT_BYTES,
            max_gzip_ratio: MAX_RATIO,
            max_points: 2_000_000,
            now: None,
        }
    }
}

impl Limits {
    /// Largest content of `format` (the larger of the two when unknown,
    /// i.e. before a nameless file has been sniffed).
    pub fn max_content_bytes(&self, format: Option<Format>) -> usize {
        match format {
            Some(Format::Gpx | Format::Tcx) => self.max_xml_bytes,
            Some(Format::Fit) => self.max_fit_bytes,
            None => self.max_xml_bytes.max(self.max_fit_bytes),
        }
    }

    /// Refuse an input of `len` bytes as given (before reading it, when the
    /// caller knows its size).
    pub fn check_input_len(&self, name: &str, len: u64) -> Result<(), ExtractError> {
        if len > self.max_input_bytes as u64 {
            return Err(ExtractError::TooLarge {
                file: name.to_string(),
                reason: format!(
                    "larger than {}",
                    expand::size_text(self.max_input_bytes as u64)
                ),
            });
        }
        Ok(())
    }

    /// Refuse content of `format` larger than its limit.
    pub fn check_content_len(
        &self,
        name: &str,
        format: Format,
        len: usize,
    ) -> Result<(), ExtractError> {
        let max = self.max_content_bytes(Some(format));
        if len > max {
            return Err(ExtractError::TooLarge {
                file: name.to_string(),
                reason: format!("larger than {}", expand::size_text(max as u64)),
            });
        }
        Ok(())
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
/// gzip is inflated through [`expand::read_bounded`] against the limit of
/// the format the name implies: a bomb is refused while inflating, having
/// cost at most [`expand::EAGER_BYTES`] of memory.
///
/// Unlike the reference (which falls back to the raw bytes when gzip fails)
/// a broken gzip stream is an error: parsing compressed bytes as XML only
/// produces a more confusing message.
pub fn decompress<'a>(
    name: &str,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<std::borrow::Cow<'a, [u8]>, ExtractError> {
    limits.check_input_len(name, bytes.len() as u64)?;
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
    let bound = Bound {
        max_bytes: limits.max_content_bytes(format_from_name(name)) as u64,
        max_ratio: limits.max_gzip_ratio,
    };
    // gzip's trailer ends with the size of the (last) member mod 2^32: a
    // hint for the buffer, trusted for nothing else.
    let hint = bytes
        .last_chunk::<4>()
        .map(|t| u64::from(u32::from_le_bytes(*t)));
    // `&[u8]` is the decoder's `BufRead`: what is left of it tells exactly
    // how much compressed input has been consumed.
    expand::read_bounded(
        || flate2::bufread::MultiGzDecoder::new(bytes),
        |d| (bytes.len() - d.get_ref().len()) as u64,
        bound,
        hint,
    )
    .map(std::borrow::Cow::Owned)
    .map_err(|e| match e {
        expand::Expansion::Broken(e) => ExtractError::Gzip {
            file: name.to_string(),
            reason: e.to_string(),
        },
        e => ExtractError::TooLarge {
            file: name.to_string(),
            reason: e.reason(),
        },
    })
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
            max_xml_bytes: 5,
            max_fit_bytes: 5,
            ..Limits::default()
        };
        assert_eq!(
            decompress("x.gpx.gz", &data, &small)
                .unwrap_err()
                .to_string(),
            "x.gpx.gz: too large: decompresses to more than 5 bytes"
        );
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
