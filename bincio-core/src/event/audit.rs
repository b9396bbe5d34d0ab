//! The event audit log: who did what to which attendee, when, with what
//! result — every scenario use (by the attendee or by staff, refusals
//! included) and every undo, every booth delivery of a puzzle piece (a
//! refused one included), revoke and coupon, every import and every
//! announcement — written by the store **in the same atomic step** as the
//! change it records, so a log entry exists exactly when its change does
//! (a refusal the store decides is logged alone; a request refused before
//! it reaches the store — an unknown token, an invalid CSV or announcement
//! — changes nothing and is not logged, except a use of an unknown token).
//!
//! It also makes staff scans idempotent: a use may carry a client `nonce`
//! naming one scan of one attendee; the store keeps it with the use's
//! entry, and a second use of that attendee with the same nonce answers
//! the first outcome without a second effect — a retry after a dropped
//! connection is safe, and scans made offline can be sent again. (A scan
//! of an unknown token is refused, and logged, each time it is sent.)
//!
//! And it makes a use reversible exactly: the use's entry records the
//! state before and after of every scenario the use changed (the used one
//! and its related effects). [`apply_undo`] puts the *before* back only
//! when every one of them is still in its *after* state and the use
//! delivered no puzzle pieces; otherwise it refuses and says why.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::{Announcement, Attendee, Scenario};
use super::rules::{UseRefusal, UseRequest};
use super::service::msg;
use crate::store::{DeliverOutcome, ImportCounts, RevokeOutcome};

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A scenario use (by the attendee or by staff), or its refusal.
    Use,
    /// An undo of a use, or its refusal.
    Undo,
    /// A puzzle piece delivered by a booth, or its refusal (the same
    /// deliverer twice).
    Deliver,
    /// A puzzle bucket revoked (its pieces out of circulation), or not
    /// (no bucket, already revoked).
    Revoke,
    /// A bucket's coupon used, or not (no bucket).
    Coupon,
    /// An attendee import (one entry per committed batch).
    Import,
    /// An announcement posted.
    Announcement,
}

impl AuditKind {
    /// Every kind, in the order above.
    pub const ALL: [AuditKind; 7] = [
        Self::Use,
        Self::Undo,
        Self::Deliver,
        Self::Revoke,
        Self::Coupon,
        Self::Import,
        Self::Announcement,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Use => "use",
            Self::Undo => "undo",
            Self::Deliver => "deliver",
            Self::Revoke => "revoke",
            Self::Coupon => "coupon",
            Self::Import => "import",
            Self::Announcement => "announcement",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 24-hex, time-ordered ([`super::oid::new_oid`]); the log's order.
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    pub kind: AuditKind,
    /// Who: `attendee`, `staff-query` (the CCIP flag, unauthenticated; also
    /// staff actions whose caller names no one), `staff:<handle>`,
    /// `staff-key`, `cli`, `deliverer:<name>` (a booth delivery).
    pub actor: String,
    /// The attendee concerned (`None` for an unknown token, an import, an
    /// announcement).
    pub attendee_id: Option<String>,
    /// The attendee's role; an import's role.
    pub role: Option<String>,
    /// Uses and undos.
    pub scenario: Option<String>,
    /// Whether the change happened.
    pub ok: bool,
    /// `ok`, or the refusal in words.
    pub result: String,
    /// Why (undo).
    pub reason: Option<String>,
    /// The client's nonce (uses), unique per attendee.
    pub nonce: Option<String>,
    /// The undo that reversed this use, if any.
    pub undone_by: Option<String>,
    /// For a successful use: `{"changes": [{scenario, before, after}],
    /// "pieces": n}`; for an undo: `{"use": id}`; for a delivery:
    /// `{"piece": name | null}`; for a revoke: `{"pieces": n}` (taken out
    /// of circulation); for an import: `{"role", "inserted", "updated"}`;
    /// for an announcement: `{"id", "role": [..]}`.
    pub detail: Value,
}

/// Who acts and how, for a use or an undo the store records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    /// The entry's id, made by the caller (so a retry of the same call
    /// can be recognised in logs).
    pub id: String,
    pub actor: String,
    pub nonce: Option<String>,
}

