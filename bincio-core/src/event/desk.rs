//! What the staff console reads: server-side attendee search, the
//! attendee CSV export with each scenario's state, and the import dry run.
//! Pure reads over the stores (nothing here writes).
//!
//! Search rule, the same for every backend (it runs here, over
//! `AttendeeStore::list_attendees`): the query, trimmed and ASCII-lower-
//! cased, matches an attendee when it is a substring of the display name
//! or of any attribute value (the attendee's and its scenarios', i.e. the
//! CSV's columns), or a prefix of the private token (at least 4
//! characters, so a short query never enumerates tokens).

use std::collections::HashSet;

use serde::Serialize;

use super::import::{check_csv, ImportError};
use super::model::Attendee;
use super::EventService;
use crate::error::{CoreError, CoreResult};
use crate::store::ImportRows;

/// Most attendees a search page lists.
pub const MAX_SEARCH_PAGE: usize = 200;

/// A page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Matches in all.
    pub total: usize,
    /// This page's matches, in role then import order.
    pub attendees: Vec<Attendee>,
}

/// Most scans one offline batch may carry.
pub const MAX_SCAN_BATCH: usize = 500;

/// A scan made by a desk, perhaps while offline, sent later.
#[derive(Debug, Clone)]
pub struct OfflineScan {
    pub token: String,
    pub scenario: String,
    /// The scan's id: the same nonce again answers its first outcome.
    pub nonce: Option<String>,
}

/// The outcome of one scan of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanOutcome {
    pub nonce: Option<String>,
    pub ok: bool,
    /// `ok`, or the refusal in CCIP's words.
    pub message: String,
}

/// What an import would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPreview {
    /// Rows in the file.
    pub rows: usize,
    /// Rows whose token is new.
    pub new: usize,
    /// Rows that would refresh an existing attendee.
    pub existing: usize,
}

/// The text a query is looked for in: the display name and every
/// attribute value (the attendee's and its scenarios'), ASCII-lowercased,
/// one per line. A store may keep it beside the attendee (SQLite does) so
/// a search needs no decoding; it changes only at import.
pub fn search_text(a: &Attendee) -> String {
    let mut out = a.user_id.to_ascii_lowercase();
    for (_, v) in a
        .attr
        .iter()
        .chain(a.scenarios.iter().flat_map(|s| s.attr.iter()))
    {
        out.push('\n');
        out.push_str(&v.to_ascii_lowercase());
    }
    out
}

