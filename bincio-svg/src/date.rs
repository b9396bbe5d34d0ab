//! Proleptic Gregorian calendar arithmetic (std has none): enough to lay out
//! one year Monday-first.

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_year(year: i32) -> u32 {
    if is_leap(year) {
        366
    } else {
        365
    }
}

/// Days of `month` (1..=12); 0 for a month that does not exist, so a bad
/// caller date simply matches no day.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid date (Howard Hinnant's `days_from_civil`:
/// years counted from March so the leap day is last, eras of 400 years).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // 0..=365
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // 0..=146096
    era * 146_097 + doe - 719_468
}

/// Weekday of a day count, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub(crate) fn weekday_mon0(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// Day of the year (0-based) of a date, `None` when the date does not exist.
pub(crate) fn day_of_year(year: i32, month: u32, day: u32) -> Option<u32> {
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let d = days_from_civil(year, month, day) - days_from_civil(year, 1, 1);
    u32::try_from(d).ok()
}

/// `YYYY-MM-DD` (ISO 8601, what `data-date` and the tooltips carry).
pub(crate) fn iso(year: i32, month: u32, day: u32) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        // 2026-01-01 is a Thursday, 2024-02-29 a Thursday, 2000-01-01 a Saturday.
        assert_eq!(weekday_mon0(days_from_civil(2026, 1, 1)), 3);
        assert_eq!(weekday_mon0(days_from_civil(2024, 2, 29)), 3);
        assert_eq!(weekday_mon0(days_from_civil(2000, 1, 1)), 5);
        assert_eq!(weekday_mon0(days_from_civil(1900, 1, 1)), 0);
    }

    #[test]
    fn leap_rules() {
        assert!(is_leap(2024) && is_leap(2000) && !is_leap(1900) && !is_leap(2026));
        assert_eq!(days_in_year(2024), 366);
        assert_eq!(day_of_year(2024, 12, 31), Some(365));
        assert_eq!(day_of_year(2026, 12, 31), Some(364));
        assert_eq!(day_of_year(2026, 2, 29), None);
        assert_eq!(day_of_year(2026, 13, 1), None);
        assert_eq!(day_of_year(2026, 4, 0), None);
        // Consecutive across a whole leap year.
        let mut prev = days_from_civil(2023, 12, 31);
        for m in 1..=12 {
            for d in 1..=days_in_month(2024, m) {
                let x = days_from_civil(2024, m, d);
                assert_eq!(x, prev + 1);
                prev = x;
            }
        }
    }

    #[test]
    fn iso_format() {
        assert_eq!(iso(2026, 5, 3), "2026-05-03");
    }
}
