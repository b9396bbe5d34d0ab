//! The combined cross-user feed: `feed.json`, `feed-2.json`, … (50 a page).

use serde_json::{json, Value};

use super::FEED_PAGE;

/// One member's listed summaries (as in their flat `index.json`).
pub(super) struct MemberFeed {
    pub handle: String,
    pub display_name: String,
    pub listed: Vec<Value>,
}

/// Name of page `i` (0-based).
pub(super) fn page_name(i: usize) -> String {
    if i == 0 {
        "feed.json".to_owned()
    } else {
        format!("feed-{}.json", i + 1)
    }
}

/// The 1-based page number of a name [`page_name`] makes (`feed.json` is
/// page 1, `feed-N.json` page N ≥ 2), else `None`.
pub fn page_number(n: &str) -> Option<usize> {
    if n == "feed.json" {
        return Some(1);
    }
    let d = n.strip_prefix("feed-")?.strip_suffix(".json")?;
    if d.is_empty() || d.len() > 9 || !d.bytes().all(|b| b.is_ascii_digit()) || d.starts_with('0') {
        return None;
    }
    d.parse().ok().filter(|&p| p >= 2)
}

/// True for a file name [`page_name`] makes.
pub(super) fn is_page_name(n: &str) -> bool {
    page_number(n).is_some()
}

/// A listed summary as the combined feed shows it: tagged with its owner,
/// urls relative to the root, no `mmp`.
pub(crate) fn tag(mut s: Value, handle: &str, display_name: &str) -> Value {
    if let Some(o) = s.as_object_mut() {
        o.remove("mmp");
        o.insert("handle".into(), json!(handle));
        o.insert("display_name".into(), json!(display_name));
        for k in ["detail_url", "track_url"] {
            if let Some(u) = o.get(k).and_then(Value::as_str) {
                let u = format!("{handle}/{u}");
                o.insert(k.into(), json!(u));
            }
        }
    }
    s
}

/// One page document (`page` is 1-based).
pub(crate) fn page_doc(
    page: usize,
    total_activities: usize,
    activities: Vec<Value>,
    generated_at: &str,
) -> Value {
    // Built field by field: `json!` would deep-copy the activities.
    let mut o = serde_json::Map::new();
    o.insert("bas_version".into(), json!("1.0"));
    o.insert("generated_at".into(), json!(generated_at));
    o.insert("page".into(), json!(page));
    o.insert("total_pages".into(), json!(total_pages(total_activities)));
    o.insert("total_activities".into(), json!(total_activities));
    o.insert("activities".into(), Value::Array(activities));
    Value::Object(o)
}

/// Pages for `total` activities (at least one, possibly empty).
pub(crate) fn total_pages(total: usize) -> usize {
    total.div_ceil(FEED_PAGE).max(1)
}

fn started(v: &Value) -> Option<&str> {
    v.get("started_at").and_then(Value::as_str)
}

/// Every member's listed activities, newest first, tagged with the handle,
/// urls made relative to the root, `mmp` dropped; as page files.
pub(super) fn pages(members: Vec<MemberFeed>, generated_at: &str) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<Value> = Vec::new();
    for m in members {
        for s in m.listed {
            all.push(tag(s, &m.handle, &m.display_name));
        }
    }
    // Stable: equal start times keep member order.
    all.sort_by(|a, b| started(b).cmp(&started(a)));
    let total = all.len();
    let mut it = all.into_iter();
    let docs: Vec<Value> = (0..total_pages(total))
        .map(|i| {
            page_doc(
                i + 1,
                total,
                it.by_ref().take(FEED_PAGE).collect(),
                generated_at,
            )
        })
        .collect();
    // Printing is most of the work: split it over the cores.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = docs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = docs
            .chunks(per)
            .enumerate()
            .map(|(k, chunk)| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(j, d)| {
                            (
                                page_name(k * per + j),
                                serde_json::to_vec(d).unwrap_or_default(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_round_trip() {
        for i in [0, 1, 9, 120] {
            assert!(is_page_name(&page_name(i)));
        }
        for n in [
            "feed-.json",
            "feed-x.json",
            "feeds.json",
            "feed-2.json.tmp",
            "feed-1.json",
            "feed-02.json",
            "feed-99999999999.json",
        ] {
            assert!(!is_page_name(n), "{n}");
        }
        assert_eq!(page_number("feed.json"), Some(1));
        assert_eq!(page_number("feed-12.json"), Some(12));
    }

    #[test]
    fn newest_first_across_members_in_pages_of_50() {
        let member = |h: &str, n: usize, offset: usize| {
            MemberFeed {
            handle: h.into(),
            display_name: h.to_uppercase(),
            listed: (0..n)
                .map(|i| json!({"id": i, "started_at": format!("2024-01-01T00:{:02}:00", (i * 2 + offset) % 60), "mmp": [[1, 2]], "detail_url": "activities/x.json"}))
                .collect(),
        }
        };
        let p = pages(vec![member("a", 30, 0), member("b", 30, 1)], "now");
        assert_eq!(p.len(), 2);
        let first: Value = serde_json::from_slice(&p[0].1).unwrap();
        assert_eq!(first["total_activities"], 60);
        assert_eq!(first["total_pages"], 2);
        let acts = first["activities"].as_array().unwrap();
        assert_eq!(acts.len(), 50);
        assert!(acts[0].get("mmp").is_none());
        assert!(acts[0]["detail_url"]
            .as_str()
            .unwrap()
            .ends_with("/activities/x.json"));
        let times: Vec<&str> = acts
            .iter()
            .map(|a| a["started_at"].as_str().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
    }
}
