//! `/u/{handle}/stats/`: a member's totals per year and sport, and a
//! calendar per year (one cell per day, darker for longer days; a day with
//! activities links to its list, shown under the calendar — no JavaScript
//! needed). The figures come from `Activities::member_stats`, which
//! already applies the viewer's privacy (others count listed activities
//! only, hidden stats excluded).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::activities::stats::{StatsDay, Totals, YearStats};
use bincio_svg::{CalendarDay, CalendarOptions};

use super::cards::activity_href;
use super::feed::{member, MemberHead};
use crate::web::ctx::Ctx;
use crate::web::fmt;
use crate::web::i18n::Strings;
use crate::web::render::html;
use crate::web::units::Units;

/// Totals formatted for a row.
pub(crate) struct TotalsRow {
    pub label: String,
    pub count: u64,
    /// `1 activity`, `12 activities`.
    pub count_text: String,
    pub distance: String,
    pub time: String,
    pub elevation: String,
}

impl TotalsRow {
    pub(crate) fn new(c: &Ctx, label: String, t: &Totals, u: Units) -> Self {
        Self {
            label,
            count: t.count,
            count_text: fill_count(c.t, t.count),
            distance: u.distance(t.distance_m),
            time: fmt::duration(t.moving_time_s),
            elevation: u.elevation(t.elevation_gain_m),
        }
    }
}

/// An activity of the chosen day.
struct DayItem {
    href: String,
    title: String,
    sport: &'static str,
    line: String,
}

/// One year block of the page.
struct YearView {
    year: i32,
    total: TotalsRow,
    sports: Vec<TotalsRow>,
    calendar: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage<'a> {
    c: &'a Ctx,
    head: MemberHead,
    years: Vec<YearView>,
    day: Option<(String, Vec<DayItem>)>,
    truncated: bool,
}

fn day_title(t: &Strings, u: Units, d: &StatsDay) -> String {
    let mut parts = vec![fill_count(t, d.totals.count)];
    if d.totals.distance_m > 0.0 {
        parts.push(u.distance(d.totals.distance_m));
    }
    if d.totals.moving_time_s > 0.0 {
        parts.push(fmt::duration(d.totals.moving_time_s));
    }
    let titles: Vec<&str> = d.activities.iter().map(|a| a.title.as_str()).collect();
    parts.push(titles.join(", "));
    parts.join(" · ")
}

fn fill_count(t: &Strings, n: u64) -> String {
    if n == 1 {
        t.one_activity.to_owned()
    } else {
        crate::web::i18n::fill(t.n_activities, &[&n])
    }
}

fn calendar(c: &Ctx, u: Units, base: &str, y: &YearStats) -> String {
    let days: Vec<CalendarDay> = y
        .days
        .iter()
        .filter_map(|d| {
            let mut it = d.date.split('-');
            let (_, m, day) = (
                it.next()?,
                it.next()?.parse().ok()?,
                it.next()?.parse().ok()?,
            );
            // Intensity by distance; a day without distance (indoor, a
            // swim without GPS) by its time, scaled to stay comparable.
            let value = if d.totals.distance_m > 0.0 {
                d.totals.distance_m
            } else {
                d.totals.moving_time_s * 5.0
            };
            Some(CalendarDay {
                month: m,
                day,
                value,
                title: day_title(c.t, u, d),
                href: Some(format!("{base}?day={}#day", d.date)),
            })
        })
        .collect();
    bincio_svg::calendar(
        y.year,
        &days,
        &CalendarOptions {
            label: crate::web::i18n::fill(c.t.calendar_label, &[&y.year]),
            month_names: c.t.months_short.map(str::to_owned),
            weekday_names: c.t.weekdays_short.map(str::to_owned),
        },
    )
}

/// `GET /u/{handle}/stats/` (`?day=YYYY-MM-DD` lists that day).
pub(crate) async fn show(c: Ctx, Path(handle): Path<String>) -> Response {
    let m = match member(&c, &handle).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let stats = match c
        .st
        .activities()
        .member_stats(c.user.as_ref(), &m.handle)
        .await
    {
        Ok(s) => s,
        Err(e) => return c.fail(e),
    };
    let u = c.units().await;
    let base = format!("/u/{}/stats/", m.handle);
    let chosen = c.query("day").filter(|d| d.len() == 10);
    let mut day = None;
    let years = stats
        .years
        .iter()
        .map(|y| {
            if let Some(d) = chosen
                .as_deref()
                .and_then(|want| y.days.iter().find(|d| d.date == want))
            {
                let items = d
                    .activities
                    .iter()
                    .map(|a| DayItem {
                        href: activity_href(&m.handle, &a.id),
                        title: if a.title.is_empty() {
                            c.t.untitled.to_owned()
                        } else {
                            a.title.clone()
                        },
                        sport: c.t.sport_name(&a.sport),
                        line: [
                            a.distance_m.filter(|d| *d > 0.0).map(|d| u.distance(d)),
                            a.moving_time_s.filter(|s| *s > 0.0).map(fmt::duration),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                    })
                    .collect();
                day = Some((d.date.clone(), items));
            }
            YearView {
                year: y.year,
                total: TotalsRow::new(&c, y.year.to_string(), &y.totals, u),
                sports: y
                    .sports
                    .iter()
                    .map(|s| TotalsRow::new(&c, c.t.sport_name(&s.sport).to_owned(), &s.totals, u))
                    .collect(),
                calendar: calendar(&c, u, &base, y),
            }
        })
        .collect();
    let head = MemberHead::new(&c, &m, "stats");
    let page = StatsPage {
        c: &c,
        head,
        years,
        day,
        truncated: stats.truncated,
    };
    html(&c, StatusCode::OK, &page)
}
