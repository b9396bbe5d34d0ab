//! A member's index documents: the flat feed `index.json`, the year shards
//! `_merged/index-{YYYY}.json` and their manifest `_merged/index.json`.
//! One builder for the static render and the live `/data/` tree, so both
//! serve the same documents.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Utc};
use serde_json::{json, Value};

/// Summary keys the year shards leave out (BincioActivity's merge does).
const NOT_IN_SHARDS: [&str; 3] = ["best_efforts", "best_climb_m", "source"];

/// The UTC year of a unix time (0 when out of range).
pub(crate) fn year_of(started_at: i64) -> i32 {
    Utc.timestamp_opt(started_at, 0)
        .single()
        .map(|d| d.year())
        .unwrap_or(0)
}

/// The root manifest `index.json`: the instance and one shard per member
/// (their year-shard manifest).
pub(crate) fn root_manifest(
    settings: &crate::accounts::settings::InstanceSettings,
    users: &[crate::model::User],
    generated_at: &str,
) -> Value {
    let shards: Vec<Value> = users
        .iter()
        .map(|u| json!({"handle": u.handle, "url": format!("{}/_merged/index.json", u.handle)}))
        .collect();
    json!({
        "bas_version": "1.0",
        "instance": {"name": settings.instance_name, "private": settings.private},
        "generated_at": generated_at,
        "shards": shards,
        "activities": [],
    })
}

/// `(relative path, document)` of every index file, from the listed
/// summaries newest first, each with its year; `owner` is the index's
/// owner block (`athlete::owner_json`).
pub(crate) fn user_indexes(
    owner: &Value,
    generated_at: &str,
    listed: &[(i32, Value)],
) -> Vec<(String, Value)> {
    // Built field by field: `json!` would deep-copy the activities.
    let meta = |shards: Value, activities: Vec<Value>| {
        let mut o = serde_json::Map::new();
        o.insert("bas_version".into(), json!("1.0"));
        o.insert("owner".into(), owner.clone());
        o.insert("generated_at".into(), json!(generated_at));
        o.insert("shards".into(), shards);
        o.insert("activities".into(), Value::Array(activities));
        Value::Object(o)
    };
    let mut files = vec![(
        "index.json".to_owned(),
        meta(json!([]), listed.iter().map(|(_, s)| s.clone()).collect()),
    )];
    let mut years: BTreeMap<i32, Vec<Value>> = BTreeMap::new();
    for (year, s) in listed {
        let mut s = s.clone();
        if let Some(o) = s.as_object_mut() {
            for k in NOT_IN_SHARDS {
                o.remove(k);
            }
        }
        years.entry(*year).or_default().push(s);
    }
    let mut refs = Vec::new();
    for (year, mut acts) in years.into_iter().rev() {
        // Highlights first within a year (stable).
        acts.sort_by_key(|a| {
            !a.pointer("/custom/highlight")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        });
        let name = format!("index-{year}.json");
        refs.push(json!({"url": name, "year": year, "count": acts.len()}));
        files.push((format!("_merged/{name}"), meta(json!([]), acts)));
    }
    files.push((
        "_merged/index.json".to_owned(),
        meta(json!(refs), Vec::new()),
    ));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_newest_first_highlights_first() {
        let s = |id: &str, hl: bool| json!({"id": id, "source": "gpx_file", "custom": {"highlight": hl}});
        // 2024-03-01, 2024-01-01, 2024-01-01T00:30Z (2023-12-31T23:30-01:00)
        let listed: Vec<(i32, Value)> = [
            (1_709_251_200, s("c", false)),
            (1_704_067_200, s("b", true)),
            (1_704_069_000, s("a", false)),
        ]
        .into_iter()
        .map(|(t, v)| (year_of(t), v))
        .collect();
        let files = user_indexes(&json!({"handle": "alice"}), "now", &listed);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "index.json",
                "_merged/index-2024.json",
                "_merged/index.json"
            ],
            "23:30 at -01:00 is already 2024 in UTC"
        );
        let y2024 = &files[1].1["activities"];
        assert_eq!(y2024[0]["id"], "b", "highlight first");
        assert!(y2024[0].get("source").is_none());
        assert_eq!(files[2].1["shards"][0]["count"], 3);
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(i64::MAX), 0);
    }
}
