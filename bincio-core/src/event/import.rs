//! Attendee CSV binding (§3): one row → one attendee with its scenarios.
//!
//! The whole file is validated before anything is written: missing columns
//! that the rules read, rows of the wrong width, non-UTF-8 text, empty
//! tokens or names, duplicate tokens, values an `attr` map does not know.
//! Every problem is reported with its line number; one bad row means the
//! import writes nothing.

use std::collections::HashMap;

use super::config::{EventConfig, RoleConfig};
use super::model::{Pairs, Scenario};
use super::oid::new_oid;
use super::rules::{ImportAttendee, ImportScenario};

/// At most this many problems are reported (the rest are counted).
const MAX_ISSUES: usize = 50;

/// One problem in the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportIssue {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why an import was refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The role is not configured.
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// The file has problems.
    #[error("{}", summary(.issues, *.more))]
    Invalid {
        /// The first problems, in file order.
        issues: Vec<ImportIssue>,
        /// How many more were not listed.
        more: usize,
    },
}

fn summary(issues: &[ImportIssue], more: usize) -> String {
    let mut s = issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

/// Bind every row of `csv` for `role`. `now` seeds new attendee ids.
pub fn bind_csv(
    config: &EventConfig,
    role: &str,
    csv: &[u8],
    now: i64,
) -> Result<Vec<ImportAttendee>, ImportError> {
    let rc = config
        .role(role)
        .ok_or_else(|| ImportError::UnknownRole(role.to_owned()))?;
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let mut issues = Issues::default();
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let headers: Vec<String> = match rdr.byte_headers() {
        Ok(h) => match h
            .iter()
            .map(|f| String::from_utf8(f.to_vec()))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(h) => h,
            Err(_) => {
                return Err(ImportError::Invalid {
                    issues: vec![ImportIssue {
                        line: 1,
                        message: "header is not UTF-8".into(),
                    }],
                    more: 0,
                })
            }
        },
        Err(e) => {
            return Err(ImportError::Invalid {
                issues: vec![ImportIssue {
                    line: 1,
                    message: format!("cannot read header: {e}"),
                }],
                more: 0,
            })
        }
    };
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .rev()
        .collect();
    for (needed, why) in needed_columns(rc) {
        if !col.contains_key(needed.as_str()) {
            issues.push(1, format!("missing column {needed:?} (needed by {why})"));
        }
    }
    if !issues.list.is_empty() {
        return Err(issues.into_error());
    }
    let affected_by = affected_by(rc);
    let mut lines = LineCounter::new(csv);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for rec in rdr.byte_records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                issues.push(line, format!("malformed row: {}", csv_reason(&e)));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.at(p.byte()));
        let row: Vec<String> = match rec
            .iter()
            .map(|f| String::from_utf8(f.to_vec()))
            .collect::<Result<_, _>>()
        {
            Ok(r) => r,
            Err(_) => {
                issues.push(line, "row is not UTF-8".into());
                continue;
            }
        };
        let get = |name: &str| col.get(name).map(|&i| row[i].as_str());
        let token = get("token").unwrap_or_default();
        let name = get("display_name").unwrap_or_default();
        if token.is_empty() {
            issues.push(line, "empty token".into());
        }
        if name.is_empty() {
            issues.push(line, "empty display_name".into());
        }
        if !token.is_empty() {
            if let Some(first) = seen.insert(token.to_owned(), line) {
                issues.push(line, format!("duplicate token (first on line {first})"));
            }
        }
        match bind_row(rc, &get) {
            Ok(scenarios) => {
                let attr: Pairs = get("title")
                    .map(|t| vec![("title".to_owned(), t.to_owned())])
                    .unwrap_or_default();
                out.push(ImportAttendee {
                    id: new_oid(now),
                    event_id: config.event_id.clone(),
                    token: token.to_owned(),
                    user_id: name.to_owned(),
                    attr,
                    role: role.to_owned(),
                    scenarios: scenarios
                        .into_iter()
                        .map(|s| ImportScenario {
                            affected_by: affected_by.get(&s.id).cloned().unwrap_or_default(),
                            scenario: s,
                        })
                        .collect(),
                });
            }
            Err(msgs) => {
                for m in msgs {
                    issues.push(line, m);
                }
            }
        }
    }
    if issues.list.is_empty() {
        Ok(out)
    } else {
        Err(issues.into_error())
    }
}

/// 1-based line numbers from byte offsets, counted from the file itself:
/// the csv crate's own line counter is one short on CRLF files.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `byte` (offsets only grow).
    fn at(&mut self, byte: u64) -> u64 {
        let mut b = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // A record offset may point at the terminator ending the previous one.
        while b < self.text.len() && matches!(self.text[b], b'\r' | b'\n') {
            b += 1;
        }
        if b < self.pos {
            return self.line;
        }
        self.line += self.text[self.pos..b]
            .iter()
            .filter(|&&c| c == b'\n')
            .count() as u64;
        self.pos = b;
        self.line
    }
}

#[derive(Default)]
struct Issues {
    list: Vec<ImportIssue>,
    more: usize,
}

impl Issues {
    fn push(&mut self, line: u64, message: String) {
        if self.list.len() < MAX_ISSUES {
            self.list.push(ImportIssue { line, message });
        } else {
            self.more += 1;
        }
    }

