//! Attendee CSV binding (§3): one row → one attendee with its scenarios.
//!
//! The whole file is validated before anything is written: missing columns
//! that the rules read, rows of the wrong width, non-UTF-8 text, empty
//! tokens or names, duplicate tokens, values an `attr` map does not know.
//! Every problem is reported with its line number; one bad row means the
//! import writes nothing.
//!
//! **Two passes, one row at a time.** [`check_csv`] reads the file once and
//! keeps nothing of a row but a 16-byte key of its token and its line (for
//! duplicates, see [`TokenKeys`]); the [`CheckedCsv`] it returns binds the
//! rows again, one at a time, when the store asks for them
//! ([`ImportRows::rows`]). An import of any size so holds the file (the
//! caller's bytes, never copied), ~25–50 bytes a row of token keys, and
//! the few rows the store is writing — instead of every bound attendee
//! (~3 KiB a row). Parsing twice costs less than that memory would: the
//! check allocates nothing per row.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use csv::ByteRecord;

use super::config::{AttrRule, EventConfig, NotLockRule, RoleConfig, ScenarioDef};
use super::model::{Pairs, Scenario};
use super::oid::new_oid;
use super::rules::{ImportAttendee, ImportScenario};
use crate::store::{ImportRows, StoreError, StoreResult};

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

/// A CSV checked whole for one role: every row binds and no token repeats.
/// Borrows the file and the configuration; [`ImportRows::rows`] binds its
/// rows on demand, in file order, the same rows at every call (a store that
/// retries its transaction starts over).
pub struct CheckedCsv<'a> {
    plan: Plan<'a>,
    /// The file without its UTF-8 BOM.
    csv: &'a [u8],
    rows: usize,
    now: i64,
}

impl CheckedCsv<'_> {
    /// How many attendees the file holds.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the file holds no attendee (a header alone).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

impl ImportRows for CheckedCsv<'_> {
    fn rows(&self) -> Box<dyn Iterator<Item = StoreResult<ImportAttendee>> + Send + '_> {
        let mut rdr = reader(self.csv);
        let mut rec = ByteRecord::new();
        Box::new(std::iter::from_fn(move || {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => None,
                Ok(true) => Some(self.plan.bind(&rec, self.now).map_err(|m| {
                    let line = rec.position().map_or(0, |p| line_at(self.csv, p.byte()));
                    changed(line, &m)
                })),
                Err(e) => {
                    let line = e.position().map_or(0, |p| line_at(self.csv, p.byte()));
                    Some(Err(changed(line, &csv_reason(&e))))
                }
            }
        }))
    }
}

/// A row that no longer binds as it did when checked: impossible while the
/// bytes are the same (they are borrowed, immutable), so a bug; the store
/// then writes nothing.
fn changed(line: u64, why: &str) -> StoreError {
    StoreError::Backend(format!(
        "import: line {line} no longer binds as when checked: {why}"
    ))
}

fn reader(csv: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(true).from_reader(csv)
}

/// Bind every row of `csv` for `role` at once (small files and tests; an
/// import streams with [`check_csv`] instead). `now` seeds new attendee ids.
pub fn bind_csv(
    config: &EventConfig,
    role: &str,
    csv: &[u8],
    now: i64,
) -> Result<Vec<ImportAttendee>, ImportError> {
    let checked = check_csv(config, role, csv, now)?;
    checked
        .rows()
        .collect::<StoreResult<_>>()
        .map_err(|e| ImportError::Invalid {
            issues: vec![ImportIssue {
                line: 0,
                message: e.to_string(),
            }],
            more: 0,
        })
}

