//! Shared helpers for the streaming XML parsers (GPX, TCX).

use std::borrow::Cow;

use quick_xml::events::BytesStart;

/// XML text as `str`: UTF-8 is borrowed; anything else (a Latin-1 file
/// with a non-ASCII track name) is converted lossily — the numeric content
/// we read is ASCII either way.
pub fn as_text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Local name of an element (namespace prefix dropped).
pub fn local<'a>(e: &'a BytesStart<'a>) -> &'a str {
    let name = e.name();
    let full: &str = name.0;
    match full.rfind(':') {
        Some(i) => &full[i + 1..],
        None => full,
    }
}

/// Local name of an end tag.
pub fn local_end(full: &str) -> &str {
    match full.rfind(':') {
        Some(i) => &full[i + 1..],
        None => full,
    }
}

/// Parse a finite float.
pub fn float(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Python's `int(float(s))`: truncation toward zero; out-of-range → None.
pub fn int_of_float(s: &str) -> Option<i32> {
    let v = float(s)?;
    (v.abs() < 1e9).then_some(v.trunc() as i32)
}

/// A latitude in [-90, 90].
pub fn lat(v: f64) -> Option<f64> {
    (v.is_finite() && v.abs() <= 90.0).then_some(v)
}

/// A longitude in [-180, 180].
pub fn lon(v: f64) -> Option<f64> {
    (v.is_finite() && v.abs() <= 180.0).then_some(v)
}
