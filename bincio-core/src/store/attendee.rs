//! `AttendeeStore`: event attendees with their bound scenarios, and
//! announcements.
//!
//! Layout contract (so MongoDB can use CCIP-Server's collections): one
//! record per attendee holding its scenarios (the `attendee` document with
//! its `scenario` map), one per announcement. Every race-prone step is one
//! method, atomic on its own:
//! * [`AttendeeStore::use_scenario`] — checks, related effects, marking
//!   used **and the puzzle pieces the use delivers** (bucket, pieces,
//!   counters) in one step (SQLite: one `BEGIN IMMEDIATE` transaction;
//!   MongoDB: one multi-document transaction);
//! * [`AttendeeStore::mark_first_use`] — a conditional set, with the puzzle
//!   bucket created in the same step;
//! * [`AttendeeStore::import_attendees`] — all rows or none, as seen by
//!   every reader;
//! * [`AttendeeStore::undo_use`] — the reversal, the undo's audit entry and
//!   the use marked undone.
//!
//! With [`UseRequest::audit`] set, `use_scenario` writes the use's audit
//! entry (refusals included) in its own step, and a nonce already logged
//! answers that first outcome again, writing nothing
//! ([`crate::event::audit`]). Likewise
//! [`AttendeeStore::import_attendees_logged`] and
//! [`AttendeeStore::add_announcement_logged`] write their entry in the
//! import's / announcement's own step (an import that fails leaves no
//! entry); the plain methods are these without an entry.
//!
//! Because each of these is one step, a process killed at any instant
//! leaves either the whole outcome or none of it: a check-in is never
//! stored without its pieces, and puzzle counters always equal what the
//! buckets hold.
//!
//! The transitions themselves are the pure functions of
//! [`crate::event::rules`], shared by every backend.

use super::StoreResult;
use crate::event::audit::{ActionDraft, AuditEntry, AuditFilter, UndoRefusal, UndoRequest};
use crate::event::model::{Announcement, Attendee, RoleStats};
use crate::event::rules::{self, ImportAttendee, UseRefusal, UseRequest};

/// The rows of an import, produced on demand so that an import of any
/// size holds a bounded number of bound rows at once (the CSV import's
/// [`crate::event::import::CheckedCsv`] binds each row as the store asks
/// for it). Tokens are distinct (the CSV check refuses duplicates).
pub trait ImportRows: Send + Sync {
    /// Every row, in order. Each call starts over and yields the same rows
    /// (a store that retries its transaction reads them again). An `Err`
    /// aborts the import: nothing is written.
    fn rows(&self) -> Box<dyn Iterator<Item = StoreResult<ImportAttendee>> + Send + '_>;
}

/// Rows already bound (small imports, tests): cloned at each pass.
impl ImportRows for Vec<ImportAttendee> {
    fn rows(&self) -> Box<dyn Iterator<Item = StoreResult<ImportAttendee>> + Send + '_> {
        Box::new(self.iter().cloned().map(Ok))
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    /// New attendees.
    pub inserted: u64,
    /// Existing attendees refreshed.
    pub updated: u64,
}

