//! CCIP time strings: Python's `strptime(s, "%Y/%m/%d %H:%M %z")`.
//!
//! Accepted like Python: one- or two-digit month, day, hour and minute
//! (`"2016/08/20 7:30 +0800"`), and an offset written `+0800`, `+08:00`,
//! `-0530` or `Z`. Anything else is refused with a message naming what is
//! wrong (the caller adds the file and key).

/// Parse a CCIP time string into Unix seconds.
pub fn parse_ccip_time(s: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("bad time {s:?} ({why}; expected \"YYYY/MM/DD HH:MM +ZZZZ\")");
    let mut parts = s.split_whitespace();
    let (Some(date), Some(time), Some(zone), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("needs a date, a time and an offset"));
    };
    let d: Vec<&str> = date.split('/').collect();
    if d.len() != 3 {
        return Err(bad("date is not YYYY/MM/DD"));
    }
    let year = num(d[0], 4, 4).ok_or_else(|| bad("year"))?;
    let month = num(d[1], 1, 2).ok_or_else(|| bad("month"))?;
    let day = num(d[2], 1, 2).ok_or_else(|| bad("day"))?;
    let t: Vec<&str> = time.split(':').collect();
    if t.len() != 2 {
        return Err(bad("time is not HH:MM"));
    }
    let hour = num(t[0], 1, 2).ok_or_else(|| bad("hour"))?;
    let minute = num(t[1], 1, 2).ok_or_else(|| bad("minute"))?;
    if hour > 23 || minute > 59 {
        return Err(bad("hour or minute out of range"));
    }
    let offset = parse_offset(zone).ok_or_else(|| bad("offset"))?;
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| bad("no such date"))?;
    let local = date
        .and_hms_opt(hour, minute, 0)
        .ok_or_else(|| bad("no such time"))?;
    Ok(local.and_utc().timestamp() - i64::from(offset))
}

fn num(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Offset in seconds east of UTC.
fn parse_offset(z: &str) -> Option<i32> {
    if z == "Z" {
        return Some(0);
    }
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (h, m) = match rest.len() {
        4 => (&rest[..2], &rest[2..]),
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    let h = num(h, 2, 2)?;
    let m = num(m, 2, 2)?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

#[cfg(test)]
mod tests {
    use super::parse_ccip_time as p;

    #[test]
    fn contract_example() {
        assert_eq!(p("2016/08/20 7:30 +0800"), Ok(1471649400));
        assert_eq!(p("2016/08/20 07:30 +08:00"), Ok(1471649400));
        assert_eq!(p("2016/08/19 23:30 Z"), Ok(1471649400));
        assert_eq!(p("2016/08/19 18:30 -0500"), Ok(1471649400));
    }

    #[test]
    fn refusals() {
        for s in [
            "",
            "2016/08/20",
            "2016/08/20 7:30",
            "2016-08-20 7:30 +0800",
            "2016/13/20 7:30 +0800",
            "2016/02/30 7:30 +0800",
            "2016/08/20 24:00 +0800",
            "2016/08/20 7:30 +8",
            "2016/08/20 7:30 CST",
            "2016/08/20 7:30 +0800 x",
            "2016/08/20 ７:30 +0800",
        ] {
            assert!(p(s).is_err(), "{s:?} accepted");
        }
    }
}
