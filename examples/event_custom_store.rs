//! Run the event (CCIP check-in) service over a store of your own.
//!
//! [`MemoryEventStore`] is an in-memory implementation of the two event
//! store traits, `AttendeeStore` and `PuzzleStore`, written here from their
//! trait docs (`bincio-core/src/store/attendee.rs`, `puzzle.rs`). Every
//! race-prone method is one step under one lock, so the atomicity contract
//! holds: a use of a scenario stores its puzzle pieces (bucket, pieces,
//! counters) in the same step, `mark_first_use` creates the bucket in the
//! same step, an import is all rows or none, and every logged action
//! (use, undo, delivery, revoke, coupon, import, announcement) appends its
//! audit entry under the lock that makes its change.
//!
//! It passes the event cases of the store conformance suite:
//! `cargo test --example event_custom_store` runs them (the `tests` module
//! at the bottom expands `conformance_tests!(event: …)`), and so does
//! `cargo test --workspace --all-targets`.
//!
//! `main` loads an event directory (default: the repository's fixture
//! event), imports its attendees through `EventService`, and checks one in,
//! with the clock set inside the fixture's check-in window, then prints
//! the audit log.
//!
//! Run: `cargo run --example event_custom_store [EVENT_DIR]`

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bincio::core::event::audit::{
    self, ActionDraft, AuditEntry, AuditFilter, AuditKind, UndoRefusal, UndoRequest,
};
use bincio::core::event::model::{
    Announcement, Attendee, DelivererStamp, PuzzleBucket, PuzzleCounter, TOTAL,
};
use bincio::core::event::oid::new_oid;
use bincio::core::event::rules::{self, ImportAttendee, UseRefusal, UseRequest};
use bincio::core::event::{EventConfig, EventService};
use bincio::core::store::{
    AttendeeStore, DeliverOutcome, Delivery, ImportCounts, PuzzleStore, RevokeOutcome, StoreError,
    StoreResult,
};
use bincio::core::{Clock, ManualClock};

/// Everything the event needs, behind one lock.
#[derive(Default)]
struct State {
    /// Attendees in insertion order.
    attendees: Vec<Attendee>,
    /// Announcements in insertion order.
    announcements: Vec<Announcement>,
    /// The audit log, oldest first.
    audit: Vec<AuditEntry>,
    /// Puzzle counters in creation order.
    counters: Vec<PuzzleCounter>,
    /// Puzzle buckets by public token.
    buckets: BTreeMap<String, PuzzleBucket>,
}

impl State {
    fn attendee_mut(&mut self, token: &str) -> Option<&mut Attendee> {
        self.attendees.iter_mut().find(|a| a.token == token)
    }

    /// The bucket of `public_token`, created empty when missing.
    fn bucket_mut(&mut self, attendee_id: &str, public_token: &str, now: i64) -> &mut PuzzleBucket {
        self.buckets
            .entry(public_token.to_owned())
            .or_insert_with(|| PuzzleBucket {
                id: new_oid(now),
                attendee: attendee_id.to_owned(),
                public_token: public_token.to_owned(),
                puzzle: Vec::new(),
                deliverer: Vec::new(),
                valid: None,
                coupon: None,
            })
    }

    /// Add to a counter, creating it when missing.
    fn bump(&mut self, puzzle: &str, quantity: i64, currency: i64, now: i64) {
        match self.counters.iter_mut().find(|c| c.puzzle == puzzle) {
            Some(c) => {
                c.quantity += quantity;
                c.currency += currency;
            }
            None => self.counters.push(PuzzleCounter {
                id: new_oid(now),
                puzzle: puzzle.to_owned(),
                quantity,
                currency,
            }),
        }
    }

    /// Append pieces to a bucket and count them (the piece's and `total`'s
    /// `quantity` and `currency`).
    fn add_pieces(&mut self, attendee_id: &str, public_token: &str, pieces: &[String], now: i64) {
        self.bucket_mut(attendee_id, public_token, now)
            .puzzle
            .extend(pieces.iter().cloned());
        for p in pieces {
            self.bump(p, 1, 1, now);
            self.bump(TOTAL, 1, 1, now);
        }
    }
}

/// An in-memory event store: one process, nothing persisted.
#[derive(Clone, Default)]
pub struct MemoryEventStore {
    state: Arc<Mutex<State>>,
}

impl MemoryEventStore {
    fn lock(&self) -> StoreResult<MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory store poisoned".into()))
    }
}