/// Storage of event attendees and announcements.
#[async_trait::async_trait]
pub trait AttendeeStore: Send + Sync + 'static {
    /// Name of the backend (for logs and `/healthz`).
    fn backend_name(&self) -> &'static str;

    /// Whether this store can keep the atomicity contract above on the
    /// server it talks to; an error says why not and what to do (MongoDB
    /// without multi-document transactions). Called once before serving.
    async fn check_event_ready(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Upsert every attendee of a validated import in one atomic step (all
    /// or nothing), keyed by token; each stored record becomes
    /// [`rules::merge_import`]`(existing, row)` (keeps id, `first_use`,
    /// `used`, use-set `disabled`). Unlogged.
    async fn import_attendees(&self, batch: Vec<ImportAttendee>) -> StoreResult<ImportCounts> {
        self.import_attendees_logged(batch, None).await
    }

    /// [`AttendeeStore::import_attendees`]; with `audit`, the import's
    /// entry ([`crate::event::audit::import_entry`], with the counts) in
    /// the same atomic step: the rows and the entry commit together or
    /// neither does.
    async fn import_attendees_logged(
        &self,
        batch: Vec<ImportAttendee>,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts>;

    /// [`AttendeeStore::import_attendees_logged`] of rows produced on
    /// demand: the same upserts, audit entry and all-or-nothing step, and
    /// an `Err` from the rows aborts it with nothing written. The default
    /// collects the rows and calls `import_attendees_logged`; SQLite and
    /// MongoDB write them as they come, a batch at a time, so memory does
    /// not grow with the import.
    async fn import_rows_logged(
        &self,
        rows: &dyn ImportRows,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        let batch = rows.rows().collect::<StoreResult<Vec<_>>>()?;
        self.import_attendees_logged(batch, audit).await
    }

    /// The attendee with private `token`.
    async fn get_attendee(&self, token: &str) -> StoreResult<Option<Attendee>>;

    /// The attendee with id `id`.
    async fn get_attendee_by_id(&self, id: &str) -> StoreResult<Option<Attendee>>;

    /// Set `first_use = now` when it is unset or `0` (conditional, so
    /// concurrent calls set it once) and, in the same atomic step, create
    /// the attendee's puzzle bucket when missing (CS's `PuzzleBucket.init`
    /// on first use). Returns the attendee afterwards and whether it was
    /// unset when this call ran; `None` for an unknown token.
    async fn mark_first_use(&self, token: &str, now: i64) -> StoreResult<Option<(Attendee, bool)>>;

    /// Use a scenario atomically: [`rules::apply_use`] on the stored
    /// attendee and write it back in one step, so of many concurrent uses
    /// exactly one succeeds; in the same step deliver
    /// [`UseRequest::pieces_for`] the attendee's role (bucket created when
    /// missing, pieces appended, each piece's and `total`'s `quantity` and
    /// `currency` incremented). Returns the attendee after the use, or why
    /// it was refused (nothing written).
    async fn use_scenario(&self, req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>>;

    /// Reverse the newest logged, not yet undone, successful use of the
    /// scenario by [`crate::event::audit::apply_undo`], in one atomic step
    /// with its audit entry (the refusal is logged too, alone), and mark
    /// the use as undone by it.
    async fn undo_use(&self, req: UndoRequest) -> StoreResult<Result<Attendee, UndoRefusal>>;

    /// Audit entries matching `filter`, newest first (by id).
    async fn list_audit(&self, filter: AuditFilter) -> StoreResult<Vec<AuditEntry>>;

    /// Attendees of `roles` (in that order, then insertion order) that
    /// [`crate::event::desk::matches`] the normalised query `q`: `skip`
    /// of them left out, at most `limit` returned, with how many match in
    /// all. The default reads every attendee of those roles; a backend may
    /// search in the database instead (same results).
    async fn search_attendees(
        &self,
        roles: &[String],
        q: &str,
        skip: usize,
        limit: usize,
    ) -> StoreResult<(Vec<Attendee>, usize)> {
        let mut total = 0;
        let mut out = Vec::new();
        for r in roles {
            for a in self.list_attendees(r).await? {
                if crate::event::desk::matches(&a, q) {
                    if total >= skip && out.len() < limit {
                        out.push(a);
                    }
                    total += 1;
                }
            }
        }
        Ok((out, total))
    }

    /// Attendees of `role`, in insertion order.
    async fn list_attendees(&self, role: &str) -> StoreResult<Vec<Attendee>>;

    /// Dashboard figures of `role` over `scenario_ids`. The default
    /// computes them from [`AttendeeStore::list_attendees`]; a backend may
    /// count in the database instead (same results).
    async fn role_stats(&self, role: &str, scenario_ids: &[String]) -> StoreResult<RoleStats> {
        let list = self.list_attendees(role).await?;
        Ok(rules::role_stats(role, scenario_ids, &list))
    }

    /// Store an announcement. Unlogged.
    async fn add_announcement(&self, a: Announcement) -> StoreResult<()> {
        self.add_announcement_logged(a, None).await
    }

    /// [`AttendeeStore::add_announcement`]; with `audit`, its entry
    /// ([`crate::event::audit::announcement_entry`]) in the same atomic
    /// step.
    async fn add_announcement_logged(
        &self,
        a: Announcement,
        audit: Option<ActionDraft>,
    ) -> StoreResult<()>;

    /// Announcements whose `role` contains `role`, newest first (by
    /// insertion, not by `datetime`, as CS).
    async fn announcements(&self, role: &str) -> StoreResult<Vec<Announcement>>;
}
