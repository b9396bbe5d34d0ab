//! Member stats for `/u/{handle}/stats/`: totals per year and sport, and a
//! calendar of the days with activities.
//!
//! Rules:
//! * the owner's stats cover all their activities with their edits;
//!   anyone else's only the listed ones, seen through
//!   [`view::public_doc`] (a hidden `elevation` adds nothing);
//! * activities flagged `duplicate_of` are left out (the better copy
//!   counts), as in `athlete.json`;
//! * missing, negative or non-numeric values count 0;
//! * an activity belongs to its *local* day ([`calendar::local_date`]) and
//!   to that day's year;
//! * at most [`STATS_MAX`] activities (the newest) are considered;
//!   `truncated` says when more exist.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use super::{calendar, known_sport, view, Activities};
use crate::error::CoreResult;
use crate::model::{ActivityRecord, User};

/// Most activities the stats consider (the newest).
pub const STATS_MAX: usize = 20_000;

/// Sums over some activities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Number of activities.
    pub count: u64,
    /// Distance, metres.
    pub distance_m: f64,
    /// Moving time, seconds.
    pub moving_time_s: f64,
    /// Elevation gain, metres.
    pub elevation_gain_m: f64,
}

impl Totals {
    /// Add one activity as seen (`summary`): missing values count 0.
    pub fn add(&mut self, summary: &Value) {
        self.count += 1;
        self.distance_m += amount(summary, "distance_m");
        self.moving_time_s += amount(summary, "moving_time_s");
        self.elevation_gain_m += amount(summary, "elevation_gain_m");
    }
}

/// A finite, non-negative number at `key`, else 0.
pub(crate) fn amount(summary: &Value, key: &str) -> f64 {
    summary
        .get(key)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite() && *x >= 0.0)
        .unwrap_or(0.0)
}

fn opt_amount(summary: &Value, key: &str) -> Option<f64> {
    summary
        .get(key)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// One sport's totals within a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SportTotals {
    /// One of [`super::SPORTS`].
    pub sport: String,
    /// Its sums.
    pub totals: Totals,
}

/// One activity on a calendar day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayActivity {
    /// Activity id.
    pub id: String,
    /// Title as seen (empty when none).
    pub title: String,
    /// Effective sport, one of [`super::SPORTS`].
    pub sport: String,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Moving time, seconds.
    pub moving_time_s: Option<f64>,
    /// Start as written in the summary (ISO 8601 with its offset), else
    /// the Unix start in UTC.
    pub started_at: String,
}

/// A day with activities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsDay {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Sums of the day (for the heatmap's intensity).
    pub totals: Totals,
    /// Its activities, earliest first.
    pub activities: Vec<DayActivity>,
}

/// One year of stats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearStats {
    /// Calendar year (of the local dates).
    pub year: i32,
    /// Sums of the year.
    pub totals: Totals,
    /// Per sport, most distance first (then by name).
    pub sports: Vec<SportTotals>,
    /// Days with activities, in date order.
    pub days: Vec<StatsDay>,
}

/// A member's stats ([`Activities::member_stats`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberStats {
    /// The member.
    pub handle: String,
    /// Years with activities, newest first.
    pub years: Vec<YearStats>,
    /// True when more than [`STATS_MAX`] activities exist (the oldest are
    /// left out).
    pub truncated: bool,
}

/// One activity as the stats see it.
#[derive(Debug, Clone, Copy)]
pub struct StatsEntry<'a> {
    /// Activity id.
    pub id: &'a str,
    /// Start, Unix seconds.
    pub started_at: i64,
    /// The summary as the viewer may see it (edits overlaid, hidden stats
    /// cut for others).
    pub summary: &'a Value,
}

