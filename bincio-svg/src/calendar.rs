//! One year of activity, GitHub-style: a column per week (Monday first), a
//! cell per day, darker for bigger days.

use crate::date::{day_of_year, days_from_civil, days_in_month, days_in_year, iso, weekday_mon0};
use crate::fmt::{clip, escape, open_svg, text, Px};

/// One activity (or a day's total) for [`calendar`]. Several entries on the
/// same day are added up.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDay {
    /// 1..=12; entries whose date does not exist in the year are ignored.
    pub month: u32,
    pub day: u32,
    /// What the intensity measures (distance, time…). Not finite or
    /// negative counts as 0: the day still shows as active (level 1).
    pub value: f64,
    /// Tooltip text, formatted by the caller, e.g. "42.1 km · Morning ride";
    /// the ISO date is prepended here. Clipped to 160 characters; at most 5
    /// titles per day are listed (then "+N").
    pub title: String,
    /// Where clicking the day goes (e.g. that day's list). The first usable
    /// href of the day wins; one with a scheme other than http(s), or with
    /// whitespace or control characters, is dropped (no `javascript:`).
    pub href: Option<String>,
}

/// Texts of [`calendar`], supplied by the caller so they can be translated.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarOptions {
    /// The accessible name (`aria-label`).
    pub label: String,
    /// Short month names, January first (about 3 letters: a month column is
    /// ~4 cells wide).
    pub month_names: [String; 12],
    /// Short weekday names, Monday first; Monday, Wednesday and Friday are
    /// shown (as GitHub does: all seven do not fit the row height legibly).
    pub weekday_names: [String; 7],
}