    fn into_error(self) -> ImportError {
        ImportError::Invalid {
            issues: self.list,
            more: self.more,
        }
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, the header has {expected_len}"),
        _ => e.to_string(),
    }
}

/// Columns the role's rules read, with who reads them.
fn needed_columns(rc: &RoleConfig) -> Vec<(String, String)> {
    let mut out = vec![
        ("token".to_owned(), "every row".to_owned()),
        ("display_name".to_owned(), "every row".to_owned()),
    ];
    let mut add = |c: &str, why: String| {
        if !out.iter().any(|(n, _)| n == c) {
            out.push((c.to_owned(), why));
        }
    };
    for s in &rc.scenarios {
        if let Some(r) = &s.show_rule {
            add(&r.row_name, format!("{}.show_rule", s.id));
        }
        for a in &s.attr {
            add(&a.row_name, format!("{}.attr", s.id));
        }
        if let Some(r) = &s.not_lock_rule {
            add(&r.row_name, format!("{}.not_lock_rule", s.id));
        }
    }
    out
}

/// For each scenario, the scenarios whose use changes its `disabled`.
fn affected_by(rc: &RoleConfig) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for s in &rc.scenarios {
        for r in &s.related_scenario {
            m.entry(r.id.clone()).or_default().push(s.id.clone());
        }
    }
    m
}

/// Bind one row's scenarios (§3 step 2); every problem of the row is listed.
fn bind_row<'a>(
    rc: &RoleConfig,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Result<Vec<Scenario>, Vec<String>> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    for d in &rc.scenarios {
        if let Some(r) = &d.show_rule {
            if get(&r.row_name) != Some(r.value_match.as_str()) {
                continue;
            }
        }
        let mut attr = Pairs::new();
        for a in &d.attr {
            let v = get(&a.row_name).unwrap_or_default();
            match &a.value {
                None => attr.push((a.attr_name.clone(), v.to_owned())),
                Some(map) => match map.iter().find(|(k, _)| k == v) {
                    Some((_, mapped)) => attr.push((a.attr_name.clone(), mapped.clone())),
                    None => errs.push(format!(
                        "column {:?}: value {v:?} is not mapped by {}.attr ({})",
                        a.row_name, d.id, a.attr_name
                    )),
                },
            }
        }
        let mut disabled = d.lock_message.clone();
        if let Some(r) = &d.not_lock_rule {
            disabled = if get(&r.row_name) == Some(r.value_match.as_str()) {
                None
            } else {
                Some(r.not_match_disable_message.clone())
            };
        }
        out.push(Scenario {
            id: d.id.clone(),
            order: d.order,
            display_text: d.display_text.clone(),
            available_time: d.available_time,
            expire_time: d.expire_time,
            used: None,
            disabled,
            countdown: d.countdown,
            attr,
        });
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> EventConfig {
        EventConfig::load(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event"),
        )
        .unwrap()
    }

    fn issues(csv: &[u8]) -> Vec<String> {
        match bind_csv(&config(), "staff", csv, 0) {
            Err(ImportError::Invalid { issues, .. }) => {
                issues.iter().map(ToString::to_string).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn line_numbers_on_crlf_files() {
        let csv = b"token,display_name,shirt_size\r\na,A,M\r\n,B,L\r\n\r\nc,,S\r\n";
        assert_eq!(
            issues(csv),
            ["line 3: empty token", "line 5: empty display_name"]
        );
    }

    #[test]
    fn line_numbers_follow_the_file() {
        // A quoted field spanning two lines: the next record starts on line 4.
        let csv = b"token,display_name,shirt_size\na,\"Multi\nline\",M\n,Empty,L\n";
        assert_eq!(issues(csv), ["line 4: empty token"]);
    }

    #[test]
    fn garbage_is_reported_not_panicking() {
        assert_eq!(
            issues(b""),
            [
                "line 1: missing column \"token\" (needed by every row)",
                "line 1: missing column \"display_name\" (needed by every row)",
                "line 1: missing column \"shirt_size\" (needed by staff_shirt.attr)",
            ]
        );
        assert_eq!(issues(b"\xff\xfe,x\n"), ["line 1: header is not UTF-8"]);
        assert_eq!(
            issues(b"token,display_name,shirt_size\nt,\xff,M\n"),
            ["line 2: row is not UTF-8"]
        );
        let ok = bind_csv(
            &config(),
            "staff",
            b"\xEF\xBB\xBFtoken,display_name,shirt_size\nt,N,M\n",
            0,
        )
        .unwrap();
        assert_eq!(ok[0].token, "t", "a UTF-8 BOM is ignored");
        assert_eq!(
            bind_csv(&config(), "vip", b"", 0).unwrap_err(),
            ImportError::UnknownRole("vip".into())
        );
    }

    #[test]
    fn many_problems_are_capped() {
        let mut csv = String::from("token,display_name,shirt_size\n");
        for _ in 0..(MAX_ISSUES + 7) {
            csv.push_str(",,M\n");
        }
        match bind_csv(&config(), "staff", csv.as_bytes(), 0) {
            Err(ImportError::Invalid { issues, more }) => {
                assert_eq!(issues.len(), MAX_ISSUES);
                assert_eq!(more, 2 * (MAX_ISSUES + 7) - MAX_ISSUES);
            }
            other => panic!("{other:?}"),
        }
    }
}