/// Who does an action the store logs with its change (a delivery, a
/// revoke, a coupon, an import, an announcement), when, and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDraft {
    /// The entry's id ([`super::oid::new_oid`]).
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    /// The attendee concerned, if any.
    pub attendee_id: Option<String>,
    /// The attendee's role, or an import's.
    pub role: Option<String>,
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub attendee_id: Option<String>,
    pub actor: Option<String>,
    pub kind: Option<AuditKind>,
    /// `at >= since`.
    pub since: Option<i64>,
    /// `at < until`.
    pub until: Option<i64>,
    /// Entries strictly older than this id (paging cursor).
    pub before: Option<String>,
    /// Page size (capped at 1000 by stores).
    pub limit: usize,
}

/// An undo to apply.
#[derive(Debug, Clone)]
pub struct UndoRequest {
    pub token: String,
    pub scenario_id: String,
    pub now: i64,
    pub reason: String,
    pub audit: AuditDraft,
}

/// Why an undo was refused (nothing changed; the refusal is logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoRefusal {
    UnknownToken,
    UnknownScenario,
    /// The scenario is not used.
    NotUsed,
    /// Used, but no logged use to reverse (used before the log existed,
    /// or already undone and used again outside it).
    NoRecord,
    /// The use delivered puzzle pieces; revoke them instead.
    PiecesDelivered,
    /// This scenario changed after the use (by another use, an import …).
    ChangedSince(String),
}

impl UndoRefusal {
    /// The refusal in words.
    pub fn message(&self) -> String {
        match self {
            Self::UnknownToken => "invalid token".into(),
            Self::UnknownScenario => "invalid scenario_id".into(),
            Self::NotUsed => "not used: nothing to undo".into(),
            Self::NoRecord => "no logged use to undo (used before the audit log)".into(),
            Self::PiecesDelivered => {
                "this use delivered puzzle pieces: it cannot be undone exactly".into()
            }
            Self::ChangedSince(s) => {
                format!("scenario {s} changed after the use: it cannot be undone exactly")
            }
        }
    }
}

fn state(s: &Scenario) -> Value {
    json!({"used": s.used, "disabled": s.disabled})
}

/// The `detail` of a successful use: every scenario whose state differs
/// between `before` and `after`, and how many pieces it delivered.
pub fn use_detail(before: &Attendee, after: &Attendee, pieces: usize) -> Value {
    let changes: Vec<Value> = after
        .scenarios
        .iter()
        .filter_map(|a| {
            let b = before.scenario(&a.id)?;
            (b.used != a.used || b.disabled != a.disabled)
                .then(|| json!({"scenario": a.id, "before": state(b), "after": state(a)}))
        })
        .collect();
    json!({"changes": changes, "pieces": pieces})
}

/// Reverse the use recorded in `detail` on `att` (see the module doc).
pub fn apply_undo(att: &mut Attendee, detail: &Value) -> Result<(), UndoRefusal> {
    if detail.get("pieces").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err(UndoRefusal::PiecesDelivered);
    }
    let changes = detail
        .get("changes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let parse = |v: &Value| -> (Option<i64>, Option<String>) {
        (
            v.get("used").and_then(Value::as_i64),
            v.get("disabled").and_then(Value::as_str).map(str::to_owned),
        )
    };
    for c in &changes {
        let id = c.get("scenario").and_then(Value::as_str).unwrap_or("");
        let (used, disabled) = parse(c.get("after").unwrap_or(&Value::Null));
        match att.scenario(id) {
            Some(s) if s.used == used && s.disabled == disabled => {}
            _ => return Err(UndoRefusal::ChangedSince(id.to_owned())),
        }
    }
    for c in &changes {
        let id = c.get("scenario").and_then(Value::as_str).unwrap_or("");
        let (used, disabled) = parse(c.get("before").unwrap_or(&Value::Null));
        if let Some(s) = att.scenario_mut(id) {
            s.used = used;
            s.disabled = disabled;
        }
    }
    Ok(())
}

/// The answer to a use whose nonce the log already holds as `first`:
/// that use's outcome again — the attendee as it is now when it succeeded,
/// the same refusal when it did not — so a retried scan gets the answer
/// the lost one had. `NonceReused` when the nonce was for another attendee
/// or scenario.
pub fn replay(
    first: &AuditEntry,
    current: Option<Attendee>,
    req: &UseRequest,
) -> Result<Attendee, UseRefusal> {
    let same_scan = first.kind == AuditKind::Use
        && first.scenario.as_deref() == Some(req.scenario_id.as_str())
        && first.attendee_id.as_deref() == current.as_ref().map(|a| a.id.as_str());
    if !same_scan {
        return Err(UseRefusal::NonceReused);
    }
    if first.ok {
        current.ok_or(UseRefusal::UnknownToken)
    } else {
        Err(UseRefusal::from_message(&first.result).unwrap_or(UseRefusal::AlreadyUsed))
    }
}

