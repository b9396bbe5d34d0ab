//! The community leaderboard (`/community/`): per member, what they did in
//! a calendar period.
//!
//! Rules:
//! * the same for every viewer: **listed** activities only (an owner's
//!   unlisted or private rides are in no public ranking, not even in the
//!   one the owner looks at), each seen through [`view::public_doc`] so a
//!   hidden `elevation` adds nothing;
//! * activities flagged `duplicate_of` are left out (the better copy
//!   counts);
//! * periods are UTC calendar spans from the service clock: the ISO week
//!   (from Monday 00:00), the month, the year; `all` has no bounds;
//! * a member with nothing in the period has no row; activities of a
//!   handle without an account are not ranked;
//! * rows are sorted by distance (most first), then by handle;
//! * at most [`LEADERBOARD_MAX`] activities (the newest in the period) are
//!   counted; `truncated` says when more exist;
//! * `Unauthorized` for anonymous viewers of a private instance.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use super::calendar::{midnight_utc, next_month, week_start};
use super::stats::Totals;
use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::model::User;

/// Most activities one leaderboard counts (the newest in the period).
pub const LEADERBOARD_MAX: usize = 100_000;

/// A leaderboard period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// The ISO week (Monday 00:00 UTC to the next Monday).
    Week,
    /// The calendar month, UTC.
    Month,
    /// The calendar year, UTC.
    Year,
    /// Everything.
    All,
}

impl Period {
    /// Every period, in menu order.
    pub const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Year, Period::All];

    /// `week`, `month`, `year` or `all`; anything else is `Invalid`.
    pub fn parse(s: &str) -> CoreResult<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| CoreError::invalid(format!("unknown period {s:?}")))
    }

    /// The name [`Self::parse`] reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Year => "year",
            Period::All => "all",
        }
    }

    /// `[from, to)` Unix bounds of the period holding `now` (`None` for
    /// `All`).
    pub fn bounds(self, now: DateTime<Utc>) -> Option<(i64, i64)> {
        let today = now.date_naive();
        let (a, b) = match self {
            Period::Week => {
                let a = week_start(now);
                (a, a + chrono::Duration::days(7))
            }
            Period::Month => {
                let a = today.with_day(1)?;
                (a, next_month(a))
            }
            Period::Year => (
                NaiveDate::from_ymd_opt(today.year(), 1, 1)?,
                NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)?,
            ),
            Period::All => return None,
        };
        Some((midnight_utc(a), midnight_utc(b)))
    }
}

/// One member's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaderboardRow {
    /// Handle.
    pub handle: String,
    /// Display name (may be empty).
    pub display_name: String,
    /// Activities in the period.
    pub count: u64,
    /// Distance, metres.
    pub distance_m: f64,
    /// Elevation gain, metres (hidden ones count 0).
    pub elevation_gain_m: f64,
    /// Moving time, seconds.
    pub moving_time_s: f64,
}

/// The leaderboard of a period ([`Activities::leaderboard`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaderboard {
    /// The period.
    pub period: Period,
    /// Start of the period, Unix seconds (inclusive; `None` for `all`).
    pub from: Option<i64>,
    /// End of the period, Unix seconds (exclusive; `None` for `all`).
    pub to: Option<i64>,
    /// Members, most distance first, then by handle.
    pub rows: Vec<LeaderboardRow>,
    /// True when more than [`LEADERBOARD_MAX`] activities were in the
    /// period (the oldest were not counted).
    pub truncated: bool,
}

/// Rows from `(handle, public summary)` pairs (duplicates already left
/// out); handles missing from `names` (no account) are not ranked.
pub fn rank<'a>(
    entries: impl Iterator<Item = (&'a str, &'a Value)>,
    names: &HashMap<String, String>,
) -> Vec<LeaderboardRow> {
    let mut per: BTreeMap<&str, Totals> = BTreeMap::new();
    for (h, s) in entries {
        if names.contains_key(h) {
            per.entry(h).or_default().add(s);
        }
    }
    let mut rows: Vec<LeaderboardRow> = per
        .into_iter()
        .map(|(h, t)| LeaderboardRow {
            handle: h.to_owned(),
            display_name: names.get(h).cloned().unwrap_or_default(),
            count: t.count,
            distance_m: t.distance_m,
            elevation_gain_m: t.elevation_gain_m,
            moving_time_s: t.moving_time_s,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.distance_m
            .total_cmp(&a.distance_m)
            .then_with(|| a.handle.cmp(&b.handle))
    });
    rows
}