/// A query as matching uses it: trimmed, ASCII-lowercased, without control
/// characters (so it never spans two lines of [`search_text`]).
pub fn normalise_query(q: &str) -> String {
    q.trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether `a` matches the normalised query `q` ([`normalise_query`]): a
/// substring of its [`search_text`], or — from 4 characters on — a prefix
/// of its token.
pub fn matches(a: &Attendee, q: &str) -> bool {
    q.is_empty()
        || search_text(a).contains(q)
        || (q.len() >= 4 && a.token.to_ascii_lowercase().starts_with(q))
}

/// One CSV field: quoted when it holds a comma, quote or line break, and
/// with a leading `=`, `+`, `-` or `@` defused (a spreadsheet would run it
/// as a formula).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl EventService {
    fn roles_or(&self, role: Option<&str>) -> CoreResult<Vec<String>> {
        match role {
            Some(r) if !r.is_empty() => {
                if self.config().role(r).is_none() {
                    return Err(CoreError::invalid(format!("unknown role {r:?}")));
                }
                Ok(vec![r.to_owned()])
            }
            _ => Ok(self.roles()),
        }
    }

    /// Attendees matching `query` (see the module doc), in `role` or every
    /// role, page `page` (0-based) of `per_page` (≤ 200).
    #[tracing::instrument(level = "debug", skip_all, fields(role = ?role))]
    pub async fn search(
        &self,
        query: &str,
        role: Option<&str>,
        page: usize,
        per_page: usize,
    ) -> CoreResult<SearchPage> {
        let q = normalise_query(query);
        if q.len() > 200 {
            return Err(CoreError::invalid("query: at most 200 characters"));
        }
        let per_page = per_page.clamp(1, MAX_SEARCH_PAGE);
        let roles = self.roles_or(role)?;
        let (attendees, total) = self
            .attendee_store()
            .search_attendees(&roles, &q, page.saturating_mul(per_page), per_page)
            .await?;
        Ok(SearchPage { total, attendees })
    }

    /// Attendees of `role` (or every role) as CSV: token prefix (never the
    /// whole private token), display name, role, first use, then one column
    /// per scenario of those roles: `used <RFC 3339>`, `disabled: <why>`
    /// or empty.
    pub async fn export_csv(&self, role: Option<&str>) -> CoreResult<String> {
        let roles = self.roles_or(role)?;
        let mut scenarios: Vec<String> = Vec::new();
        for r in &roles {
            for s in self.scenarios(Some(r))? {
                if !scenarios.contains(&s) {
                    scenarios.push(s);
                }
            }
        }
        let time = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default()
        };
        let mut out = String::from("token_prefix,display_name,role,first_use");
        for s in &scenarios {
            out.push(',');
            out.push_str(&csv_field(s));
        }
        out.push('\n');
        for r in &roles {
            for a in self.attendee_store().list_attendees(r).await? {
                let prefix: String = a.token.chars().take(6).collect();
                out.push_str(&format!(
                    "{},{},{},{}",
                    csv_field(&prefix),
                    csv_field(&a.user_id),
                    csv_field(&a.role),
                    a.first_use.map(time).unwrap_or_default()
                ));
                for id in &scenarios {
                    out.push(',');
                    let cell = match a.scenario(id) {
                        Some(s) if s.used.is_some() => {
                            format!("used {}", time(s.used.unwrap_or(0)))
                        }
                        Some(s) => s
                            .disabled
                            .as_ref()
                            .map(|d| format!("disabled: {d}"))
                            .unwrap_or_default(),
                        None => String::new(),
                    };
                    out.push_str(&csv_field(&cell));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// Apply a desk's batch of scans in order, as `actor`, each one as
    /// [`EventService::staff_use`] does (so a scan already applied answers
    /// its first outcome): one outcome per scan. At most
    /// [`MAX_SCAN_BATCH`]; a store failure fails the whole batch, which the
    /// desk then sends again (safe: the nonces).
    pub async fn staff_scans(
        &self,
        scans: Vec<OfflineScan>,
        actor: &str,
    ) -> CoreResult<Vec<ScanOutcome>> {
        if scans.len() > MAX_SCAN_BATCH {
            return Err(CoreError::invalid(format!(
                "at most {MAX_SCAN_BATCH} scans at once"
            )));
        }
        let mut out = Vec::with_capacity(scans.len());
        for s in scans {
            let r = self
                .staff_use(Some(&s.token), &s.scenario, actor, s.nonce.as_deref())
                .await;
            let (ok, message) = match r {
                Ok(_) => (true, "ok".to_owned()),
                Err(CoreError::Invalid(m)) => (false, m),
                Err(e) => return Err(e),
            };
            out.push(ScanOutcome {
                nonce: s.nonce,
                ok,
                message,
            });
        }
        Ok(out)
    }

    /// The announcements `role` sees, newest first (the console's list).
    pub async fn announcements_for_role(
        &self,
        role: &str,
    ) -> CoreResult<Vec<super::model::Announcement>> {
        self.roles_or(Some(role))?;
        Ok(self.attendee_store().announcements(role).await?)
    }

    /// Check an import without writing: the file's problems by line (the
    /// import's own validation), or what it would do.
    pub async fn import_preview(
        &self,
        role: &str,
        csv: &[u8],
    ) -> CoreResult<Result<ImportPreview, ImportError>> {
        let checked = match check_csv(self.config(), role, csv, 0) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let mut known: HashSet<String> = HashSet::new();
        for r in self.roles() {
            for a in self.attendee_store().list_attendees(&r).await? {
                known.insert(a.token);
            }
        }
        let mut existing = 0;
        for row in checked.rows() {
            if known.contains(&row?.token) {
                existing += 1;
            }
        }
        let rows = checked.len();
        Ok(Ok(ImportPreview {
            rows,
            new: rows - existing,
            existing,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