/// Decide an undo of `scenario` on `att` (changed in place when it
/// succeeds) given the newest logged use not yet undone.
pub fn decide_undo(
    att: Option<&mut Attendee>,
    scenario: &str,
    last_use: Option<&AuditEntry>,
) -> Result<(), UndoRefusal> {
    let att = att.ok_or(UndoRefusal::UnknownToken)?;
    let sc = att.scenario(scenario).ok_or(UndoRefusal::UnknownScenario)?;
    if sc.used.is_none() {
        return Err(UndoRefusal::NotUsed);
    }
    let u = last_use.ok_or(UndoRefusal::NoRecord)?;
    apply_undo(att, &u.detail)
}

/// A use's entry (`ok`: the change happened).
pub fn use_entry(
    draft: &AuditDraft,
    now: i64,
    attendee: Option<&Attendee>,
    scenario: &str,
    outcome: Result<Value, &str>,
) -> AuditEntry {
    let (ok, result, detail) = match outcome {
        Ok(d) => (true, "ok".to_owned(), d),
        Err(m) => (false, m.to_owned(), json!({})),
    };
    AuditEntry {
        id: draft.id.clone(),
        at: now,
        kind: AuditKind::Use,
        actor: draft.actor.clone(),
        attendee_id: attendee.map(|a| a.id.clone()),
        role: attendee.map(|a| a.role.clone()),
        scenario: Some(scenario.to_owned()),
        ok,
        result,
        reason: None,
        nonce: draft.nonce.clone(),
        undone_by: None,
        detail,
    }
}

/// An undo's entry.
pub fn undo_entry(
    req: &UndoRequest,
    attendee: Option<&Attendee>,
    use_id: Option<&str>,
    refusal: Option<&UndoRefusal>,
) -> AuditEntry {
    AuditEntry {
        id: req.audit.id.clone(),
        at: req.now,
        kind: AuditKind::Undo,
        actor: req.audit.actor.clone(),
        attendee_id: attendee.map(|a| a.id.clone()),
        role: attendee.map(|a| a.role.clone()),
        scenario: Some(req.scenario_id.clone()),
        ok: refusal.is_none(),
        result: refusal.map_or_else(|| "ok".to_owned(), UndoRefusal::message),
        reason: Some(req.reason.clone()),
        nonce: None,
        undone_by: None,
        detail: json!({"use": use_id}),
    }
}

fn action_entry(d: &ActionDraft, kind: AuditKind, outcome: Result<Value, String>) -> AuditEntry {
    let (ok, result, detail) = match outcome {
        Ok(v) => (true, "ok".to_owned(), v),
        Err(m) => (false, m, json!({})),
    };
    AuditEntry {
        id: d.id.clone(),
        at: d.at,
        kind,
        actor: d.actor.clone(),
        attendee_id: d.attendee_id.clone(),
        role: d.role.clone(),
        scenario: None,
        ok,
        result,
        reason: None,
        nonce: None,
        undone_by: None,
        detail,
    }
}

/// A delivery's entry: `ok` with `{"piece": …}`, or the refusal
/// (`Already take from this deliverer`, `{"piece": null}`).
pub fn deliver_entry(d: &ActionDraft, piece: Option<&str>, outcome: DeliverOutcome) -> AuditEntry {
    match outcome {
        DeliverOutcome::Delivered => {
            action_entry(d, AuditKind::Deliver, Ok(json!({"piece": piece})))
        }
        DeliverOutcome::AlreadyFromDeliverer => AuditEntry {
            detail: json!({"piece": null}),
            ..action_entry(d, AuditKind::Deliver, Err(msg::ALREADY_TAKEN.to_owned()))
        },
    }
}

/// A revoke's entry: `ok` with the number of pieces taken out of
/// circulation, or why nothing changed (no bucket, already revoked).
pub fn revoke_entry(d: &ActionDraft, outcome: RevokeOutcome, pieces: usize) -> AuditEntry {
    let outcome = match outcome {
        RevokeOutcome::Revoked => Ok(json!({"pieces": pieces})),
        RevokeOutcome::NoBucket => Err(msg::NO_BUCKET.to_owned()),
        RevokeOutcome::AlreadyRevoked => Err("already revoked: nothing changed".to_owned()),
    };
    action_entry(d, AuditKind::Revoke, outcome)
}