impl Activities {
    /// The community leaderboard of `period` (see the module doc).
    #[tracing::instrument(level = "debug", skip_all, fields(period = period.as_str()))]
    pub async fn leaderboard(
        &self,
        viewer: Option<&User>,
        period: Period,
    ) -> CoreResult<Leaderboard> {
        self.check_instance_access(viewer).await?;
        let bounds = period.bounds(self.clock.now());
        // The whole instance's listed rows, cached per change; a period is
        // a window of them.
        let seen = self
            .seen
            .rows(&self.store, None, false, LEADERBOARD_MAX)
            .await?;
        let truncated = seen.truncated;
        let names: HashMap<String, String> = self
            .users
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.handle, u.display_name))
            .collect();
        let inside = |t: i64| bounds.is_none_or(|(a, b)| t >= a && t < b);
        let docs: Vec<(&str, &Value)> = seen
            .rows
            .iter()
            .filter(|r| !r.duplicate && inside(r.started_at))
            .map(|r| (r.handle.as_str(), &r.doc))
            .collect();
        Ok(Leaderboard {
            period,
            from: bounds.map(|b| b.0),
            to: bounds.map(|b| b.1),
            rows: rank(docs.iter().map(|(h, s)| (*h, *s)), &names),
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn unix(y: i32, m: u32, d: u32) -> i64 {
        at(y, m, d, 0).timestamp()
    }

    #[test]
    fn periods_parse_and_bound() {
        for p in Period::ALL {
            assert_eq!(Period::parse(p.as_str()).unwrap(), p);
        }
        assert!(matches!(Period::parse("Week"), Err(CoreError::Invalid(_))));
        assert!(Period::parse("").is_err());
        assert_eq!(serde_json::to_value(Period::Month).unwrap(), json!("month"));
        // Wednesday → from Monday 00:00 to the next Monday.
        let wed = at(2026, 5, 6, 12);
        assert_eq!(
            Period::Week.bounds(wed),
            Some((unix(2026, 5, 4), unix(2026, 5, 11)))
        );
        // Sunday late evening still belongs to the week begun on Monday;
        // Monday 00:00 starts a new one.
        assert_eq!(
            Period::Week.bounds(at(2026, 5, 10, 23)).unwrap().0,
            unix(2026, 5, 4)
        );
        assert_eq!(
            Period::Week.bounds(at(2026, 5, 11, 0)).unwrap().0,
            unix(2026, 5, 11)
        );
        // A week across the new year.
        assert_eq!(
            Period::Week.bounds(at(2026, 1, 1, 0)),
            Some((unix(2025, 12, 29), unix(2026, 1, 5)))
        );
        assert_eq!(
            Period::Month.bounds(at(2026, 12, 31, 23)),
            Some((unix(2026, 12, 1), unix(2027, 1, 1)))
        );
        assert_eq!(
            Period::Month.bounds(at(2028, 2, 29, 5)),
            Some((unix(2028, 2, 1), unix(2028, 3, 1)))
        );
        assert_eq!(
            Period::Year.bounds(wed),
            Some((unix(2026, 1, 1), unix(2027, 1, 1)))
        );
        assert_eq!(Period::All.bounds(wed), None);
    }

    #[test]
    fn rank_sums_sorts_and_skips_unknown_handles() {
        let names: HashMap<String, String> = [("al", "Al"), ("bo", "Bo"), ("cy", "")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let ride = json!({"distance_m": 40000.0, "elevation_gain_m": 500.0, "moving_time_s": 3600});
        let hidden =
            json!({"distance_m": 20000.0, "elevation_gain_m": null, "moving_time_s": 1800});
        let run = json!({"distance_m": 50000.0});
        let short = json!({"distance_m": 60000.0, "elevation_gain_m": 10.0});
        let ghost = json!({"distance_m": 1.0e9});
        let rows = rank(
            [
                ("al", &ride),
                ("al", &hidden),
                ("cy", &run),
                ("bo", &short),
                ("gone", &ghost),
            ]
            .into_iter(),
            &names,
        );
        let view: Vec<(&str, &str, u64, f64, f64, f64)> = rows
            .iter()
            .map(|r| {
                (
                    r.handle.as_str(),
                    r.display_name.as_str(),
                    r.count,
                    r.distance_m,
                    r.elevation_gain_m,
                    r.moving_time_s,
                )
            })
            .collect();
        // al and bo tie on distance: by handle.
        let want: Vec<(&str, &str, u64, f64, f64, f64)> = vec![
            ("al", "Al", 2, 60000.0, 500.0, 5400.0),
            ("bo", "Bo", 1, 60000.0, 10.0, 0.0),
            ("cy", "", 1, 50000.0, 0.0, 0.0),
        ];
        assert_eq!(view, want);
    }
}