/// Check every row of `csv` for `role` (one pass, nothing bound kept): the
/// problems by line, or the file ready to import. `now` seeds the ids of
/// new attendees when the rows are bound.
pub fn check_csv<'a>(
    config: &'a EventConfig,
    role: &'a str,
    csv: &'a [u8],
    now: i64,
) -> Result<CheckedCsv<'a>, ImportError> {
    let rc = config
        .role(role)
        .ok_or_else(|| ImportError::UnknownRole(role.to_owned()))?;
    let csv = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv);
    let mut issues = Issues::default();
    let mut rdr = reader(csv);
    let headers: Vec<String> = match rdr.byte_headers() {
        Ok(h) => match h
            .iter()
            .map(|f| String::from_utf8(f.to_vec()))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(h) => h,
            Err(_) => return Err(issues.fatal(1, "header is not UTF-8".into())),
        },
        Err(e) => return Err(issues.fatal(1, format!("cannot read header: {e}"))),
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
    let plan = Plan::new(config, rc, &col);
    // Rows ≤ newlines: the keys never grow (no rehash, no transient copy).
    let mut seen = TokenKeys::with_capacity(csv.iter().filter(|&&b| b == b'\n').count());
    let mut lines = LineCounter::new(csv);
    let mut rec = ByteRecord::new();
    let mut rows = 0;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                issues.push(line, format!("malformed row: {}", csv_reason(&e)));
                continue;
            }
        }
        rows += 1;
        let line = rec.position().map_or(0, |p| lines.at(p.byte()));
        let Some(f) = Fields::new(&rec) else {
            issues.push(line, "row is not UTF-8".into());
            continue;
        };
        let token = f.get(plan.token);
        if token.is_empty() {
            issues.push(line, "empty token".into());
        }
        if f.get(plan.name).is_empty() {
            issues.push(line, "empty display_name".into());
        }
        if !token.is_empty() {
            if let Some(first) = seen.insert(token, line) {
                issues.push(line, format!("duplicate token (first on line {first})"));
            }
        }
        plan.check(&f, &mut |m| issues.push(line, m));
    }
    if issues.list.is_empty() {
        Ok(CheckedCsv {
            plan,
            csv,
            rows,
            now,
        })
    } else {
        Err(issues.into_error())
    }
}

/// The tokens of an import seen so far, each as a 128-bit hash under keys
/// drawn for this set (16 bytes a token, not the token): two different
/// tokens share a key with probability ~n²/2¹²⁹ — about 10⁻²⁷ for a
/// million rows — and, the keys being secret and fresh, no file can be
/// made to collide on purpose.
pub struct TokenKeys {
    keys: (RandomState, RandomState),
    seen: HashMap<(u64, u64), u64, BuildHasherDefault<KeyHasher>>,
}

impl TokenKeys {
    /// An empty set with room for `n` tokens.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            keys: (RandomState::new(), RandomState::new()),
            seen: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
        }
    }

    /// Record `token` as seen at `at` (a line, a row number); when it was
    /// seen before, the first `at` instead (and the set is unchanged).
    pub fn insert(&mut self, token: &str, at: u64) -> Option<u64> {
        let key = (self.keys.0.hash_one(token), self.keys.1.hash_one(token));
        match self.seen.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(at);
                None
            }
        }
    }
}

/// The keys are hashes already: fold them, do not hash them again.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(29) ^ n;
    }
}

/// A record's fields as text: the record's bytes checked as UTF-8 once,
/// each field a slice of them (on character boundaries, or the record is
/// refused: a field cut inside a character is not UTF-8 on its own).
struct Fields<'r> {
    text: &'r str,
    rec: &'r ByteRecord,
}

impl<'r> Fields<'r> {
    fn new(rec: &'r ByteRecord) -> Option<Self> {
        let text = std::str::from_utf8(rec.as_slice()).ok()?;
        for i in 0..rec.len() {
            text.get(rec.range(i)?)?;
        }
        Some(Self { text, rec })
    }

    /// Field `i` (every column the plan reads exists in every row: the
    /// reader refuses rows of another width).
    fn get(&self, i: usize) -> &'r str {
        self.rec
            .range(i)
            .and_then(|r| self.text.get(r))
            .unwrap_or_default()
    }
}

/// What binding a row of one role reads, resolved to column indices once.
struct Plan<'a> {
    event_id: &'a str,
    role: &'a str,
    token: usize,
    name: usize,
    title: Option<usize>,
    scenarios: Vec<ScenarioPlan<'a>>,
}

