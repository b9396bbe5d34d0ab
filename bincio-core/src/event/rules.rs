//! Pure state transitions that a store applies *inside* its atomic step.
//!
//! The service decides everything that depends on configuration, the clock
//! and `StaffQuery` up front (into a [`UseRequest`] or an [`ImportAttendee`]);
//! the store then runs these functions on the current stored record within
//! one transaction (SQLite) or as one conditional single-document update
//! (MongoDB: read, apply, `replace`/`update` filtered on the fields read).
//! Writing the transitions once here keeps every backend's behaviour equal.

use std::collections::BTreeMap;

use super::model::{Attendee, Pairs, RoleStats, Scenario, ScenarioStats};

/// What using one scenario does to one related scenario (§1.4 step 6),
/// already resolved against `StaffQuery` and the clock by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedEffect {
    /// Target scenario id. A target the attendee is not bound to (hidden by
    /// `show_rule`) is skipped: there is nothing to unlock.
    pub target: String,
    /// Clear the target's `disabled`.
    pub unlock: bool,
    /// Set the target's `used` to now when unset (`staff_query_used` under
    /// `StaffQuery`).
    pub mark_used: bool,
    /// Then set the target's `disabled` to this message (`disable_time`
    /// passed, or `staff_query_disable_message` under `StaffQuery`).
    pub disable: Option<String>,
}

/// One `/use` request, resolved by the service so the store can decide it in
/// one atomic step.
#[derive(Debug, Clone)]
pub struct UseRequest {
    /// Private token.
    pub token: String,
    /// Scenario to use.
    pub scenario_id: String,
    /// Unix seconds (the time of the check and of `used`).
    pub now: i64,
    /// Related effects per attendee role (the role is only known inside the
    /// atomic step): role → effects in file order. A role missing here means
    /// its file does not define the scenario: no effects.
    pub effects: BTreeMap<String, Vec<RelatedEffect>>,
    /// Puzzle pieces the use delivers, per attendee role (the role's
    /// `deliver_puzzle`, pieces chosen up front by the service). A role
    /// present here gets its bucket created when missing and these pieces
    /// appended and counted **in the same atomic step as the use**, so a
    /// check-in never exists without its pieces whatever crashes: either
    /// both are stored or neither is, and the client's retry then succeeds.
    /// An empty list still creates the bucket (`deliver_puzzle` set but no
    /// pieces configured). A role missing here delivers nothing.
    pub deliver: BTreeMap<String, Vec<String>>,
    /// Record the use (or its refusal) in the audit log in the same step,
    /// with this actor and nonce; a nonce already in the log answers that
    /// use's outcome again without a second effect.
    pub audit: Option<super::audit::AuditDraft>,
}

impl UseRequest {
    /// The pieces a successful use delivers to an attendee of `role`
    /// (`None`: the use delivers nothing and touches no bucket).
    pub fn pieces_for(&self, role: &str) -> Option<&[String]> {
        self.deliver.get(role).map(Vec::as_slice)
    }
}

/// Why a `/use` was refused (checked in this order, as CS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseRefusal {
    /// No attendee has the token (`invalid token`).
    UnknownToken,
    /// The attendee is not bound to the scenario (`invalid scenario_id`).
    UnknownScenario,
    /// `now` is outside `available_time <= now < expire_time`.
    OutsideWindow,
    /// `used` is set (`has been used`).
    AlreadyUsed,
    /// `disabled` is set (`disabled scenario`).
    Disabled,
    /// The nonce was already used for a scan of another scenario of this
    /// attendee.
    NonceReused,
}

impl UseRefusal {
    /// Every refusal (for reading a stored message back).
    pub const ALL: [Self; 6] = [
        Self::UnknownToken,
        Self::UnknownScenario,
        Self::OutsideWindow,
        Self::AlreadyUsed,
        Self::Disabled,
        Self::NonceReused,
    ];

    /// The refusal whose [`Self::message`] is `m`.
    pub fn from_message(m: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.message() == m)
    }

    /// CS's message for the refusal.
    pub fn message(self) -> &'static str {
        match self {
            Self::UnknownToken => "invalid token",
            Self::UnknownScenario => "invalid scenario_id",
            Self::OutsideWindow => "link expired/not available now",
            Self::AlreadyUsed => "has been used",
            Self::Disabled => "disabled scenario",
            Self::NonceReused => "nonce already used for another scan",
        }
    }
}

