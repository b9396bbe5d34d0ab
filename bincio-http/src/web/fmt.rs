//! Formatting of activity values for people: durations, start times in the
//! activity's own time zone, and reading numbers out of BAS documents.
//!
//! BAS documents are open JSON (`bincio_core::activities::documents`), so
//! every reader here tolerates a missing, null or mistyped field: it shows
//! nothing rather than failing the page.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::i18n::Strings;

/// A positive finite number field of `doc`.
pub(crate) fn num(doc: &Value, key: &str) -> Option<f64> {
    doc.get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// A string field of `doc` ("" when absent).
pub(crate) fn text<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The strings of an array field at `pointer` (e.g. `/custom/hide_stats`,
/// `/custom/images`); empty when absent.
pub(crate) fn strings(doc: &Value, pointer: &str) -> Vec<String> {
    doc.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A duration as `1 h 05 min`, `42 min 10 s`, `35 s`.
pub(crate) fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    let s = secs.round() as u64;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

/// A duration as a clock (`1:05:10`, `42:10`) for tables and laps.
pub(crate) fn clock(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    let s = secs.round() as u64;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The start of an activity as written in its document (`started_at`, ISO
/// 8601 with the offset the recording had), falling back to `unix` in UTC.
/// Keeping the document's offset shows a ride at the local hour it was
/// ridden, whatever the reader's zone.
pub(crate) fn start(doc: &Value, unix: i64) -> Option<DateTime<FixedOffset>> {
    doc.get("started_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .or_else(|| DateTime::from_timestamp(unix, 0).map(|d| d.fixed_offset()))
}

/// `Sat 3 May 2026 · 07:12` in the reader's language.
pub(crate) fn date_time(t: &Strings, d: &DateTime<FixedOffset>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{} {} {} {} · {:02}:{:02}",
        t.weekdays_short[d.weekday().num_days_from_monday() as usize],
        d.day(),
        t.months_short[d.month0() as usize],
        d.year(),
        d.hour(),
        d.minute()
    )
}

/// `3 May 2026`.
pub(crate) fn date(t: &Strings, d: &DateTime<FixedOffset>) -> String {
    use chrono::Datelike;
    format!(
        "{} {} {}",
        d.day(),
        t.months_short[d.month0() as usize],
        d.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_and_clocks() {
        assert_eq!(duration(3910.0), "1 h 05 min");
        assert_eq!(duration(2530.0), "42 min 10 s");
        assert_eq!(duration(35.0), "35 s");
        assert_eq!(duration(f64::NAN), "");
        assert_eq!(clock(3910.0), "1:05:10");
        assert_eq!(clock(2530.0), "42:10");
    }

    #[test]
    fn start_keeps_the_recorded_offset() {
        let d = start(&json!({"started_at": "2026-05-03T07:12:00+02:00"}), 0).unwrap();
        assert_eq!(
            date_time(&super::super::i18n::EN, &d),
            "Sun 3 May 2026 · 07:12"
        );
        let d = start(&json!({}), 1_777_777_777).unwrap();
        assert_eq!(d.offset().local_minus_utc(), 0);
        assert_eq!(num(&json!({"a": -1, "b": "x", "c": 2.5}), "a"), None);
        assert_eq!(num(&json!({"c": 2.5}), "c"), Some(2.5));
    }
}
