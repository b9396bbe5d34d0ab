//! CCIP wire rendering, byte-for-byte as CS (§1.0).
//!
//! CS used two encoders: Flask's `jsonify` (compact, keys sorted, trailing
//! newline) and `bson.json_util.dumps` (`", "`/`": "` separators, document
//! order, no newline). Both escape non-ASCII as `\uXXXX`. [`Json`] keeps
//! insertion order and renders either way; absent fields are simply not
//! pushed, so "unset" is absent, never `null` (unless CS sent `null`).

use super::model::{Announcement, Attendee, Pairs, PuzzleBucket, PuzzleCounter, RoleStats};

/// An ordered JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// Integer.
    Int(i64),
    /// Float (Python `repr` formatting).
    Float(f64),
    /// String.
    Str(String),
    /// Array.
    Arr(Vec<Json>),
    /// Object in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// `{"k": v, …}` from pairs.
    pub fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string.
    pub fn s(v: impl Into<String>) -> Json {
        Json::Str(v.into())
    }

    /// `{"$oid": id}`.
    pub fn oid(id: &str) -> Json {
        Json::obj([("$oid", Json::s(id))])
    }

    /// An object of strings.
    pub fn pairs(p: &Pairs) -> Json {
        Json::Obj(p.iter().map(|(k, v)| (k.clone(), Json::s(v))).collect())
    }

    /// `bson.json_util.dumps` style: document order, `", "` / `": "`.
    pub fn to_bson_string(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write(&mut out, false);
        out
    }

    /// Flask `jsonify` style: compact, keys sorted, trailing newline.
    pub fn to_flask_string(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write(&mut out, true);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, flask: bool) {
        let (comma, colon) = if flask { (",", ":") } else { (", ", ": ") };
        match self {
            Json::Null => out.push_str("null"),
            Json::Int(i) => out.push_str(&i.to_string()),
            Json::Float(f) => out.push_str(&py_float(*f)),
            Json::Str(s) => escape(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    v.write(out, flask);
                }
                out.push(']');
            }
            Json::Obj(o) => {
                let mut entries: Vec<&(String, Json)> = o.iter().collect();
                if flask {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    escape(k, out);
                    out.push_str(colon);
                    v.write(out, flask);
                }
                out.push('}');
            }
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, always a `.0` or an
/// exponent.
fn py_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let s = format!("{f}");
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// JSON string with `ensure_ascii` (Python's escaping).
fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `/status` and `/use` body (§1.3): scenarios sorted by `order` (stable).
pub fn attendee_doc(a: &Attendee) -> Json {
    let mut doc = vec![
        ("_id".to_owned(), Json::oid(&a.id)),
        ("event_id".to_owned(), Json::s(&a.event_id)),
        ("token".to_owned(), Json::s(&a.token)),
        ("user_id".to_owned(), Json::s(&a.user_id)),
        ("attr".to_owned(), Json::pairs(&a.attr)),
    ];
    if let Some(t) = a.first_use {
        doc.push(("first_use".to_owned(), Json::Int(t)));
    }
    doc.push(("role".to_owned(), Json::s(&a.role)));
    let mut scs: Vec<_> = a.scenarios.iter().collect();
    scs.sort_by_key(|s| s.order);
    let scs = scs
        .into_iter()
        .map(|s| {
            let mut o = vec![
                ("order".to_owned(), Json::Int(s.order)),
                ("display_text".to_owned(), Json::pairs(&s.display_text)),
                ("available_time".to_owned(), Json::Int(s.available_time)),
                ("expire_time".to_owned(), Json::Int(s.expire_time)),
            ];
            if let Some(u) = s.used {
                o.push(("used".to_owned(), Json::Int(u)));
            }
            if let Some(d) = &s.disabled {
                o.push(("disabled".to_owned(), Json::s(d)));
            }
            o.push(("countdown".to_owned(), Json::Int(s.countdown)));
            o.push(("attr".to_owned(), Json::pairs(&s.attr)));
            o.push(("id".to_owned(), Json::s(&s.id)));
            Json::Obj(o)
        })
        .collect();
    doc.push(("scenarios".to_owned(), Json::Arr(scs)));
    Json::Obj(doc)
}

/// `/dashboard/<role>` entry: the projection CS returned (no token).
pub fn attendee_projection(a: &Attendee, scenario_ids: &[String]) -> Json {
    let scenario = a
        .scenarios
        .iter()
        .filter(|s| scenario_ids.contains(&s.id))
        .map(|s| {
            let mut o = Vec::new();
            if let Some(u) = s.used {
                o.push(("used".to_owned(), Json::Int(u)));
            }
            o.push(("attr".to_owned(), Json::pairs(&s.attr)));
            (s.id.clone(), Json::Obj(o))
        })
        .collect();
    Json::obj([
        ("_id", Json::oid(&a.id)),
        ("event_id", Json::s(&a.event_id)),
        ("user_id", Json::s(&a.user_id)),
        ("attr", Json::pairs(&a.attr)),
        ("scenario", Json::Obj(scenario)),
    ])
}

fn opt_int(v: Option<i64>) -> Json {
    v.map_or(Json::Null, Json::Int)
}

/// `/event/puzzle` body (CS sends `valid`/`coupon` as `null` when unset).
pub fn bucket_doc(user_id: &str, b: &PuzzleBucket) -> Json {
    Json::obj([
        ("user_id", Json::s(user_id)),
        ("puzzles", Json::Arr(b.puzzle.iter().map(Json::s).collect())),
        (
            "deliverers",
            Json::Arr(
                b.deliverer
                    .iter()
                    .map(|d| {
                        Json::obj([
                            ("deliverer", Json::s(&d.deliverer)),
                            ("timestamp", Json::Float(d.timestamp)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("valid", opt_int(b.valid)),
        ("coupon", opt_int(b.coupon)),
    ])
}

/// `/event/puzzle/dashboard` body.
pub fn counters_doc(cs: &[PuzzleCounter]) -> Json {
    Json::Arr(
        cs.iter()
            .map(|c| {
                Json::obj([
                    ("_id", Json::oid(&c.id)),
                    ("puzzle", Json::s(&c.puzzle)),
                    ("quantity", Json::Int(c.quantity)),
                    ("currency", Json::Int(c.currency)),
                ])
            })
            .collect(),
    )
}

/// `GET /announcement` body.
pub fn announcements_doc(list: &[Announcement]) -> Json {
    Json::Arr(
        list.iter()
            .map(|a| {
                let mut o = vec![
                    ("_id".to_owned(), Json::oid(&a.id)),
                    ("datetime".to_owned(), Json::Int(a.datetime)),
                ];
                for (k, v) in [
                    ("msg_zh", &a.msg_zh),
                    ("msg_en", &a.msg_en),
                    ("uri", &a.uri),
                ] {
                    if let Some(v) = v {
                        o.push((k.to_owned(), Json::s(v)));
                    }
                }
                o.push((
                    "role".to_owned(),
                    Json::Arr(a.role.iter().map(Json::s).collect()),
                ));
                Json::Obj(o)
            })
            .collect(),
    )
}

/// `/dashboard` body.
pub fn dashboard_doc(stats: &[RoleStats]) -> Json {
    Json::Arr(
        stats
            .iter()
            .map(|r| {
                Json::obj([
                    ("role", Json::s(&r.role)),
                    ("total", Json::Int(r.total as i64)),
                    ("logged", Json::Int(r.logged as i64)),
                    (
                        "scenarios",
                        Json::Arr(
                            r.scenarios
                                .iter()
                                .map(|s| {
                                    Json::obj([
                                        ("scenario", Json::s(&s.scenario)),
                                        ("enabled", Json::Int(s.enabled as i64)),
                                        ("used", Json::Int(s.used as i64)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                ])
            })
            .collect(),
    )
}

/// A list of strings (`/roles`, `/scenarios`, `/event/puzzle/deliverers`).
pub fn strings(v: impl IntoIterator<Item = impl Into<String>>) -> Json {
    Json::Arr(v.into_iter().map(|s| Json::Str(s.into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders() {
        let j = Json::obj([
            ("b", Json::s("中文\"\n")),
            (
                "a",
                Json::Arr(vec![Json::Int(1), Json::Float(2.0), Json::Null]),
            ),
            ("c", Json::s("😀")),
        ]);
        assert_eq!(
            j.to_bson_string(),
            r#"{"b": "\u4e2d\u6587\"\n", "a": [1, 2.0, null], "c": "\ud83d\ude00"}"#
        );
        assert_eq!(
            j.to_flask_string(),
            "{\"a\":[1,2.0,null],\"b\":\"\\u4e2d\\u6587\\\"\\n\",\"c\":\"\\ud83d\\ude00\"}\n"
        );
        assert_eq!(py_float(1565000000.123456), "1565000000.123456");
    }
}