/// Years (newest first) of stats over `entries` (any order; the caller
/// has left duplicates out).
pub fn years_of(entries: &[StatsEntry<'_>]) -> Vec<YearStats> {
    let mut sorted: Vec<&StatsEntry<'_>> = entries.iter().collect();
    sorted.sort_by(|a, b| (a.started_at, a.id).cmp(&(b.started_at, b.id)));
    // year → (totals, sport → totals, date → day)
    type Year = (
        Totals,
        BTreeMap<&'static str, Totals>,
        BTreeMap<NaiveDate, StatsDay>,
    );
    let mut years: BTreeMap<i32, Year> = BTreeMap::new();
    for e in sorted {
        let date = calendar::local_date(e.summary, e.started_at);
        let sport = known_sport(e.summary.get("sport").and_then(Value::as_str));
        let (totals, sports, days) = years.entry(date.year()).or_default();
        totals.add(e.summary);
        sports.entry(sport).or_default().add(e.summary);
        let day = days.entry(date).or_insert_with(|| StatsDay {
            date: date.format("%Y-%m-%d").to_string(),
            totals: Totals::default(),
            activities: Vec::new(),
        });
        day.totals.add(e.summary);
        day.activities.push(DayActivity {
            id: e.id.to_owned(),
            title: e
                .summary
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            sport: sport.to_owned(),
            distance_m: opt_amount(e.summary, "distance_m"),
            moving_time_s: opt_amount(e.summary, "moving_time_s"),
            started_at: calendar::started_at_text(e.summary, e.started_at),
        });
    }
    years
        .into_iter()
        .rev()
        .map(|(year, (totals, sports, days))| {
            let mut sports: Vec<SportTotals> = sports
                .into_iter()
                .map(|(s, t)| SportTotals {
                    sport: s.to_owned(),
                    totals: t,
                })
                .collect();
            sports.sort_by(|a, b| {
                b.totals
                    .distance_m
                    .total_cmp(&a.totals.distance_m)
                    .then_with(|| a.sport.cmp(&b.sport))
            });
            YearStats {
                year,
                totals,
                sports,
                days: days.into_values().collect(),
            }
        })
        .collect()
}

/// A record's summary as `owner` or anyone else sees it.
pub(crate) fn seen(r: &ActivityRecord, owner: bool) -> Value {
    if owner {
        view::overlay(r, &r.summary, &[])
    } else {
        view::public_doc(r, &r.summary, &[], None)
    }
}

impl Activities {
    /// `handle`'s stats as `viewer` may see them (see the module doc):
    /// `Unauthorized` for anonymous viewers of a private instance, `User
    /// not found` for an invalid or unknown handle.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle))]
    pub async fn member_stats(
        &self,
        viewer: Option<&User>,
        handle: &str,
    ) -> CoreResult<MemberStats> {
        let owner = self.member_access(viewer, handle).await?;
        let seen = self
            .seen
            .rows(&self.store, Some(handle), owner, STATS_MAX)
            .await?;
        let entries: Vec<StatsEntry<'_>> = seen
            .rows
            .iter()
            .filter(|r| !r.duplicate)
            .map(|r| StatsEntry {
                id: &r.id,
                started_at: r.started_at,
                summary: &r.doc,
            })
            .collect();
        let truncated = seen.truncated;
        Ok(MemberStats {
            handle: handle.to_owned(),
            years: years_of(&entries),
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActivityEdits, Privacy};
    use serde_json::json;

    fn e<'a>(id: &'a str, t: i64, s: &'a Value) -> StatsEntry<'a> {
        StatsEntry {
            id,
            started_at: t,
            summary: s,
        }
    }

    const MAY4: i64 = 1_777_852_800; // 2026-05-04T00:00:00Z

    #[test]
    fn sums_per_year_and_sport_with_missing_values() {
        let a = json!({"sport": "cycling", "title": "A", "distance_m": 40000.0,
                       "moving_time_s": 3600, "elevation_gain_m": 500.0,
                       "started_at": "2026-05-04T07:00:00+02:00"});
        let b = json!({"sport": "cycling", "distance_m": 20000.0, "elevation_gain_m": null,
                       "moving_time_s": "long"});
        let c = json!({"sport": "running", "distance_m": 10000.0, "moving_time_s": 3000,
                       "elevation_gain_m": -5.0});
        let d = json!({"sport": "kitesurfing", "distance_m": 1.0});
        let old = json!({"sport": "hiking", "distance_m": 15000.0,
                         "started_at": "2025-03-01T09:00:00+01:00"});
        let y = years_of(&[
            e("a", MAY4 + 5 * 3600, &a),
            e("b", MAY4 + 86_400, &b),
            e("c", MAY4 + 2 * 86_400, &c),
            e("d", MAY4 + 3 * 86_400, &d),
            e("old", 1_740_816_000, &old),
        ]);
        assert_eq!(y.iter().map(|y| y.year).collect::<Vec<_>>(), [2026, 2025]);
        let t = y[0].totals;
        assert_eq!(t.count, 4);
        assert_eq!(t.distance_m, 70001.0);
        assert_eq!(t.moving_time_s, 6600.0);
        assert_eq!(t.elevation_gain_m, 500.0, "null and negative count 0");
        let sports: Vec<(&str, u64, f64)> = y[0]
            .sports
            .iter()
            .map(|s| (s.sport.as_str(), s.totals.count, s.totals.distance_m))
            .collect();
        assert_eq!(
            sports,
            [
                ("cycling", 2, 60000.0),
                ("running", 1, 10000.0),
                ("other", 1, 1.0)
            ],
            "most distance first; unknown sports are other"
        );
        assert_eq!(y[1].totals.count, 1);
        assert_eq!(y[1].days[0].date, "2025-03-01");
    }

    #[test]
    fn days_use_the_written_offset() {
        // Both start on 2026-05-04 UTC; the first was written in UTC−2, so
        // it is May 3rd where it happened.
        let late = json!({"sport": "running", "title": "Late", "distance_m": 5000.0,
                          "moving_time_s": 1500, "started_at": "2026-05-03T23:30:00-02:00"});
        let early = json!({"sport": "cycling", "title": "Early", "distance_m": 30000.0,
                           "started_at": "2026-05-04T07:12:00+02:00"});
        let utc = json!({"sport": "cycling", "title": "Utc", "distance_m": 1000.0});
        // The year boundary follows the local date too.
        let eve = json!({"sport": "running", "started_at": "2025-12-31T23:00:00-05:00"});
        let y = years_of(&[
            e("early", MAY4 + 5 * 3600 + 720, &early),
            e("late", MAY4 + 5400, &late),
            e("utc", MAY4 + 9 * 3600, &utc),
            e("eve", 1_767_240_000, &eve), // 2026-01-01T04:00:00Z
        ]);
        let days: Vec<(&str, Vec<&str>)> = y[0]
            .days
            .iter()
            .map(|d| {
                (
                    d.date.as_str(),
                    d.activities.iter().map(|a| a.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            days,
            [
                ("2026-05-03", vec!["late"]),
                ("2026-05-04", vec!["early", "utc"])
            ]
        );
        let late = &y[0].days[0].activities[0];
        assert_eq!(
            *late,
            DayActivity {
                id: "late".into(),
                title: "Late".into(),
                sport: "running".into(),
                distance_m: Some(5000.0),
                moving_time_s: Some(1500.0),
                started_at: "2026-05-03T23:30:00-02:00".into(),
            }
        );
        assert_eq!(y[0].days[1].totals.distance_m, 31000.0);
        assert_eq!(
            y[0].days[1].activities[1].started_at,
            "2026-05-04T09:00:00+00:00"
        );
        assert_eq!(y[1].year, 2025, "New Year's Eve in New York");
        assert!(years_of(&[]).is_empty());
    }

    #[test]
    fn hidden_stats_add_nothing_for_others() {
        let rec = ActivityRecord {
            handle: "al".into(),
            id: "x".into(),
            started_at: MAY4,
            source_hash: "h".into(),
            privacy: Privacy::Public,
            distance_m: Some(1.0),
            source: None,
            summary: json!({"sport": "cycling", "distance_m": 20000.0, "elevation_gain_m": 300.0}),
            detail: Value::Null,
            edits: ActivityEdits {
                hide_stats: Some(vec!["elevation".into()]),
                sport: Some("running".into()),
                ..Default::default()
            },
            duplicate_of: None,
            created_at: 0,
        };
        let public = seen(&rec, false);
        let own = seen(&rec, true);
        let y = years_of(&[e("x", MAY4, &public)]);
        assert_eq!(y[0].totals.elevation_gain_m, 0.0);
        assert_eq!(y[0].totals.distance_m, 20000.0);
        assert_eq!(y[0].sports[0].sport, "running", "the edited sport");
        let y = years_of(&[e("x", MAY4, &own)]);
        assert_eq!(y[0].totals.elevation_gain_m, 300.0, "the owner sees it");
    }
}