impl Default for CalendarOptions {
    fn default() -> Self {
        let s = |v: &str| v.to_owned();
        CalendarOptions {
            label: s("Activity calendar"),
            month_names: [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .map(s),
            weekday_names: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(s),
        }
    }
}

/// Cell side and pitch (cell + gap), left margin for weekday names, top
/// margin for month names, label font size; all viewBox units. 53 weeks
/// give a viewBox about 720 × 105: legible at desktop width, and a phone can
/// show it in a horizontally scrolling box (see README).
const CELL: f64 = 11.0;
const PITCH: f64 = 13.0;
const LEFT: f64 = 28.0;
const TOP: f64 = 16.0;
const FONT: f64 = 9.0;
const MAX_TITLES: usize = 5;
const MAX_TITLE_CHARS: usize = 160;

#[derive(Default)]
struct Day {
    value: f64,
    titles: Vec<String>,
    more: usize,
    href: Option<String>,
}

/// The calendar of `year`: one `<rect class="svg-cell svg-lN">` per day
/// (365 or 366), each with `data-date="YYYY-MM-DD"`; a day with activity has
/// a `<title>` and, with an href, is wrapped in `<a href>`. Month names over
/// the weeks where months begin, Mon/Wed/Fri names on the left.
///
/// Levels: 0 = no activity; otherwise by the fraction f of the year's
/// biggest day: f ≤ ¼ → 1, ≤ ½ → 2, ≤ ¾ → 3, else 4 (so the biggest day is
/// always 4). Fractions of the maximum rather than quartiles of the active
/// days, because they read as amounts ("a quarter of my best day") and a
/// day's level does not change when other small days are added.
///
/// The root is `role="img"`, or `role="group"` when some day links
/// somewhere: an image's children are hidden from assistive technology, and
/// the links must stay reachable.
pub fn calendar(year: i32, days: &[CalendarDay], opts: &CalendarOptions) -> String {
    let n = days_in_year(year);
    let mut agg: Vec<Option<Day>> = (0..n).map(|_| None).collect();
    for d in days {
        let Some(doy) = day_of_year(year, d.month, d.day) else {
            continue;
        };
        let slot = agg[doy as usize].get_or_insert_with(Day::default);
        if d.value.is_finite() {
            // The cap keeps sums finite.
            slot.value += d.value.clamp(0.0, 1e12);
        }
        let t = d.title.trim();
        if !t.is_empty() {
            if slot.titles.len() < MAX_TITLES {
                slot.titles.push(clip(t, MAX_TITLE_CHARS));
            } else {
                slot.more += 1;
            }
        }
        if slot.href.is_none() {
            slot.href = d
                .href
                .as_deref()
                .filter(|h| safe_href(h))
                .map(str::to_owned);
        }
    }
    let max = agg.iter().flatten().map(|d| d.value).fold(0.0, f64::max);

    let offset = weekday_mon0(days_from_civil(year, 1, 1));
    let cols = (offset + n).div_ceil(7);
    let width = LEFT + f64::from(cols) * PITCH - (PITCH - CELL) + 2.0;
    let height = TOP + 7.0 * PITCH - (PITCH - CELL) + 1.0;
    let at = |doy: u32| {
        let i = offset + doy;
        (i / 7, i % 7)
    };

    let has_links = agg.iter().flatten().any(|d| d.href.is_some());
    let mut out = String::with_capacity(40_000);
    let role = if has_links { "group" } else { "img" };
    open_svg(&mut out, width, height, "svg-calendar", role, &opts.label);

    for (m, name) in (1..=12).zip(&opts.month_names) {
        let first = day_of_year(year, m, 1).unwrap_or(0);
        let (col, row) = at(first);
        // A month starting late in the week owns that column's top only
        // partly: label the next column, where its first full week is.
        let col = if row >= 4 {
            (col + 1).min(cols - 1)
        } else {
            col
        };
        let x = LEFT + f64::from(col) * PITCH;
        text(
            &mut out,
            "svg-label svg-month",
            x,
            TOP - 5.0,
            "start",
            FONT,
            name,
        );
    }
    for row in [0u32, 2, 4] {
        let y = TOP + f64::from(row) * PITCH + CELL - 2.0;
        let name = &opts.weekday_names[row as usize];
        text(
            &mut out,
            "svg-label svg-weekday",
            LEFT - 4.0,
            y,
            "end",
            FONT,
            name,
        );
    }

    let mut doy = 0u32;
    for m in 1..=12 {
        for d in 1..=days_in_month(year, m) {
            let (col, row) = at(doy);
            let date = iso(year, m, d);
            let day = agg[doy as usize].as_ref();
            let level = day.map_or(0, |day| level(day.value, max));
            if let Some(href) = day.and_then(|day| day.href.as_deref()) {
                w!(out, r#"<a href="{}">"#, escape(href));
            }
            w!(
                out,
                r#"<rect class="svg-cell svg-l{level}" x="{}" y="{}" width="{CELL}" height="{CELL}" rx="2" data-date="{date}""#,
                Px(LEFT + f64::from(col) * PITCH),
                Px(TOP + f64::from(row) * PITCH),
            );
            match day {
                None => out.push_str("/>"),
                Some(day) => {
                    let mut tip = date.clone();
                    for (i, t) in day.titles.iter().enumerate() {
                        tip.push_str(if i == 0 { " · " } else { "\n" });
                        tip.push_str(t);
                    }
                    if day.more > 0 {
                        w!(tip, "\n+{}", day.more);
                    }
                    w!(out, "><title>{}</title></rect>", escape(&tip));
                    if day.href.is_some() {
                        out.push_str("</a>");
                    }
                }
            }
            doy += 1;
        }
    }
    out.push_str("</svg>");
    out
}

/// Level 1..=4 of an active day (see [`calendar`]).
fn level(value: f64, max: f64) -> u8 {
    if max <= 0.0 {
        return 1;
    }
    let f = value / max;
    if f <= 0.25 {
        1
    } else if f <= 0.5 {
        2
    } else if f <= 0.75 {
        3
    } else {
        4
    }
}

/// A relative URL, or an absolute http(s) one. Escaping makes any href
/// well-formed; this also keeps `javascript:`/`data:` out (browsers strip
/// tabs and newlines inside a scheme, hence no whitespace at all).
fn safe_href(h: &str) -> bool {
    if h.is_empty() || h.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let scheme_end = h.find(':');
    let path_start = h.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(c), p) if p.is_none_or(|p| c < p) => {
            let scheme = h[..c].to_ascii_lowercase();
            scheme == "http" || scheme == "https"
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlcheck::{parse, Elem};

    fn day(month: u32, day: u32, value: f64, title: &str, href: Option<&str>) -> CalendarDay {
        CalendarDay {
            month,
            day,
            value,
            title: title.into(),
            href: href.map(Into::into),
        }
    }

    fn cell<'a>(e: &'a [Elem], date: &str) -> &'a Elem {
        e.iter()
            .find(|e| e.attr("data-date") == Some(date))
            .unwrap_or_else(|| panic!("no cell {date}"))
    }

