//! `/community/`: the leaderboard of the week, month, year or all time —
//! count, distance, climbing and moving time per member, sortable by each
//! (links, so it needs no JavaScript). Counts listed activities only, for
//! every viewer (`Activities::leaderboard`).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::activities::leaderboard::{LeaderboardRow, Period};

use crate::web::ctx::Ctx;
use crate::web::fmt;
use crate::web::render::html;

struct Row {
    rank: usize,
    handle: String,
    name: String,
    count: u64,
    distance: String,
    elevation: String,
    time: String,
    me: bool,
}

struct Tab {
    label: &'static str,
    href: String,
    on: bool,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage<'a> {
    c: &'a Ctx,
    periods: Vec<Tab>,
    sorts: Vec<Tab>,
    rows: Vec<Row>,
    range: String,
}

/// The sort keys, in column order.
const SORTS: &[&str] = &["distance", "count", "elevation", "time"];

fn key(sort: &str, r: &LeaderboardRow) -> f64 {
    match sort {
        "count" => r.count as f64,
        "elevation" => r.elevation_gain_m,
        "time" => r.moving_time_s,
        _ => r.distance_m,
    }
}

/// `GET /community/?period=week|month|year|all&sort=…`.
pub(crate) async fn show(c: Ctx) -> Response {
    let period = c
        .query("period")
        .and_then(|p| Period::parse(&p).ok())
        .unwrap_or(Period::Month);
    let sort = c
        .query("sort")
        .filter(|s| SORTS.contains(&s.as_str()))
        .unwrap_or_else(|| "distance".to_owned());
    let board = match c.st.activities().leaderboard(c.user.as_ref(), period).await {
        Ok(b) => b,
        Err(e) => return c.fail(e),
    };
    let u = c.units().await;
    let t = c.t;
    let mut rows = board.rows;
    rows.sort_by(|a, b| {
        key(&sort, b)
            .total_cmp(&key(&sort, a))
            .then_with(|| a.handle.cmp(&b.handle))
    });
    let me = c.handle().to_owned();
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| Row {
            rank: i + 1,
            me: r.handle == me,
            name: if r.display_name.trim().is_empty() {
                r.handle.clone()
            } else {
                r.display_name
            },
            handle: r.handle,
            count: r.count,
            distance: u.distance(r.distance_m),
            elevation: u.elevation(r.elevation_gain_m),
            time: fmt::duration(r.moving_time_s),
        })
        .collect();
    let href = |p: Period, s: &str| format!("/community/?period={}&sort={s}", p.as_str());
    let periods = [
        (Period::Week, t.period_week),
        (Period::Month, t.period_month),
        (Period::Year, t.period_year),
        (Period::All, t.period_all),
    ]
    .into_iter()
    .map(|(p, label)| Tab {
        label,
        href: href(p, &sort),
        on: p == period,
    })
    .collect();
    let sorts = [
        t.stat_distance,
        t.stat_count,
        t.stat_elevation,
        t.stat_moving_time,
    ]
    .into_iter()
    .zip(SORTS)
    .map(|(label, s)| Tab {
        label,
        href: href(period, s),
        on: *s == sort,
    })
    .collect();
    let range = match (board.from, board.to) {
        (Some(a), Some(b)) => {
            let d = |x: i64| {
                chrono::DateTime::from_timestamp(x, 0)
                    .map(|d| fmt::date(t, &d.fixed_offset()))
                    .unwrap_or_default()
            };
            format!("{} – {}", d(a), d(b - 1))
        }
        _ => t.period_all.to_owned(),
    };
    html(
        &c,
        StatusCode::OK,
        &CommunityPage {
            c: &c,
            periods,
            sorts,
            rows,
            range,
        },
    )
}
