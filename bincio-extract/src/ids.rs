//! Activity ids, slugs, automatic titles and the source label (contract §4.7).

use chrono::{DateTime, Timelike, Utc};
use unicode_normalization::UnicodeNormalization;

use super::model::Format;

/// `NFKD → ASCII → lower → [^a-z0-9]+ → "-" → trim "-" → first 60 chars`
/// (truncation may leave a trailing `-`, as in the reference).
pub fn slug(title: &str) -> String {
    let ascii: String = title.nfkd().filter(char::is_ascii).collect();
    let lower = ascii.to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut dash = false;
    for c in lower.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_matches('-').chars().take(60).collect()
}

/// `YYYY-MM-DDTHHMMSSZ` of the UTC start, plus `-slug` for a titled activity.
pub fn activity_id(started_at: DateTime<Utc>, title: Option<&str>) -> String {
    let base = started_at.format("%Y-%m-%dT%H%M%SZ").to_string();
    match title.map(slug).filter(|s| !s.is_empty()) {
        Some(s) => format!("{base}-{s}"),
        None => base,
    }
}

/// The id used when `id` is taken by a different file: `{id}-{last 6 hex}`.
pub fn collision_id(id: &str, source_hash: &str) -> String {
    let tail = &source_hash[source_hash.len().saturating_sub(6)..];
    format!("{id}-{tail}")
}

/// "Morning Running" etc. from the UTC hour: 5–11 Morning, 12–16 Afternoon,
/// 17–20 Evening, otherwise Night.
pub fn auto_title(started_at: DateTime<Utc>, sport: &str) -> String {
    let tod = match started_at.hour() {
        5..=11 => "Morning",
        12..=16 => "Afternoon",
        17..=20 => "Evening",
        _ => "Night",
    };
    let mut chars = sport.chars();
    let cap: String = match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{tod} {cap}")
}

/// Source label. `karoo` is given only when the FIT file says its maker is
/// Hammerhead (the reference guessed it from any name containing "activity"
/// with three dots, mislabelling ordinary exports).
pub fn source(format: Format, manufacturer: Option<&str>) -> &'static str {
    match format {
        Format::Fit if manufacturer == Some("hammerhead") => "karoo",
        Format::Fit => "fit_file",
        Format::Gpx => "gpx_file",
        Format::Tcx => "tcx_file",
    }
}

/// ISO-8601 with `+00:00`, microseconds only when non-zero (Python's
/// `datetime.isoformat()` of an aware UTC time).
pub fn iso(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_and_slugs() {
        let t = Utc.with_ymd_and_hms(2024, 6, 1, 7, 30, 12).unwrap();
        assert_eq!(
            activity_id(t, Some("Morning Ride")),
            "2024-06-01T073012Z-morning-ride"
        );
        assert_eq!(activity_id(t, None), "2024-06-01T073012Z");
        assert_eq!(activity_id(t, Some("!!!")), "2024-06-01T073012Z");
        assert_eq!(slug("  Vélo  "), "velo");
        let plus2 = chrono::FixedOffset::east_opt(7200)
            .unwrap()
            .with_ymd_and_hms(2024, 6, 1, 9, 30, 12)
            .unwrap();
        assert_eq!(
            activity_id(plus2.with_timezone(&Utc), None),
            "2024-06-01T073012Z"
        );
        assert_eq!(collision_id("x", "sha256:abcdef123456"), "x-123456");
    }

    #[test]
    fn titles_and_sources() {
        let t = Utc.with_ymd_and_hms(2017, 6, 8, 16, 57, 49).unwrap();
        assert_eq!(auto_title(t, "running"), "Afternoon Running");
        let t = Utc.with_ymd_and_hms(2017, 6, 8, 17, 0, 0).unwrap();
        assert_eq!(auto_title(t, "running"), "Evening Running");
        let t = Utc.with_ymd_and_hms(2017, 6, 8, 3, 0, 0).unwrap();
        assert_eq!(auto_title(t, "cycling"), "Night Cycling");
        assert_eq!(source(Format::Fit, Some("hammerhead")), "karoo");
        assert_eq!(source(Format::Fit, Some("garmin")), "fit_file");
        assert_eq!(iso(t), "2017-06-08T03:00:00+00:00");
    }
}