    fn cells(e: &[Elem]) -> Vec<&Elem> {
        e.iter().filter(|e| e.has_class("svg-cell")).collect()
    }

    #[test]
    fn one_cell_per_day_leap_years_right() {
        for (year, n) in [
            (2026, 365),
            (2024, 366),
            (2000, 366),
            (1900, 365),
            (2040, 366),
        ] {
            let svg = calendar(year, &[], &CalendarOptions::default());
            let e = parse(&svg);
            let c = cells(&e);
            assert_eq!(c.len(), n, "{year}");
            assert!(c.iter().all(|c| c.has_class("svg-l0")));
            // Dates are distinct and all inside the viewBox.
            let mut dates: Vec<&str> = c.iter().map(|c| c.attr("data-date").unwrap()).collect();
            dates.dedup();
            assert_eq!(dates.len(), n);
            let vb: Vec<f64> = e[0]
                .attr("viewBox")
                .unwrap()
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            assert!(c
                .iter()
                .all(|c| c.num("x") + CELL <= vb[2] && c.num("y") + CELL <= vb[3]));
            assert!(!svg.contains("<a "));
            assert!(!svg.contains("<title>"));
        }
        // Far-out years do not overflow.
        for year in [i32::MIN, -1, 0, i32::MAX] {
            assert!(cells(&parse(&calendar(year, &[], &CalendarOptions::default()))).len() >= 365);
        }
        // 2040 is a leap year starting on a Sunday: 54 week columns.
        let e = parse(&calendar(2040, &[], &CalendarOptions::default()));
        assert_eq!(cell(&e, "2040-12-31").num("x"), LEFT + 53.0 * PITCH);
    }

    #[test]
    fn monday_first_placement() {
        let e = parse(&calendar(2026, &[], &CalendarOptions::default()));
        // 2026-01-01 is a Thursday: first column, fourth row.
        let jan1 = cell(&e, "2026-01-01");
        assert_eq!((jan1.num("x"), jan1.num("y")), (LEFT, TOP + 3.0 * PITCH));
        // Monday 2026-01-05 starts the second column.
        let jan5 = cell(&e, "2026-01-05");
        assert_eq!((jan5.num("x"), jan5.num("y")), (LEFT + PITCH, TOP));
        // Sunday 2026-01-04 is the last row of the first column.
        assert_eq!(cell(&e, "2026-01-04").num("y"), TOP + 6.0 * PITCH);
    }

