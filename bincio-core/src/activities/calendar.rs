//! Calendar rules shared by the read models (feed filters, member stats,
//! leaderboard, season curves), written once:
//!
//! * a **year filter** and a **period** (week, month, year) are UTC
//!   calendar spans, turned into `[since, until)` Unix bounds so the store
//!   does the cut with its indexes;
//! * the **day** of an activity is its *local* date: the date written in
//!   the summary's `started_at` ISO string with its UTC offset
//!   (`2026-05-03T23:30:00-02:00` is May 3rd although it is May 4th in
//!   UTC); without a parsable offset, the UTC date of the Unix start.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::error::{CoreError, CoreResult};

/// Unix seconds of `date` 00:00 UTC.
pub fn midnight_utc(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0)
}

/// `[since, until)` of calendar year `year` in UTC; `Invalid` outside the
/// years chrono can represent.
pub fn year_bounds(year: i32) -> CoreResult<(i64, i64)> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1);
    let next = year
        .checked_add(1)
        .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1));
    match (first, next) {
        (Some(a), Some(b)) => Ok((midnight_utc(a), midnight_utc(b))),
        _ => Err(CoreError::invalid(format!("unknown year {year}"))),
    }
}

/// The UTC year of a Unix start (what the year filter cuts by).
pub fn utc_year(started_at: i64) -> i32 {
    Utc.timestamp_opt(started_at, 0)
        .single()
        .map(|d| d.year())
        .unwrap_or(1970)
}

/// The local date of an activity: the date part of the summary's
/// `started_at` when it is an RFC 3339 time with an offset (`Z` counts as
/// one), else the UTC date of `started_at` (Unix seconds).
pub fn local_date(summary: &Value, started_at: i64) -> NaiveDate {
    summary
        .get("started_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.date_naive())
        .unwrap_or_else(|| {
            Utc.timestamp_opt(started_at, 0)
                .single()
                .map(|d| d.date_naive())
                .unwrap_or_default()
        })
}

/// The ISO start time to show: the summary's `started_at` string, else the
/// Unix start in RFC 3339 (UTC).
pub fn started_at_text(summary: &Value, started_at: i64) -> String {
    match summary.get("started_at").and_then(Value::as_str) {
        Some(s) => s.to_owned(),
        None => Utc
            .timestamp_opt(started_at, 0)
            .single()
            .map(|d| d.to_rfc3339())
            .unwrap_or_default(),
    }
}

/// Monday 00:00 UTC of the ISO week holding `now`.
pub fn week_start(now: DateTime<Utc>) -> NaiveDate {
    let d = now.date_naive();
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// First day of the month after `d`'s.
pub fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn local_date_follows_the_written_offset() {
        // 2026-05-04T01:30:00Z written in its local time, a day earlier.
        let t = 1_777_858_200;
        let s = json!({"started_at": "2026-05-03T23:30:00-02:00"});
        assert_eq!(local_date(&s, t), ymd(2026, 5, 3));
        let s = json!({"started_at": "2026-05-04T07:12:00+02:00"});
        assert_eq!(local_date(&s, t), ymd(2026, 5, 4));
        let s = json!({"started_at": "2026-05-03T23:30:00Z"});
        assert_eq!(local_date(&s, t), ymd(2026, 5, 3));
        // No offset, not a string, absent: the UTC date of the Unix start.
        for s in [
            json!({"started_at": "2026-05-03T23:30:00"}),
            json!({"started_at": 5}),
            json!({}),
            json!(null),
        ] {
            assert_eq!(local_date(&s, t), ymd(2026, 5, 4), "{s}");
        }
        assert_eq!(started_at_text(&json!({}), 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            started_at_text(&json!({"started_at": "x"}), 0),
            "x",
            "shown as written"
        );
    }

    #[test]
    fn years_and_weeks() {
        assert_eq!(year_bounds(2026).unwrap(), (1_767_225_600, 1_798_761_600));
        assert!(year_bounds(i32::MAX).is_err());
        assert!(year_bounds(-400_000).is_err());
        assert_eq!(utc_year(1_767_225_599), 2025);
        assert_eq!(utc_year(1_767_225_600), 2026);
        // Wednesday 2026-05-06 → Monday 2026-05-04; a Monday is its own
        // start; a Sunday belongs to the week that began six days before.
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(week_start(at(2026, 5, 6, 12)), ymd(2026, 5, 4));
        assert_eq!(week_start(at(2026, 5, 4, 0)), ymd(2026, 5, 4));
        assert_eq!(week_start(at(2026, 5, 10, 23)), ymd(2026, 5, 4));
        // Across a year end: Thursday 2026-01-01 → Monday 2025-12-29.
        assert_eq!(week_start(at(2026, 1, 1, 0)), ymd(2025, 12, 29));
        assert_eq!(next_month(ymd(2026, 12, 31)), ymd(2027, 1, 1));
        assert_eq!(next_month(ymd(2026, 2, 1)), ymd(2026, 3, 1));
    }
}