/// A coupon's entry: `ok`, or no bucket.
pub fn coupon_entry(d: &ActionDraft, found: bool) -> AuditEntry {
    let outcome = if found {
        Ok(json!({}))
    } else {
        Err(msg::NO_BUCKET.to_owned())
    };
    action_entry(d, AuditKind::Coupon, outcome)
}

/// An import's entry (written only with the import's commit).
pub fn import_entry(d: &ActionDraft, counts: ImportCounts) -> AuditEntry {
    let detail = json!({"role": d.role, "inserted": counts.inserted, "updated": counts.updated});
    action_entry(d, AuditKind::Import, Ok(detail))
}

/// An announcement's entry.
pub fn announcement_entry(d: &ActionDraft, a: &Announcement) -> AuditEntry {
    let detail = json!({"id": a.id, "role": a.role});
    action_entry(d, AuditKind::Announcement, Ok(detail))
}

/// Entries as CSV (`id,at,kind,actor,attendee_id,role,scenario,ok,result,
/// reason,nonce,undone_by`; `at` in RFC 3339), for the console's and the
/// CLI's exports.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    use super::desk::csv_field;
    let mut out = String::from(
        "id,at,kind,actor,attendee_id,role,scenario,ok,result,reason,nonce,undone_by\n",
    );
    for e in entries {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default();
        let o = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            e.id,
            at,
            e.kind.as_str(),
            csv_field(&e.actor),
            o(&e.attendee_id),
            o(&e.role),
            o(&e.scenario),
            e.ok,
            csv_field(&e.result),
            o(&e.reason),
            o(&e.nonce),
            o(&e.undone_by),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(used: Option<i64>, other: (Option<i64>, Option<&str>)) -> Attendee {
        let sc = |id: &str, used: Option<i64>, disabled: Option<&str>| Scenario {
            id: id.into(),
            order: 0,
            display_text: vec![],
            available_time: 0,
            expire_time: i64::MAX,
            used,
            disabled: disabled.map(str::to_owned),
            countdown: 0,
            attr: vec![],
        };
        Attendee {
            id: "a".into(),
            event_id: "e".into(),
            token: "t".into(),
            user_id: "u".into(),
            attr: vec![],
            first_use: None,
            role: "audience".into(),
            scenarios: vec![sc("day1", used, None), sc("lunch", other.0, other.1)],
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(AuditKind::parse("delete"), None);
    }

    #[test]
    fn action_entries() {
        let d = ActionDraft {
            id: "e1".into(),
            at: 7,
            actor: "deliverer:Booth".into(),
            attendee_id: Some("a".into()),
            role: Some("audience".into()),
        };
        let e = deliver_entry(&d, Some("p1"), DeliverOutcome::Delivered);
        assert_eq!((e.kind, e.ok, e.at), (AuditKind::Deliver, true, 7));
        assert_eq!(e.detail, json!({"piece": "p1"}));
        let e = deliver_entry(&d, Some("p1"), DeliverOutcome::AlreadyFromDeliverer);
        assert_eq!((e.ok, e.result.as_str()), (false, msg::ALREADY_TAKEN));
        assert_eq!(e.detail, json!({"piece": null}));
        let e = revoke_entry(&d, RevokeOutcome::Revoked, 3);
        assert_eq!(e.detail, json!({"pieces": 3}));
        assert!(!revoke_entry(&d, RevokeOutcome::AlreadyRevoked, 0).ok);
        assert_eq!(coupon_entry(&d, false).result, msg::NO_BUCKET);
        let e = import_entry(
            &d,
            ImportCounts {
                inserted: 2,
                updated: 1,
            },
        );
        assert_eq!(
            e.detail,
            json!({"role": "audience", "inserted": 2, "updated": 1})
        );
    }

    #[test]
    fn undo_restores_what_the_use_changed() {
        let before = att(None, (None, Some("locked")));
        let after = att(Some(10), (None, None));
        let d = use_detail(&before, &after, 0);
        assert_eq!(d["changes"].as_array().unwrap().len(), 2);
        let mut now = after.clone();
        apply_undo(&mut now, &d).unwrap();
        assert_eq!(now, before);
        // Changed since: refused, nothing touched.
        let mut moved = att(Some(10), (Some(20), None));
        assert_eq!(
            apply_undo(&mut moved, &d),
            Err(UndoRefusal::ChangedSince("lunch".into()))
        );
        assert_eq!(moved, att(Some(10), (Some(20), None)));
        let d = use_detail(&before, &after, 2);
        assert_eq!(
            apply_undo(&mut after.clone(), &d),
            Err(UndoRefusal::PiecesDelivered)
        );
    }
}
