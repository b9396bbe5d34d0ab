//! `athlete.json` (`bincio.md` §5.6): aggregates over a member's activity
//! summaries, with the athlete config laid over them.
//!
//! ```text
//! {bas_version:"1.0", generated_at,
//!  power_curve:{all_time, last_365d, last_90d},   // [[secs, watts]…], per-duration max of `mmp`
//!  records:{sport:{"<km>":{time_s, activity_id, started_at, title}},
//!           hiking|walking:{longest_m|most_elevation_m:{value, activity_id, started_at, title}}},
//!  best_climbs:[{climb_m, activity_id, started_at, title}…],   // top 10 cycling
//!  max_hr?, ftp_w?, hr_zones?, power_zones?, seasons?, gear?}
//! ```
//!
//! Invariants:
//! * pure: the caller decides *which* summaries feed it and *as whom* they
//!   are seen. For anyone but the owner that is the public summary of each
//!   listed activity (hidden stats already nulled by `view::public_doc`), so
//!   a hidden power / speed / elevation never reaches the curve, the
//!   records or the climbs;
//! * activities flagged `duplicate_of` are left out by the callers (the
//!   better copy counts, not both);
//! * malformed summary values (not numbers, not pairs, not finite, ≤ 0)
//!   are skipped, never a panic;
//! * ties go to the earlier activity (the one that set the record first);
//! * windows compare Unix start times with `now − 365 d` / `now − 90 d`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::calendar;
use crate::model::{AthleteConfig, Season};

/// How many cycling climbs `best_climbs` lists.
pub const TOP_CLIMBS: usize = 10;

const DAY: i64 = 86_400;

/// One activity as the aggregation sees it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Activity id.
    pub id: &'a str,
    /// Start, Unix seconds.
    pub started_at: i64,
    /// The summary as the viewer may see it (edits overlaid).
    pub summary: &'a Value,
}

/// A JSON number, integral values written as integers (`900`, not `900.0`).
fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn positive(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
        .filter(|x| x.is_finite() && *x > 0.0)
}

/// `[[a, b]…]` pairs of positive finite numbers.
fn pairs(v: Option<&Value>) -> Vec<(f64, f64)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((positive(p.get(0))?, positive(p.get(1))?)))
                .collect()
        })
        .unwrap_or_default()
}

struct Meta {
    id: String,
    started_at: Value,
    title: Value,
}

impl Meta {
    fn of(e: &Entry<'_>) -> Self {
        let started_at = match e.summary.get("started_at").and_then(Value::as_str) {
            Some(s) => json!(s),
            None => Utc
                .timestamp_opt(e.started_at, 0)
                .single()
                .map(|d| json!(d.to_rfc3339()))
                .unwrap_or(Value::Null),
        };
        Self {
            id: e.id.to_owned(),
            started_at,
            title: e.summary.get("title").cloned().unwrap_or(Value::Null),
        }
    }

    fn with(&self, key: &str, value: Value) -> Value {
        json!({key: value, "activity_id": self.id, "started_at": self.started_at,
               "title": self.title})
    }
}

/// The power-curve rule, written once: per-duration maximum of `mmp` over
/// `entries`, as `(secs, watts)` sorted by duration. Durations must be
/// whole seconds up to 10⁹; malformed pairs are skipped.
pub(crate) fn curve_points<'a>(entries: impl Iterator<Item = &'a Entry<'a>>) -> Vec<(u32, f64)> {
    let mut best: BTreeMap<u32, f64> = BTreeMap::new();
    for e in entries {
        for (secs, watts) in pairs(e.summary.get("mmp")) {
            if secs.fract() != 0.0 || secs > 1.0e9 {
                continue;
            }
            let w = best.entry(secs as u32).or_insert(watts);
            if watts > *w {
                *w = watts;
            }
        }
    }
    best.into_iter().collect()
}

/// [`curve_points`] as `[[secs, watts]…]`.
fn power_curve<'a>(entries: impl Iterator<Item = &'a Entry<'a>>) -> Value {
    Value::Array(
        curve_points(entries)
            .into_iter()
            .map(|(d, w)| json!([d, num(w)]))
            .collect(),
    )
}

