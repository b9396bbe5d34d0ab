//! Shared helpers for the streaming XML parsers (GPX, TCX).

use std::borrow::Cow;

use quick_xml::events::BytesStart;

/// XML text as `str`: UTF-8 is borrowed; anything else (a Latin-1 file
/// with a non-ASCII track name) is converted lossily — the numeric content
/// we read is ASCII either way.
pub fn as_text(data: &[u8]) -> Cow<'_, str> {
    // `from_utf8` first: its validation is several times faster than the
    // chunked lossy decoder, which only runs for non-UTF-8 files.
    match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(data),
    }
}

/// Index just past the last `:` of a short name (0 when there is none); a
/// byte loop beats `rfind` (a `memrchr` call) on names this short.
fn after_colon(b: &[u8]) -> usize {
    let mut i = b.len();
    while i > 0 {
        if b[i - 1] == b':' {
            return i;
        }
        i -= 1;
    }
    0
}

/// Local name of an element (namespace prefix dropped).
pub fn local<'a>(e: &'a BytesStart<'a>) -> &'a str {
    let full: &str = e.name().0;
    &full[after_colon(full.as_bytes())..]
}

/// Local name of an end tag.
pub fn local_end(full: &str) -> &str {
    &full[after_colon(full.as_bytes())..]
}

/// Parse a finite float.
pub fn float(s: &str) -> Option<f64> {
    // Trim only when needed: values are almost always bare.
    let b = s.as_bytes();
    let s = match (b.first(), b.last()) {
        (Some(f), Some(l)) if !f.is_ascii_whitespace() && !l.is_ascii_whitespace() => s,
        _ => s.trim(),
    };
    s.parse::<f64>().ok().filter(|v| v.is_finite())
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

/// Drive a [`Sink`](super::xmlscan::Sink) with quick-xml events (the
/// fallback path shared by GPX and TCX: all of XML, precise errors).
/// Attributes are decoded only on elements named `attr_element` — the one
/// element whose attributes the format needs (`trkpt`, `Activity`).
pub(crate) fn drive_quick_xml<S>(
    file: &str,
    format: &'static str,
    text: &str,
    attr_element: &str,
    st: &mut S,
) -> Result<(), super::ExtractError>
where
    S: super::xmlscan::Sink<Error = super::ExtractError>,
{
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    loop {
        let ev = reader.read_event().map_err(|e| {
            super::ExtractError::malformed(
                file,
                format,
                format!("bad XML at byte {}: {e}", reader.error_position()),
            )
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = local(e);
                if name == attr_element {
                    let attrs: Vec<(String, String)> = e
                        .attributes()
                        .with_checks(false)
                        .flatten()
                        .map(|a| {
                            (
                                a.key.local_name().as_ref().to_string(),
                                a.value.into_owned(),
                            )
                        })
                        .collect();
                    let borrowed: Vec<(&str, &str)> = attrs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    st.start(name, empty, &borrowed)?;
                } else {
                    st.start(name, empty, &[])?;
                }
            }
            Event::Text(t) => st.text(&t)?,
            Event::CData(t) => st.text(&t)?,
            Event::End(e) => st.end(local_end(e.name().0))?,
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}
