//! Fast ISO-8601 timestamp parsing for XML formats, and the plausibility
//! window for every timestamp.
//!
//! Why hand-written: chrono's generic parser dominates GPX parse time on
//! large files; this one handles exactly the shapes GPX/TCX writers emit
//! (`YYYY-MM-DDTHH:MM:SS[.fff…][Z|±HH[:]MM]`) and rejects anything else.

use chrono::{DateTime, Utc};

/// 1990-01-01T00:00:00Z in ms: earlier timestamps come from unset clocks.
pub const MIN_PLAUSIBLE_MS: i64 = 631_152_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
}

/// Parse an ISO-8601 timestamp. Returns `(ms since epoch UTC, had_offset)`;
/// a naive time (no `Z`, no offset) is read as UTC with `had_offset = false`.
pub fn parse_iso8601(s: &str) -> Option<(i64, bool)> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, se) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60
    {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &b[start..i.min(start + 3)];
        ms = num(frac)? * 10i64.pow(3 - frac.len() as u32);
    }
    let rest = &b[i..];
    let (offset_s, had_offset) = match rest {
        [] => (0, false),
        [b'Z'] | [b'z'] => (0, true),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b2, b':', c, d2] | [a, b2, c, d2] => (num(&[*a, *b2])?, num(&[*c, *d2])?),
                [a, b2] => (num(&[*a, *b2])?, 0),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            (if *sign == b'-' { -off } else { off }, true)
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset_s;
    Some((secs * 1000 + ms, had_offset))
}

/// Convert ms since epoch to a chrono UTC datetime (saturating to the epoch
/// for out-of-range values, which the plausibility check rejects anyway).
pub fn ms_to_datetime(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let base = DateTime::parse_from_rfc3339("2017-06-08T16:57:49Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(parse_iso8601("2017-06-08T16:57:49Z"), Some((base, true)));
        assert_eq!(
            parse_iso8601("2017-06-08T16:57:49.250Z"),
            Some((base + 250, true))
        );
        assert_eq!(
            parse_iso8601("2017-06-08T18:57:49+02:00"),
            Some((base, true))
        );
        assert_eq!(
            parse_iso8601("2017-06-08T18:57:49+0200"),
            Some((base, true))
        );
        assert_eq!(parse_iso8601("2017-06-08T16:57:49"), Some((base, false)));
        assert_eq!(parse_iso8601("2017-02-30T16:57:49Z"), None);
        assert_eq!(parse_iso8601("garbage"), None);
        assert_eq!(parse_iso8601("2017-06-08T16:57:49Zjunk"), None);
        assert!(parse_iso8601("2016-02-29T00:00:00Z").is_some());
    }
}