    #[test]
    fn levels_sums_titles_links() {
        let days = [
            day(3, 1, 10.0, "10 km", None),
            day(3, 2, 30.0, "30 km", Some("/days/2026-03-02/")),
            day(3, 3, 60.0, "60 km", None),
            day(3, 4, 100.0, "100 km", None),
            day(3, 5, 0.0, "", None),
            day(3, 6, f64::NAN, "nan", None),
            // Two on the same day add up to the maximum.
            day(
                5,
                3,
                42.1,
                "42.1 km · Morning ride",
                Some("/days/2026-05-03/"),
            ),
            day(5, 3, 57.9, "57.9 km · Evening ride", Some("/other/")),
            // Ignored: no such dates.
            day(2, 29, 1e6, "x", None),
            day(13, 1, 1e6, "x", None),
            day(0, 0, 1e6, "x", None),
        ];
        let svg = calendar(2026, &days, &CalendarOptions::default());
        let e = parse(&svg);
        let lv = |d: &str| {
            (0..5)
                .find(|l| cell(&e, d).has_class(&format!("svg-l{l}")))
                .unwrap()
        };
        assert_eq!(lv("2026-03-01"), 1);
        assert_eq!(lv("2026-03-02"), 2);
        assert_eq!(lv("2026-03-03"), 3);
        assert_eq!(lv("2026-03-04"), 4);
        assert_eq!(lv("2026-03-05"), 1);
        assert_eq!(lv("2026-03-06"), 1);
        assert_eq!(lv("2026-05-03"), 4);
        assert_eq!(lv("2026-03-07"), 0);
        assert_eq!(cells(&e).len(), 365);

        let may3 = cell(&e, "2026-05-03");
        let title = e
            .iter()
            .find(|t| {
                t.name == "title"
                    && t.parent == Some(e.iter().position(|x| std::ptr::eq(x, may3)).unwrap())
            })
            .unwrap();
        assert_eq!(
            title.text,
            "2026-05-03 · 42.1 km · Morning ride\n57.9 km · Evening ride"
        );
        // The link wraps the cell; the first href wins; inactive days have none.
        let link = &e[may3.parent.unwrap()];
        assert_eq!(
            (link.name.as_str(), link.attr("href")),
            ("a", Some("/days/2026-05-03/"))
        );
        assert_eq!(e.iter().filter(|e| e.name == "a").count(), 2);
        assert_eq!(e[0].attr("role"), Some("group"));
        assert_eq!(e.iter().filter(|e| e.name == "title").count(), 7);
    }

    #[test]
    fn hostile_text_is_escaped_and_bad_links_dropped() {
        let mut opts = CalendarOptions::default();
        opts.month_names[0] = "<script>alert(1)</script>".into();
        opts.weekday_names[0] = "\"Mo'".into();
        opts.label = "a & b".into();
        let days = [
            day(
                1,
                1,
                1.0,
                "</title><script>x</script>",
                Some("/d/?a=1&b=\"2\""),
            ),
            day(1, 2, 1.0, "t", Some("javascript:alert(1)")),
            day(1, 3, 1.0, "t", Some("JaVa\tScript:alert(1)")),
            day(1, 4, 1.0, "t", Some("https://example.org/x")),
            day(1, 5, 1.0, &"x".repeat(10_000), None),
        ];
        let svg = calendar(2026, &days, &opts);
        let e = parse(&svg);
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;"));
        assert!(svg.contains(r#"href="/d/?a=1&amp;b=&quot;2&quot;""#));
        assert!(svg.contains("&quot;Mo&apos;") && svg.contains("aria-label=\"a &amp; b\""));
        let hrefs: Vec<&str> = e.iter().filter_map(|e| e.attr("href")).collect();
        assert_eq!(
            hrefs,
            ["/d/?a=1&amp;b=&quot;2&quot;", "https://example.org/x"]
        );
        assert!(svg.len() < 50_000);
        // Many entries on one day: bounded tooltip.
        let many: Vec<CalendarDay> = (0..10_000)
            .map(|i| day(6, 1, 1.0, &format!("ride {i}"), None))
            .collect();
        let svg = calendar(2026, &many, &CalendarOptions::default());
        parse(&svg);
        assert!(svg.contains("ride 4\n+9995</title>"));
        assert!(!svg.contains("ride 5\n"));
    }

    #[test]
    fn labels() {
        let e = parse(&calendar(2026, &[], &CalendarOptions::default()));
        let months: Vec<&Elem> = e.iter().filter(|e| e.has_class("svg-month")).collect();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].text, "Jan");
        assert!(months.windows(2).all(|w| w[0].num("x") < w[1].num("x")));
        let wd: Vec<&str> = e
            .iter()
            .filter(|e| e.has_class("svg-weekday"))
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(wd, ["Mon", "Wed", "Fri"]);
    }

    #[test]
    fn safe_hrefs() {
        for ok in ["/a/", "a/b", "?q=1", "#x", "http://x", "HTTPS://x", "/a:b"] {
            assert!(safe_href(ok), "{ok}");
        }
        for bad in [
            "",
            "javascript:x",
            "data:text/html,x",
            " /a",
            "java\nscript:x",
            "vbscript:x",
        ] {
            assert!(!safe_href(bad), "{bad}");
        }
    }
}