struct ScenarioPlan<'a> {
    def: &'a ScenarioDef,
    show: Option<(usize, &'a str)>,
    attrs: Vec<(usize, &'a AttrRule)>,
    not_lock: Option<(usize, &'a NotLockRule)>,
    /// The scenarios whose use changes this one's `disabled`.
    affected_by: Vec<String>,
}

impl<'a> Plan<'a> {
    /// The plan of `rc`; every column [`needed_columns`] names is in `col`.
    fn new(config: &'a EventConfig, rc: &'a RoleConfig, col: &HashMap<&str, usize>) -> Self {
        let at = |name: &str| col.get(name).copied().unwrap_or(usize::MAX);
        let affected_by = affected_by(rc);
        Self {
            event_id: &config.event_id,
            role: &rc.name,
            token: at("token"),
            name: at("display_name"),
            title: col.get("title").copied(),
            scenarios: rc
                .scenarios
                .iter()
                .map(|d| ScenarioPlan {
                    def: d,
                    show: d
                        .show_rule
                        .as_ref()
                        .map(|r| (at(&r.row_name), r.value_match.as_str())),
                    attrs: d.attr.iter().map(|a| (at(&a.row_name), a)).collect(),
                    not_lock: d.not_lock_rule.as_ref().map(|r| (at(&r.row_name), r)),
                    affected_by: affected_by.get(&d.id).cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// Every problem of the row's scenarios (§3 step 2), in order.
    fn check(&self, f: &Fields<'_>, problem: &mut impl FnMut(String)) {
        for s in self.scenarios.iter().filter(|s| s.shown(f)) {
            for &(c, a) in &s.attrs {
                if let Err(m) = s.attr_value(a, f.get(c)) {
                    problem(m);
                }
            }
        }
    }

    /// The row's attendee (a checked row; otherwise its first problem).
    fn bind(&self, rec: &ByteRecord, now: i64) -> Result<ImportAttendee, String> {
        let f = Fields::new(rec).ok_or("row is not UTF-8")?;
        let mut scenarios = Vec::with_capacity(self.scenarios.len());
        for s in self.scenarios.iter().filter(|s| s.shown(&f)) {
            let d = s.def;
            let attr = s
                .attrs
                .iter()
                .map(|&(c, a)| Ok((a.attr_name.clone(), s.attr_value(a, f.get(c))?.to_owned())))
                .collect::<Result<Pairs, String>>()?;
            let disabled = match s.not_lock {
                None => d.lock_message.clone(),
                Some((c, r)) if f.get(c) == r.value_match => None,
                Some((_, r)) => Some(r.not_match_disable_message.clone()),
            };
            scenarios.push(ImportScenario {
                scenario: Scenario {
                    id: d.id.clone(),
                    order: d.order,
                    display_text: d.display_text.clone(),
                    available_time: d.available_time,
                    expire_time: d.expire_time,
                    used: None,
                    disabled,
                    countdown: d.countdown,
                    attr,
                },
                affected_by: s.affected_by.clone(),
            });
        }
        Ok(ImportAttendee {
            id: new_oid(now),
            event_id: self.event_id.to_owned(),
            token: f.get(self.token).to_owned(),
            user_id: f.get(self.name).to_owned(),
            attr: self
                .title
                .map(|c| vec![("title".to_owned(), f.get(c).to_owned())])
                .unwrap_or_default(),
            role: self.role.to_owned(),
            scenarios,
        })
    }
}

impl ScenarioPlan<'_> {
    /// Whether the row binds this scenario (`show_rule`).
    fn shown(&self, f: &Fields<'_>) -> bool {
        self.show.is_none_or(|(c, v)| f.get(c) == v)
    }

    /// The attribute value rule `a` gives the cell `v`: copied, or mapped.
    fn attr_value<'v>(&self, a: &'v AttrRule, v: &'v str) -> Result<&'v str, String> {
        match &a.value {
            None => Ok(v),
            Some(map) => map
                .iter()
                .find(|(k, _)| k == v)
                .map(|(_, mapped)| mapped.as_str())
                .ok_or_else(|| {
                    format!(
                        "column {:?}: value {v:?} is not mapped by {}.attr ({})",
                        a.row_name, self.def.id, a.attr_name
                    )
                }),
        }
    }
}

/// The line of the record starting at `byte` (one-off: a row's error while
/// binding; the check counts lines as it goes, [`LineCounter`]).
fn line_at(text: &[u8], byte: u64) -> u64 {
    LineCounter::new(text).at(byte)
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

    /// One problem that stops the check.
    fn fatal(mut self, line: u64, message: String) -> ImportError {
        self.push(line, message);
        self.into_error()
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