#[async_trait::async_trait]
impl AttendeeStore for MemoryEventStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    async fn import_attendees_logged(
        &self,
        batch: Vec<ImportAttendee>,
        audit: Option<ActionDraft>,
    ) -> StoreResult<ImportCounts> {
        let mut s = self.lock()?;
        let mut counts = ImportCounts::default();
        for row in &batch {
            match s.attendees.iter_mut().find(|a| a.token == row.token) {
                Some(a) => {
                    *a = rules::merge_import(Some(a), row);
                    counts.updated += 1;
                }
                None => {
                    s.attendees.push(rules::merge_import(None, row));
                    counts.inserted += 1;
                }
            }
        }
        if let Some(d) = &audit {
            s.audit.push(audit::import_entry(d, counts));
        }
        Ok(counts)
    }

    async fn get_attendee(&self, token: &str) -> StoreResult<Option<Attendee>> {
        Ok(self.lock()?.attendee_mut(token).map(|a| a.clone()))
    }

    async fn get_attendee_by_id(&self, id: &str) -> StoreResult<Option<Attendee>> {
        Ok(self.lock()?.attendees.iter().find(|a| a.id == id).cloned())
    }

    async fn mark_first_use(&self, token: &str, now: i64) -> StoreResult<Option<(Attendee, bool)>> {
        let mut s = self.lock()?;
        let Some(a) = s.attendee_mut(token) else {
            return Ok(None);
        };
        if a.has_first_use() {
            return Ok(Some((a.clone(), false)));
        }
        a.first_use = Some(now);
        let a = a.clone();
        s.bucket_mut(&a.id, &a.public_token(), now);
        Ok(Some((a, true)))
    }

    async fn use_scenario(&self, req: UseRequest) -> StoreResult<Result<Attendee, UseRefusal>> {
        // One lock held for the whole step: the use, its pieces and its log
        // entry are one outcome, as the trait asks.
        let mut s = self.lock()?;
        let found = s.attendee_mut(&req.token).map(|a| a.clone());
        // This attendee's nonce already logged: that first outcome.
        if let (Some(nonce), Some(a)) =
            (req.audit.as_ref().and_then(|d| d.nonce.as_deref()), &found)
        {
            let mine = |e: &&AuditEntry| {
                e.nonce.as_deref() == Some(nonce) && e.attendee_id.as_deref() == Some(a.id.as_str())
            };
            if let Some(first) = s.audit.iter().find(mine) {
                return Ok(audit::replay(first, found.clone(), &req));
            }
        }
        let Some(before) = found else {
            if let Some(d) = &req.audit {
                let e = audit::use_entry(d, req.now, None, &req.scenario_id, Err("invalid token"));
                s.audit.push(e);
            }
            return Ok(Err(UseRefusal::UnknownToken));
        };
        let mut a = before.clone();
        if let Err(r) = rules::apply_use(&mut a, &req) {
            if let Some(d) = &req.audit {
                let e = audit::use_entry(
                    d,
                    req.now,
                    Some(&before),
                    &req.scenario_id,
                    Err(r.message()),
                );
                s.audit.push(e);
            }
            return Ok(Err(r));
        }
        if let Some(stored) = s.attendee_mut(&req.token) {
            *stored = a.clone();
        }
        // Delivering (even an empty list) creates the bucket.
        let pieces = req.pieces_for(&a.role);
        if let Some(p) = pieces {
            s.add_pieces(&a.id, &a.public_token(), p, req.now);
        }
        if let Some(d) = &req.audit {
            let detail = audit::use_detail(&before, &a, pieces.map_or(0, <[String]>::len));
            s.audit.push(audit::use_entry(
                d,
                req.now,
                Some(&a),
                &req.scenario_id,
                Ok(detail),
            ));
        }
        Ok(Ok(a))
    }

    async fn undo_use(&self, req: UndoRequest) -> StoreResult<Result<Attendee, UndoRefusal>> {
        let mut s = self.lock()?;
        let found = s.attendee_mut(&req.token).map(|a| a.clone());
        let last = found.as_ref().and_then(|a| {
            s.audit
                .iter()
                .rev()
                .find(|e| {
                    e.kind == AuditKind::Use
                        && e.ok
                        && e.undone_by.is_none()
                        && e.attendee_id.as_deref() == Some(a.id.as_str())
                        && e.scenario.as_deref() == Some(req.scenario_id.as_str())
                })
                .cloned()
        });
        let mut after = found.clone();
        let outcome = audit::decide_undo(after.as_mut(), &req.scenario_id, last.as_ref());
        let use_id = last.as_ref().map(|u| u.id.clone());
        let e = audit::undo_entry(
            &req,
            found.as_ref(),
            use_id.as_deref(),
            outcome.as_ref().err(),
        );
        s.audit.push(e);
        match (outcome, after) {
            (Ok(()), Some(a)) => {
                if let Some(stored) = s.attendee_mut(&req.token) {
                    *stored = a.clone();
                }
                if let Some(u) = s.audit.iter_mut().find(|e| Some(&e.id) == use_id.as_ref()) {
                    u.undone_by = Some(req.audit.id.clone());
                }
                Ok(Ok(a))
            }
            (Err(r), _) => Ok(Err(r)),
            (Ok(()), None) => Ok(Err(UndoRefusal::UnknownToken)),
        }
    }

    async fn list_audit(&self, f: AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let s = self.lock()?;
        let keep = |e: &&AuditEntry| {
            f.attendee_id
                .as_ref()
                .is_none_or(|v| e.attendee_id.as_ref() == Some(v))
                && f.actor.as_ref().is_none_or(|v| &e.actor == v)
                && f.kind.is_none_or(|k| e.kind == k)
                && f.since.is_none_or(|t| e.at >= t)
                && f.until.is_none_or(|t| e.at < t)
                && f.before.as_ref().is_none_or(|b| &e.id < b)
        };
        let mut out: Vec<AuditEntry> = s.audit.iter().filter(keep).cloned().collect();
        out.sort_by(|a, b| b.id.cmp(&a.id));
        out.truncate(f.limit.clamp(1, 1000));
        Ok(out)
    }

    async fn list_attendees(&self, role: &str) -> StoreResult<Vec<Attendee>> {
        let s = self.lock()?;
        Ok(s.attendees
            .iter()
            .filter(|a| a.role == role)
            .cloned()
            .collect())
    }

    async fn add_announcement_logged(
        &self,
        a: Announcement,
        audit: Option<ActionDraft>,
    ) -> StoreResult<()> {
        let mut s = self.lock()?;
        if let Some(d) = &audit {
            s.audit.push(audit::announcement_entry(d, &a));
        }
        s.announcements.push(a);
        Ok(())
    }

    async fn announcements(&self, role: &str) -> StoreResult<Vec<Announcement>> {
        let s = self.lock()?;
        Ok(s.announcements
            .iter()
            .rev()
            .filter(|a| a.role.iter().any(|r| r == role))
            .cloned()
            .collect())
    }
}