/// The power curve of one of the member's seasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeasonCurve {
    /// Season name.
    pub name: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD` (inclusive).
    pub end: String,
    /// `(secs, watts)` sorted by duration, by the same per-duration-max
    /// rule as `power_curve` of `athlete.json` (serialised as
    /// `[[secs, watts]…]`).
    pub curve: Vec<(u32, f64)>,
}

/// One curve per season, in the order given, over the entries whose
/// *local* start date ([`calendar::local_date`]) is within
/// `start..=end`. A season whose dates do not parse has an empty curve.
pub fn season_curves(entries: &[Entry<'_>], seasons: &[Season]) -> Vec<SeasonCurve> {
    let dated: Vec<(NaiveDate, &Entry<'_>)> = entries
        .iter()
        .map(|e| (calendar::local_date(e.summary, e.started_at), e))
        .collect();
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    seasons
        .iter()
        .map(|s| {
            let curve = match (day(&s.start), day(&s.end)) {
                (Some(a), Some(b)) => curve_points(
                    dated
                        .iter()
                        .filter(|(d, _)| (a..=b).contains(d))
                        .map(|(_, e)| *e),
                ),
                _ => Vec::new(),
            };
            SeasonCurve {
                name: s.name.clone(),
                start: s.start.clone(),
                end: s.end.clone(),
                curve,
            }
        })
        .collect()
}

/// A record slot: the best value so far and where it was set.
type Best = Option<(f64, Meta)>;

/// The best value of a sport's record: smaller wins for times, larger for
/// distances and gains; ties keep the earlier activity (entries arrive
/// oldest first).
fn keep(slot: &mut Best, value: f64, meta: Meta, smaller_wins: bool) {
    let better = match slot {
        None => true,
        Some((old, _)) if smaller_wins => value < *old,
        Some((old, _)) => value > *old,
    };
    if better {
        *slot = Some((value, meta));
    }
}

/// The computed part of `athlete.json` over `entries` (any order).
pub fn compute(entries: &[Entry<'_>], now: i64, generated_at: &str) -> Value {
    let mut sorted: Vec<&Entry<'_>> = entries.iter().collect();
    sorted.sort_by(|a, b| (a.started_at, a.id).cmp(&(b.started_at, b.id)));
    let since = |days: i64| {
        let from = now.saturating_sub(days * DAY);
        sorted.iter().copied().filter(move |e| e.started_at >= from)
    };
    let curve = json!({
        "all_time": power_curve(sorted.iter().copied()),
        "last_365d": power_curve(since(365)),
        "last_90d": power_curve(since(90)),
    });

    // sport → record key → (value, meta); best efforts are times (smaller wins).
    let mut efforts: BTreeMap<String, BTreeMap<String, Best>> = BTreeMap::new();
    let mut totals: BTreeMap<String, BTreeMap<&str, Best>> = BTreeMap::new();
    let mut climbs: Vec<(f64, Meta)> = Vec::new();
    for e in &sorted {
        let sport = e
            .summary
            .get("sport")
            .and_then(Value::as_str)
            .unwrap_or("other");
        for (km, secs) in pairs(e.summary.get("best_efforts")) {
            let slot = efforts
                .entry(sport.to_owned())
                .or_default()
                .entry(format!("{km:?}"))
                .or_default();
            keep(slot, secs, Meta::of(e), true);
        }
        if matches!(sport, "hiking" | "walking") {
            for (key, field) in [
                ("longest_m", "distance_m"),
                ("most_elevation_m", "elevation_gain_m"),
            ] {
                if let Some(v) = positive(e.summary.get(field)) {
                    let slot = totals
                        .entry(sport.to_owned())
                        .or_default()
                        .entry(key)
                        .or_default();
                    keep(slot, v, Meta::of(e), false);
                }
            }
        }
        if sport == "cycling" {
            if let Some(c) = positive(e.summary.get("best_climb_m")) {
                climbs.push((c, Meta::of(e)));
            }
        }
    }

    let mut records = Map::new();
    for (sport, by_km) in efforts {
        let mut out = Map::new();
        for (km, slot) in by_km {
            if let Some((t, m)) = slot {
                out.insert(km, m.with("time_s", num(t)));
            }
        }
        records.insert(sport, Value::Object(out));
    }
    for (sport, by_key) in totals {
        let entry = records
            .entry(sport)
            .or_insert_with(|| Value::Object(Map::new()));
        for (key, slot) in by_key {
            if let (Some(o), Some((v, m))) = (entry.as_object_mut(), slot) {
                o.insert(key.to_owned(), m.with("value", num(v)));
            }
        }
    }
    // Stable sort: equal climbs keep oldest-first order.
    climbs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best_climbs: Vec<Value> = climbs
        .into_iter()
        .take(TOP_CLIMBS)
        .map(|(c, m)| m.with("climb_m", num(c)))
        .collect();

    json!({
        "bas_version": "1.0",
        "generated_at": generated_at,
        "power_curve": curve,
        "records": records,
        "best_climbs": best_climbs,
    })
}

/// `doc` with the config keys that are set laid over it (config wins).
pub fn overlay(mut doc: Value, config: &AthleteConfig) -> Value {
    if let (Some(o), Ok(Value::Object(c))) = (doc.as_object_mut(), serde_json::to_value(config)) {
        o.extend(c);
    }
    doc
}

/// `owner.athlete` of a per-user `index.json` (§5.2): the four training
/// keys (`null` when unset), or `None` when none of them is configured.
pub fn owner_block(config: &AthleteConfig) -> Option<Value> {
    let any = config.max_hr.is_some()
        || config.ftp_w.is_some()
        || config.hr_zones.is_some()
        || config.power_zones.is_some();
    any.then(|| {
        json!({"max_hr": config.max_hr, "ftp_w": config.ftp_w,
               "hr_zones": config.hr_zones, "power_zones": config.power_zones})
    })
}

/// The `owner` object of a per-user index: handle, display name and, when
/// configured, `athlete`.
pub fn owner_json(handle: &str, display_name: &str, config: &AthleteConfig) -> Value {
    let mut o = json!({"handle": handle, "display_name": display_name});
    if let Some(a) = owner_block(config) {
        o["athlete"] = a;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600; // 2026-01-01

    fn e<'a>(id: &'a str, t: i64, s: &'a Value) -> Entry<'a> {
        Entry {
            id,
            started_at: t,
            summary: s,
        }
    }

    #[test]
    fn empty_is_valid() {
        let d = compute(&[], NOW, "g");
        assert_eq!(
            d,
            json!({"bas_version": "1.0", "generated_at": "g",
                   "power_curve": {"all_time": [], "last_365d": [], "last_90d": []},
                   "records": {}, "best_climbs": []})
        );
    }

    #[test]
    fn power_curve_is_per_duration_max_with_windows() {
        let old = json!({"sport": "cycling", "mmp": [[5, 900], [60, 400], [1200, 250]]});
        let recent = json!({"sport": "cycling", "mmp": [[5, 800], [60, 420]]});
        let d = compute(
            &[
                e("a", NOW - 400 * DAY, &old),
                e("b", NOW - 10 * DAY, &recent),
            ],
            NOW,
            "g",
        );
        assert_eq!(
            d["power_curve"]["all_time"],
            json!([[5, 900], [60, 420], [1200, 250]])
        );
        assert_eq!(d["power_curve"]["last_365d"], json!([[5, 800], [60, 420]]));
        assert_eq!(d["power_curve"]["last_90d"], json!([[5, 800], [60, 420]]));
    }

    #[test]
    fn season_curves_use_local_dates_inclusive() {
        let season = |n: &str, a: &str, b: &str| Season {
            name: n.into(),
            start: a.into(),
            end: b.into(),
        };
        // 2026-05-04T01:30Z, written as May 3rd local; 2026-05-04T05:00Z.
        let sun = json!({"started_at": "2026-05-03T23:30:00-02:00", "mmp": [[5, 900], [60, 400]]});
        let mon = json!({"started_at": "2026-05-04T07:00:00+02:00", "mmp": [[5, 800], [60, 450]]});
        let utc = json!({"mmp": [[1200, 250]]}); // 2026-05-05 by its Unix start
        let entries = [
            e("sun", 1_777_858_200, &sun),
            e("mon", 1_777_870_800, &mon),
            e("utc", 1_777_939_200, &utc),
        ];
        let c = season_curves(
            &entries,
            &[
                season("to sunday", "2026-01-01", "2026-05-03"),
                season("monday on", "2026-05-04", "2026-12-31"),
                season("one day", "2026-05-05", "2026-05-05"),
                season("none", "2025-01-01", "2025-12-31"),
                season("broken", "2026-13-01", "2026-12-31"),
            ],
        );
        let curves: Vec<(&str, Vec<(u32, f64)>)> = c
            .iter()
            .map(|s| (s.name.as_str(), s.curve.clone()))
            .collect();
        assert_eq!(
            curves,
            [
                ("to sunday", vec![(5, 900.0), (60, 400.0)]),
                ("monday on", vec![(5, 800.0), (60, 450.0), (1200, 250.0)]),
                ("one day", vec![(1200, 250.0)]),
                ("none", vec![]),
                ("broken", vec![]),
            ]
        );
        assert_eq!(c[0].start, "2026-01-01");
        assert_eq!(c[0].end, "2026-05-03");
        assert_eq!(
            serde_json::to_value(&c[2]).unwrap(),
            json!({"name": "one day", "start": "2026-05-05", "end": "2026-05-05",
                   "curve": [[1200, 250.0]]})
        );
        // The same rule as athlete.json's curve.
        let all = compute(&entries, NOW, "g");
        assert_eq!(
            all["power_curve"]["all_time"],
            json!([[5, 900], [60, 450], [1200, 250]])
        );
    }

    #[test]
    fn records_keep_fastest_and_earliest_on_tie() {
        let a = json!({"sport": "running", "title": "A", "started_at": "2025-01-01T00:00:00+00:00",
                       "best_efforts": [[1.0, 300.0], [5.0, 1500.0]]});
        let b = json!({"sport": "running", "title": "B", "best_efforts": [[1.0, 280.0], [5.0, 1500.0]]});
        let d = compute(&[e("b", 200, &b), e("a", 100, &a)], NOW, "g");
        assert_eq!(
            d["records"]["running"]["1.0"],
            json!({"time_s": 280, "activity_id": "b", "started_at": "1970-01-01T00:03:20+00:00", "title": "B"})
        );
        assert_eq!(d["records"]["running"]["5.0"]["activity_id"], json!("a"));
        assert_eq!(
            d["records"]["running"]["5.0"]["started_at"],
            json!("2025-01-01T00:00:00+00:00")
        );
        let km = json!({"sport": "running", "best_efforts": [[21.097, 5000.5]]});
        let d = compute(&[e("k", 1, &km)], NOW, "g");
        assert_eq!(d["records"]["running"]["21.097"]["time_s"], json!(5000.5));
    }

    #[test]
    fn hiking_totals_and_climbs() {
        let h1 = json!({"sport": "hiking", "distance_m": 12000.0, "elevation_gain_m": 900.0});
        let h2 = json!({"sport": "hiking", "distance_m": 15000.0, "elevation_gain_m": null});
        let w = json!({"sport": "walking", "distance_m": 3000.0});
        let d = compute(&[e("h1", 1, &h1), e("h2", 2, &h2), e("w", 3, &w)], NOW, "g");
        assert_eq!(d["records"]["hiking"]["longest_m"]["value"], json!(15000));
        assert_eq!(
            d["records"]["hiking"]["most_elevation_m"]["activity_id"],
            json!("h1")
        );
        assert_eq!(
            d["records"]["walking"]["longest_m"]["activity_id"],
            json!("w")
        );
        assert!(d["records"]["walking"].get("most_elevation_m").is_none());
        assert!(
            d["records"].get("running").is_none(),
            "sports with data only"
        );

        let rides: Vec<Value> = (0..12)
            .map(|i| json!({"sport": "cycling", "best_climb_m": 100.0 + f64::from(i)}))
            .collect();
        let ids: Vec<String> = (0..12).map(|i| format!("r{i}")).collect();
        let entries: Vec<Entry<'_>> = rides
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(i, (s, id))| e(id, i as i64, s))
            .collect();
        let d = compute(&entries, NOW, "g");
        let climbs = d["best_climbs"].as_array().unwrap();
        assert_eq!(climbs.len(), TOP_CLIMBS);
        assert_eq!(climbs[0]["climb_m"], json!(111));
        assert_eq!(climbs[0]["activity_id"], json!("r11"));
        assert_eq!(climbs[9]["activity_id"], json!("r2"));
    }

    #[test]
    fn malformed_values_are_skipped() {
        let bad = json!({"sport": 5, "mmp": [[5], "x", [-1, 300], [5, "w"], [1.5, 300]],
                         "best_efforts": {"a": 1}, "best_climb_m": "high",
                         "distance_m": -4});
        let d = compute(&[e("x", 1, &bad)], NOW, "g");
        assert_eq!(d["power_curve"]["all_time"], json!([]));
        assert_eq!(d["records"], json!({}));
        let not_obj = json!([1, 2]);
        compute(&[e("y", i64::MIN, &not_obj)], i64::MIN, "g");
    }

    #[test]
    fn overlay_and_owner_block() {
        let cfg = AthleteConfig {
            ftp_w: Some(250),
            gear: Some(Map::new()),
            ..Default::default()
        };
        let d = overlay(compute(&[], NOW, "g"), &cfg);
        assert_eq!(d["ftp_w"], json!(250));
        assert_eq!(d["gear"], json!({}));
        assert!(d.get("max_hr").is_none());
        assert_eq!(
            owner_json("al", "Al", &cfg),
            json!({"handle": "al", "display_name": "Al", "athlete":
                   {"max_hr": null, "ftp_w": 250, "hr_zones": null, "power_zones": null}})
        );
        let only_gear = AthleteConfig {
            gear: Some(Map::new()),
            ..Default::default()
        };
        assert_eq!(
            owner_json("al", "Al", &only_gear),
            json!({"handle": "al", "display_name": "Al"})
        );
    }
}