/// Apply a `/use` to the stored attendee: checks (§1.4 steps 2–5), related
/// effects (step 6) and marking the scenario used (step 8). On refusal the
/// attendee is left untouched.
pub fn apply_use(att: &mut Attendee, req: &UseRequest) -> Result<(), UseRefusal> {
    let sc = att
        .scenario(&req.scenario_id)
        .ok_or(UseRefusal::UnknownScenario)?;
    if !(sc.available_time <= req.now && req.now < sc.expire_time) {
        return Err(UseRefusal::OutsideWindow);
    }
    if sc.used.is_some() {
        return Err(UseRefusal::AlreadyUsed);
    }
    if sc.disabled.is_some() {
        return Err(UseRefusal::Disabled);
    }
    if let Some(effects) = req.effects.get(&att.role) {
        for e in effects {
            let Some(t) = att.scenario_mut(&e.target) else {
                continue;
            };
            if e.unlock {
                t.disabled = None;
            }
            if e.mark_used && t.used.is_none() {
                t.used = Some(req.now);
            }
            if let Some(msg) = &e.disable {
                t.disabled = Some(msg.clone());
            }
        }
    }
    if let Some(sc) = att.scenario_mut(&req.scenario_id) {
        sc.used = Some(req.now);
    }
    Ok(())
}

/// One attendee of a validated import.
#[derive(Debug, Clone)]
pub struct ImportAttendee {
    /// Id for a new attendee (an existing one keeps its id).
    pub id: String,
    /// Event id.
    pub event_id: String,
    /// Private token (the upsert key).
    pub token: String,
    /// Display name.
    pub user_id: String,
    /// `title` when present.
    pub attr: Pairs,
    /// Role.
    pub role: String,
    /// Scenarios as bound from the CSV row, in file order, unused.
    pub scenarios: Vec<ImportScenario>,
}

/// A scenario as bound at import, with what decides whether a re-import
/// may replace its stored `disabled`.
#[derive(Debug, Clone)]
pub struct ImportScenario {
    /// Definition snapshot with the import-time `disabled`
    /// (`lock_message` / `not_lock_rule`); `used` is `None`.
    pub scenario: Scenario,
    /// Scenarios whose use changes this one's `disabled` (those listing it
    /// in `related_scenario`). When the stored attendee used any of them, or
    /// this one, the stored `disabled` was set by use and is kept.
    pub affected_by: Vec<String>,
}

/// Build the stored attendee from an import row and what is stored now.
///
/// Re-import refreshes name, attr, role, event id and scenario definitions;
/// keeps the id, `first_use`, every `used`, and each `disabled` that a use
/// set (see [`ImportScenario::affected_by`]). Scenarios no longer bound are
/// dropped. Puzzle state lives elsewhere and is untouched.
pub fn merge_import(existing: Option<&Attendee>, new: &ImportAttendee) -> Attendee {
    Attendee {
        id: existing.map_or_else(|| new.id.clone(), |e| e.id.clone()),
        event_id: new.event_id.clone(),
        token: new.token.clone(),
        user_id: new.user_id.clone(),
        attr: new.attr.clone(),
        first_use: existing.and_then(|e| e.first_use),
        role: new.role.clone(),
        scenarios: new
            .scenarios
            .iter()
            .map(|is| merge_scenario(existing, is.scenario.clone(), &is.affected_by))
            .collect(),
    }
}

/// [`merge_import`] taking the row (its strings moved, not copied: a
/// streamed import binds each row only to store it).
pub fn merge_import_owned(existing: Option<&Attendee>, new: ImportAttendee) -> Attendee {
    Attendee {
        id: existing.map_or(new.id, |e| e.id.clone()),
        event_id: new.event_id,
        token: new.token,
        user_id: new.user_id,
        attr: new.attr,
        first_use: existing.and_then(|e| e.first_use),
        role: new.role,
        scenarios: new
            .scenarios
            .into_iter()
            .map(|is| merge_scenario(existing, is.scenario, &is.affected_by))
            .collect(),
    }
}

/// One scenario of a re-import: `used`, and a `disabled` a use set, kept.
fn merge_scenario(
    existing: Option<&Attendee>,
    mut sc: Scenario,
    affected_by: &[String],
) -> Scenario {
    if let Some(old) = existing.and_then(|e| e.scenario(&sc.id)) {
        sc.used = old.used;
        let touched = old.used.is_some()
            || affected_by.iter().any(|src| {
                existing
                    .and_then(|e| e.scenario(src))
                    .is_some_and(|s| s.used.is_some())
            });
        if touched {
            sc.disabled = old.disabled.clone();
        }
    }
    sc
}

/// Dashboard figures of one role from its attendees.
pub fn role_stats<'a>(
    role: &str,
    scenario_ids: &[String],
    attendees: impl IntoIterator<Item = &'a Attendee>,
) -> RoleStats {
    let mut stats = RoleStats {
        role: role.to_owned(),
        total: 0,
        logged: 0,
        scenarios: scenario_ids
            .iter()
            .map(|id| ScenarioStats {
                scenario: id.clone(),
                enabled: 0,
                used: 0,
            })
            .collect(),
    };
    for a in attendees {
        stats.total += 1;
        if a.first_use.is_some() {
            stats.logged += 1;
        }
        for s in &mut stats.scenarios {
            if let Some(sc) = a.scenario(&s.scenario) {
                if sc.disabled.is_none() {
                    s.enabled += 1;
                }
                if sc.used.is_some() {
                    s.used += 1;
                }
            }
        }
    }
    stats
}