#[async_trait::async_trait]
impl PuzzleStore for MemoryEventStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    async fn ensure_counters(&self, pieces: &[String], now: i64) -> StoreResult<()> {
        let mut s = self.lock()?;
        for p in pieces.iter().map(String::as_str).chain([TOTAL]) {
            s.bump(p, 0, 0, now);
        }
        Ok(())
    }

    async fn counters(&self) -> StoreResult<Vec<PuzzleCounter>> {
        let mut out = self.lock()?.counters.clone();
        // Pieces in creation order, `total` last (a stable sort).
        out.sort_by_key(|c| c.puzzle == TOTAL);
        Ok(out)
    }

    async fn ensure_bucket(
        &self,
        attendee_id: &str,
        public_token: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.lock()?.bucket_mut(attendee_id, public_token, now);
        Ok(())
    }

    async fn bucket(&self, public_token: &str) -> StoreResult<Option<PuzzleBucket>> {
        Ok(self.lock()?.buckets.get(public_token).cloned())
    }

    async fn deliver_logged(
        &self,
        d: Delivery,
        audit: Option<ActionDraft>,
    ) -> StoreResult<DeliverOutcome> {
        let mut s = self.lock()?;
        let entry = |outcome| {
            audit
                .as_ref()
                .map(|a| audit::deliver_entry(a, d.piece.as_deref(), outcome))
        };
        let b = s.bucket_mut(&d.attendee_id, &d.public_token, d.now);
        if let Some(stamp) = &d.deliverer {
            if b.deliverer.iter().any(|x| x.deliverer == stamp.deliverer) {
                s.audit.extend(entry(DeliverOutcome::AlreadyFromDeliverer));
                return Ok(DeliverOutcome::AlreadyFromDeliverer);
            }
            b.deliverer.push(DelivererStamp::clone(stamp));
        }
        if let Some(p) = &d.piece {
            s.add_pieces(
                &d.attendee_id,
                &d.public_token,
                std::slice::from_ref(p),
                d.now,
            );
        }
        s.audit.extend(entry(DeliverOutcome::Delivered));
        Ok(DeliverOutcome::Delivered)
    }

    async fn revoke_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<RevokeOutcome> {
        let mut s = self.lock()?;
        let entry = |outcome, pieces| {
            audit
                .as_ref()
                .map(|a| audit::revoke_entry(a, outcome, pieces))
        };
        let Some(b) = s.buckets.get_mut(public_token) else {
            s.audit.extend(entry(RevokeOutcome::NoBucket, 0));
            return Ok(RevokeOutcome::NoBucket);
        };
        if b.valid.is_some() {
            s.audit.extend(entry(RevokeOutcome::AlreadyRevoked, 0));
            return Ok(RevokeOutcome::AlreadyRevoked);
        }
        b.valid = Some(now);
        b.coupon = Some(0);
        let held = b.puzzle.clone();
        for p in &held {
            s.bump(p, 0, -1, now);
        }
        if !held.is_empty() {
            s.bump(TOTAL, 0, -(held.len() as i64), now);
        }
        s.audit.extend(entry(RevokeOutcome::Revoked, held.len()));
        Ok(RevokeOutcome::Revoked)
    }

    async fn use_coupon_logged(
        &self,
        public_token: &str,
        now: i64,
        audit: Option<ActionDraft>,
    ) -> StoreResult<bool> {
        let mut s = self.lock()?;
        let found = match s.buckets.get_mut(public_token) {
            Some(b) => {
                b.coupon = Some(now);
                true
            }
            None => false,
        };
        if let Some(a) = &audit {
            s.audit.push(audit::coupon_entry(a, found));
        }
        Ok(found)
    }
}

/// `2030/05/01 09:00 +0800`: inside the fixture event's check-in window.
const FIXTURE_MORNING: i64 = 1_903_827_600;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/event"),
        std::path::PathBuf::from,
    );
    let config = EventConfig::load(&dir)?;
    let store = Arc::new(MemoryEventStore::default());
    let clock = Arc::new(ManualClock::at(FIXTURE_MORNING));
    let service = EventService::new(
        config,
        store.clone(),
        store.clone(),
        clock as Arc<dyn Clock>,
    );
    service.init().await?;

    let csv = std::fs::read(dir.join("attendees.csv"))?;
    let counts = service.import_csv_as("audience", &csv, "cli").await?;
    println!("imported {} attendees", counts.inserted);

    let first = store.list_attendees("audience").await?.remove(0);
    let a = service.status(Some(&first.token), false).await?;
    println!("{} first used at {:?}", a.user_id, a.first_use);
    let a = service
        .use_scenario(Some(&first.token), "checkin", false)
        .await?;
    let used: Vec<_> = a.scenarios.iter().filter(|s| s.used.is_some()).collect();
    println!(
        "{} used {:?}",
        a.user_id,
        used.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    let (_, bucket) = service.puzzle(Some(&a.public_token())).await?;
    println!("pieces: {:?}", bucket.puzzle);
    for c in service.puzzle_dashboard().await? {
        println!(
            "counter {}: quantity {}, currency {}",
            c.puzzle, c.quantity, c.currency
        );
    }
    let log = service
        .audit(AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        })
        .await?;
    for e in log.iter().rev() {
        println!(
            "audit: {} {} by {}: {}",
            e.kind.as_str(),
            e.detail,
            e.actor,
            e.result
        );
    }
    Ok(())
}

/// The event cases of the store conformance suite on [`MemoryEventStore`].
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bincio::store_sqlite::SqliteStore;
    use bincio_store_conformance::{Backend, Stores};

    use super::MemoryEventStore;

    /// A fresh memory store per case. `Stores` also names account and
    /// activity stores; the event cases never touch them, so they are a
    /// throw-away SQLite file.
    struct Memory;

    #[async_trait::async_trait]
    impl Backend for Memory {
        async fn fresh(&self) -> Stores {
            let dir = tempfile::tempdir().expect("temp dir");
            let unused =
                Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("sqlite"));
            let event = Arc::new(MemoryEventStore::default());
            Stores {
                users: unused.clone(),
                activities: unused.clone(),
                sources: unused.clone(),
                connections: unused,
                attendees: event.clone(),
                puzzles: event,
                archive: None,
                guard: Some(Arc::new(dir)),
            }
        }
    }

    bincio_store_conformance::conformance_tests!(event: Memory);
}
