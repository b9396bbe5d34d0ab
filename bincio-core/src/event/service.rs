//! `EventService`: one method per CCIP route rule (§1), over the attendee
//! and puzzle stores. Adapters (HTTP, CLI) parse input, call one method and
//! render the result with [`super::wire`]; no rule lives anywhere else.
//!
//! Errors are [`CoreError::Invalid`] carrying CS's exact message (HTTP 400
//! `{"message": …}`); store faults stay [`CoreError::Store`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::audit::{ActionDraft, AuditDraft, AuditEntry, AuditFilter, UndoRequest};
use super::config::EventConfig;
use super::import::check_csv;
use super::model::{
    public_token, Announcement, Attendee, DelivererStamp, PuzzleBucket, PuzzleCounter, RoleStats,
};
use super::oid::new_oid;
use super::puzzle::{choose_piece, choose_pieces, PieceRng, ThreadRng};
use super::rules::{RelatedEffect, UseRequest};
use crate::error::{CoreError, CoreResult};
use crate::store::{
    AttendeeStore, DeliverOutcome, Delivery, ImportCounts, PuzzleStore, RevokeOutcome,
};
use crate::Clock;

/// CS's error messages.
pub mod msg {
    /// `token` query parameter missing.
    pub const TOKEN_REQUIRED: &str = "token required";
    /// Unknown private token.
    pub const INVALID_TOKEN: &str = "invalid token";
    /// No bucket for a public token.
    pub const NO_BUCKET: &str = "Invalid token, please try again after checkin.";
    /// Unknown deliverer token on `/event/puzzle/deliverer`.
    pub const INVALID_DELIVERER: &str = "invalid deliverer token";
    /// Deliver without `token` or `receiver`.
    pub const TOKEN_AND_RECEIVER: &str = "token and receiver required";
    /// Deliver to an unknown attendee.
    pub const INVALID_RECEIVER: &str = "invalid receiver token";
    /// Deliverer dedupe.
    pub const ALREADY_TAKEN: &str = "Already take from this deliverer";
    /// Unknown or missing role.
    pub const ROLE_REQUIRED: &str = "role required";
    /// Staff-only route without staff credentials.
    pub const STAFF_ONLY: &str = "staff only";
}

/// A posted announcement (absent fields stay absent).
#[derive(Debug, Clone, Default)]
pub struct NewAnnouncement {
    /// Chinese text.
    pub msg_zh: Option<String>,
    /// English text.
    pub msg_en: Option<String>,
    /// Link.
    pub uri: Option<String>,
    /// Roles that see it.
    pub role: Vec<String>,
}

/// The event check-in service.
#[derive(Clone)]
pub struct EventService {
    config: Arc<EventConfig>,
    attendees: Arc<dyn AttendeeStore>,
    puzzles: Arc<dyn PuzzleStore>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn PieceRng>,
    rates: Arc<Vec<(String, f64)>>,
}

fn invalid(m: &str) -> CoreError {
    CoreError::Invalid(m.to_owned())
}

impl EventService {
    /// A service over a loaded configuration and the stores. Call
    /// [`EventService::init`] once before serving.
    pub fn new(
        config: EventConfig,
        attendees: Arc<dyn AttendeeStore>,
        puzzles: Arc<dyn PuzzleStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let rates = config
            .puzzle
            .as_ref()
            .map(|p| p.rates())
            .unwrap_or_default();
        Self {
            config: Arc::new(config),
            attendees,
            puzzles,
            clock,
            rng: Arc::new(ThreadRng),
            rates: Arc::new(rates),
        }
    }

    /// Replace the random source of piece choice (deterministic tests).
    pub fn with_rng(mut self, rng: Arc<dyn PieceRng>) -> Self {
        self.rng = rng;
        self
    }

    /// Check the store can keep the event's atomicity contract, and create
    /// missing puzzle counters (idempotent; also for pieces added to the
    /// configuration later).
    #[tracing::instrument(skip_all, fields(event = %self.config.event_id))]
    pub async fn init(&self) -> CoreResult<()> {
        self.attendees.check_event_ready().await?;
        if let Some(p) = &self.config.puzzle {
            let names: Vec<String> = p.pieces.iter().map(|(n, _)| n.clone()).collect();
            self.puzzles
                .ensure_counters(&names, self.clock.unix())
                .await?;
        }
        Ok(())
    }

    /// The service clock's Unix time (the event's "now").
    pub fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// The event configuration.
    pub fn config(&self) -> &EventConfig {
        &self.config
    }

    /// The attendee store.
    pub fn attendee_store(&self) -> &Arc<dyn AttendeeStore> {
        &self.attendees
    }

    /// The puzzle store.
    pub fn puzzle_store(&self) -> &Arc<dyn PuzzleStore> {
        &self.puzzles
    }

    async fn attendee(&self, token: Option<&str>) -> CoreResult<Attendee> {
        let token = token.ok_or_else(|| invalid(msg::TOKEN_REQUIRED))?;
        self.attendees
            .get_attendee(token)
            .await?
            .ok_or_else(|| invalid(msg::INVALID_TOKEN))
    }

    /// `GET /landing`: the attendee's nickname.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn landing(&self, token: Option<&str>) -> CoreResult<String> {
        Ok(self.attendee(token).await?.user_id)
    }

    /// An attendee's state without side effects (CLI `event show`).
    pub async fn show(&self, token: &str) -> CoreResult<Attendee> {
        self.attendee(Some(token)).await
    }

    /// `GET /status`: without `StaffQuery`, the first call sets `first_use`
    /// and creates the puzzle bucket, both in one atomic store step
    /// ([`AttendeeStore::mark_first_use`]), so no crash can leave a
    /// first-used attendee without a bucket.
    #[tracing::instrument(level = "debug", skip_all, fields(staff = staff_query))]
    pub async fn status(&self, token: Option<&str>, staff_query: bool) -> CoreResult<Attendee> {
        let a = self.attendee(token).await?;
        if staff_query || a.has_first_use() {
            return Ok(a);
        }
        let now = self.clock.unix();
        let (a, _was_unset) = self
            .attendees
            .mark_first_use(&a.token, now)
            .await?
            .ok_or_else(|| invalid(msg::INVALID_TOKEN))?;
        Ok(a)
    }

    /// The related effects of using `scenario_id`, per role, at `now`.
    fn effects(
        &self,
        scenario_id: &str,
        staff_query: bool,
        now: i64,
    ) -> BTreeMap<String, Vec<RelatedEffect>> {
        let mut out = BTreeMap::new();
        for role in &self.config.roles {
            let Some(def) = role.scenarios.iter().find(|s| s.id == scenario_id) else {
                continue;
            };
            let effects = def
                .related_scenario
                .iter()
                .map(|r| RelatedEffect {
                    target: r.id.clone(),
                    unlock: r.unlock,
                    mark_used: staff_query && r.staff_query_used,
                    disable: if r.disable_time.is_some_and(|t| now > t) {
                        r.disable_message.clone()
                    } else if staff_query {
                        r.staff_query_disable_message.clone()
                    } else {
                        None
                    },
                })
                .collect();
            out.insert(role.name.clone(), effects);
        }
        out
    }

    /// The pieces a use of `scenario_id` delivers, per role: each role whose
    /// scenario has `deliver_puzzle > 0` gets that many pieces, chosen from
    /// one counter snapshot (read only when some role delivers). Empty when
    /// the puzzle game is off.
    async fn pieces_for_use(&self, scenario_id: &str) -> CoreResult<BTreeMap<String, Vec<String>>> {
        let mut out = BTreeMap::new();
        if self.config.puzzle.is_none() {
            return Ok(out);
        }
        let wanted: Vec<(String, usize)> = self
            .config
            .roles
            .iter()
            .filter_map(|r| {
                let def = r.scenarios.iter().find(|s| s.id == scenario_id)?;
                let n = usize::try_from(def.deliver_puzzle).ok()?;
                (n > 0).then(|| (r.name.clone(), n))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(out);
        }
        let counters = if self.rates.is_empty() {
            Vec::new()
        } else {
            self.puzzles.counters().await?
        };
        for (role, n) in wanted {
            let pieces = choose_pieces(&self.rates, &counters, n, self.rng.as_ref());
            out.insert(role, pieces);
        }
        Ok(out)
    }

    /// `GET /use/<scenario_id>`: one atomic store call decides the use, its
    /// related effects and the `deliver_puzzle` pieces (see
    /// [`UseRequest::deliver`]): a check-in and its pieces are one outcome.
    /// Logged as the attendee's, or as `staff-query` (CCIP's flag, which
    /// carries no identity).
    #[tracing::instrument(skip_all, fields(scenario = %scenario_id, staff = staff_query))]
    pub async fn use_scenario(
        &self,
        token: Option<&str>,
        scenario_id: &str,
        staff_query: bool,
    ) -> CoreResult<Attendee> {
        let actor = if staff_query {
            "staff-query"
        } else {
            "attendee"
        };
        self.use_logged(token, scenario_id, staff_query, actor, None)
            .await
    }

    /// A use by identified staff (`actor`, e.g. `staff:<handle>`), with the
    /// staff rules of `StaffQuery`, logged; with a `nonce` (≤ 128 printable
    /// characters) the same nonce again answers the first outcome without
    /// a second effect.
    #[tracing::instrument(skip_all, fields(scenario = %scenario_id, actor = %actor))]
    pub async fn staff_use(
        &self,
        token: Option<&str>,
        scenario_id: &str,
        actor: &str,
        nonce: Option<&str>,
    ) -> CoreResult<Attendee> {
        if let Some(n) = nonce {
            if n.is_empty() || n.len() > 128 || n.chars().any(|c| c.is_control()) {
                return Err(CoreError::invalid("nonce: 1 to 128 printable characters"));
            }
        }
        self.use_logged(token, scenario_id, true, actor, nonce)
            .await
    }

    async fn use_logged(
        &self,
        token: Option<&str>,
        scenario_id: &str,
        staff_query: bool,
        actor: &str,
        nonce: Option<&str>,
    ) -> CoreResult<Attendee> {
        let token = token.ok_or_else(|| invalid(msg::TOKEN_REQUIRED))?;
        let now = self.clock.unix();
        let req = UseRequest {
            token: token.to_owned(),
            scenario_id: scenario_id.to_owned(),
            now,
            effects: self.effects(scenario_id, staff_query, now),
            deliver: self.pieces_for_use(scenario_id).await?,
            audit: Some(AuditDraft {
                id: new_oid(now),
                actor: actor.to_owned(),
                nonce: nonce.map(str::to_owned),
            }),
        };
        let a = self
            .attendees
            .use_scenario(req)
            .await?
            .map_err(|r| invalid(r.message()))?;
        Ok(a)
    }

    /// Undo the newest logged use of `scenario_id` by the attendee with
    /// `token`, with a reason (1–500 characters), atomically and logged;
    /// refused with the reason in words when it cannot be reverted
    /// exactly ([`super::audit::apply_undo`]).
    #[tracing::instrument(skip_all, fields(scenario = %scenario_id, actor = %actor))]
    pub async fn undo(
        &self,
        token: &str,
        scenario_id: &str,
        actor: &str,
        reason: &str,
    ) -> CoreResult<Attendee> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(CoreError::invalid("reason: 1 to 500 characters"));
        }
        let now = self.clock.unix();
        let req = UndoRequest {
            token: token.to_owned(),
            scenario_id: scenario_id.to_owned(),
            now,
            reason: reason.to_owned(),
            audit: AuditDraft {
                id: new_oid(now),
                actor: actor.to_owned(),
                nonce: None,
            },
        };
        self.attendees
            .undo_use(req)
            .await?
            .map_err(|r| CoreError::Conflict(r.message()))
    }

    /// Audit entries, newest first (at most 1 000 a page).
    pub async fn audit(&self, mut filter: AuditFilter) -> CoreResult<Vec<AuditEntry>> {
        filter.limit = filter.limit.clamp(1, 1000);
        Ok(self.attendees.list_audit(filter).await?)
    }

    /// Whether `token` is an attendee's, with their role and display name —
    /// for partner apps that used `/status` as a check and stamped
    /// `first_use` by accident: this reads only, never writes.
    pub async fn check_token(&self, token: &str) -> CoreResult<Option<(String, String)>> {
        if token.is_empty() || token.len() > 1024 {
            return Ok(None);
        }
        Ok(self
            .attendees
            .get_attendee(token)
            .await?
            .map(|a| (a.role, a.user_id)))
    }

    /// The audit draft of a staff action on `a` (or on no attendee) by
    /// `actor`, now.
    fn action(&self, actor: &str, a: Option<&Attendee>) -> ActionDraft {
        let now = self.clock.unix();
        ActionDraft {
            id: new_oid(now),
            at: now,
            actor: actor.to_owned(),
            attendee_id: a.map(|a| a.id.clone()),
            role: a.map(|a| a.role.clone()),
        }
    }

    async fn deliver_piece(
        &self,
        a: &Attendee,
        deliverer: Option<DelivererStamp>,
        audit: Option<ActionDraft>,
    ) -> CoreResult<DeliverOutcome> {
        let piece = if self.rates.is_empty() {
            None
        } else {
            let counters = self.puzzles.counters().await?;
            choose_piece(&self.rates, &counters, self.rng.as_ref())
        };
        Ok(self
            .puzzles
            .deliver_logged(
                Delivery {
                    attendee_id: a.id.clone(),
                    public_token: a.public_token(),
                    piece,
                    deliverer,
                    now: audit.as_ref().map_or_else(|| self.clock.unix(), |d| d.at),
                },
                audit,
            )
            .await?)
    }

    /// `GET /event/puzzle?token=<public token>`: the attendee's name and bucket.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn puzzle(&self, public: Option<&str>) -> CoreResult<(String, PuzzleBucket)> {
        let public = public.ok_or_else(|| invalid(msg::TOKEN_REQUIRED))?;
        let b = self
            .puzzles
            .bucket(public)
            .await?
            .ok_or_else(|| invalid(msg::NO_BUCKET))?;
        let a = self
            .attendees
            .get_attendee_by_id(&b.attendee)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("bucket {} without attendee", b.id)))?;
        Ok((a.user_id, b))
    }

    /// `/event/puzzle/revoke`: [`EventService::revoke_as`] logged as
    /// `staff-query` (this signature names no one).
    pub async fn revoke(&self, token: Option<&str>) -> CoreResult<()> {
        self.revoke_as(token, "staff-query").await
    }

    /// `/event/puzzle/revoke` by `actor`: idempotent (a second call changes
    /// nothing); logged with the revoke in one store step (a second
    /// revoke, or an attendee without a bucket, as not done).
    #[tracing::instrument(skip_all, fields(actor = %actor))]
    pub async fn revoke_as(&self, token: Option<&str>, actor: &str) -> CoreResult<()> {
        let a = self.attendee(token).await?;
        let audit = self.action(actor, Some(&a));
        match self
            .puzzles
            .revoke_logged(&a.public_token(), audit.at, Some(audit))
            .await?
        {
            RevokeOutcome::NoBucket => Err(invalid(msg::INVALID_TOKEN)),
            RevokeOutcome::Revoked | RevokeOutcome::AlreadyRevoked => Ok(()),
        }
    }

    /// `/event/puzzle/coupon`: [`EventService::coupon_as`] logged as
    /// `staff-query` (this signature names no one).
    pub async fn coupon(&self, token: Option<&str>) -> CoreResult<()> {
        self.coupon_as(token, "staff-query").await
    }

    /// `/event/puzzle/coupon` by `actor`: `coupon = now` (repeatable),
    /// logged in the same store step.
    #[tracing::instrument(skip_all, fields(actor = %actor))]
    pub async fn coupon_as(&self, token: Option<&str>, actor: &str) -> CoreResult<()> {
        let a = self.attendee(token).await?;
        let audit = self.action(actor, Some(&a));
        if self
            .puzzles
            .use_coupon_logged(&a.public_token(), audit.at, Some(audit))
            .await?
        {
            Ok(())
        } else {
            Err(invalid(msg::INVALID_TOKEN))
        }
    }

    /// `GET /event/puzzle/deliverer`: the deliverer's name.
    pub fn deliverer(&self, token: Option<&str>) -> CoreResult<String> {
        let token = token.ok_or_else(|| invalid(msg::TOKEN_REQUIRED))?;
        self.config
            .deliverer(token)
            .map(str::to_owned)
            .ok_or_else(|| invalid(msg::INVALID_DELIVERER))
    }

    /// `GET /event/puzzle/deliverers`: names in file order (`[]` when not
    /// configured).
    pub fn deliverers(&self) -> Vec<String> {
        self.config
            .delivery_permission
            .iter()
            .flatten()
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// `POST /event/puzzle/deliver`: one piece from a booth (deduped by
    /// deliverer name, atomically). Returns the receiver's `user_id`.
    /// Logged as `deliverer:<name>` in the delivery's store step, the
    /// refusal of a second delivery by the same name included (an unknown
    /// receiver or deliverer token changes nothing and is not logged).
    #[tracing::instrument(skip_all)]
    pub async fn deliver(&self, token: Option<&str>, receiver: Option<&str>) -> CoreResult<String> {
        let (Some(token), Some(receiver)) = (token, receiver) else {
            return Err(invalid(msg::TOKEN_AND_RECEIVER));
        };
        let a = self
            .attendees
            .get_attendee(receiver)
            .await?
            .ok_or_else(|| invalid(msg::INVALID_RECEIVER))?;
        let name = self
            .config
            .deliverer(token)
            .ok_or_else(|| invalid(msg::INVALID_TOKEN))?
            .to_owned();
        let stamp = DelivererStamp {
            deliverer: name.clone(),
            timestamp: self.clock.unix_f64(),
        };
        let audit = self.action(&format!("deliverer:{name}"), Some(&a));
        match self.deliver_piece(&a, Some(stamp), Some(audit)).await? {
            DeliverOutcome::Delivered => {
                tracing::info!(deliverer = %name, receiver = %a.user_id, "puzzle piece delivered");
                Ok(a.user_id)
            }
            DeliverOutcome::AlreadyFromDeliverer => Err(invalid(msg::ALREADY_TAKEN)),
        }
    }

    /// `GET /event/puzzle/dashboard`: counters, pieces then `total`.
    pub async fn puzzle_dashboard(&self) -> CoreResult<Vec<PuzzleCounter>> {
        Ok(self.puzzles.counters().await?)
    }

    /// `GET /announcement`: for the token's role (unknown or no token: the
    /// default role), newest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn announcements(&self, token: Option<&str>) -> CoreResult<Vec<Announcement>> {
        let mut role = self.config.announcement_default_role.clone();
        if let Some(t) = token {
            if let Some(a) = self.attendees.get_attendee(t).await? {
                role = a.role;
            }
        }
        Ok(self.attendees.announcements(&role).await?)
    }

    /// `POST /announcement` (staff only): [`EventService::announce_as`]
    /// logged as `staff-query` (this signature names no one).
    pub async fn announce(&self, n: NewAnnouncement) -> CoreResult<Announcement> {
        self.announce_as(n, "staff-query").await
    }

    /// `POST /announcement` by `actor`, within the bounds of
    /// [`super::announcement::check`]; stored and logged in one store step
    /// (one out of bounds is refused before, and not logged).
    #[tracing::instrument(skip_all, fields(roles = ?n.role, actor = %actor))]
    pub async fn announce_as(&self, n: NewAnnouncement, actor: &str) -> CoreResult<Announcement> {
        super::announcement::check(&n, &self.config)?;
        let audit = self.action(actor, None);
        let now = audit.at;
        let a = Announcement {
            id: new_oid(now),
            datetime: now,
            msg_zh: n.msg_zh,
            msg_en: n.msg_en,
            uri: n.uri,
            role: n.role,
        };
        self.attendees
            .add_announcement_logged(a.clone(), Some(audit))
            .await?;
        Ok(a)
    }

    /// `GET /dashboard` (staff only): per role in config order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn dashboard(&self) -> CoreResult<Vec<RoleStats>> {
        let mut out = Vec::new();
        for r in &self.config.roles {
            let ids: Vec<String> = r.scenarios.iter().map(|s| s.id.clone()).collect();
            out.push(self.attendees.role_stats(&r.name, &ids).await?);
        }
        Ok(out)
    }

    /// `GET /dashboard/<role>` (staff only): the role's attendees and its
    /// scenario ids (for the projection).
    #[tracing::instrument(level = "debug", skip_all, fields(role = %role))]
    pub async fn dashboard_role(&self, role: &str) -> CoreResult<(Vec<Attendee>, Vec<String>)> {
        let r = self
            .config
            .role(role)
            .ok_or_else(|| invalid(msg::ROLE_REQUIRED))?;
        let ids = r.scenarios.iter().map(|s| s.id.clone()).collect();
        Ok((self.attendees.list_attendees(role).await?, ids))
    }

    /// `GET /roles`.
    pub fn roles(&self) -> Vec<String> {
        self.config.roles.iter().map(|r| r.name.clone()).collect()
    }

    /// `GET /scenarios?role=`.
    pub fn scenarios(&self, role: Option<&str>) -> CoreResult<Vec<String>> {
        let r = role
            .and_then(|r| self.config.role(r))
            .ok_or_else(|| invalid(msg::ROLE_REQUIRED))?;
        Ok(r.scenarios.iter().map(|s| s.id.clone()).collect())
    }

    /// Import a CSV for `role`: validated whole, then one atomic upsert.
    /// **Not logged**: [`EventService::import_csv_as`] logs it.
    #[tracing::instrument(skip_all, fields(role = %role, bytes = csv.len()))]
    pub async fn import_csv(&self, role: &str, csv: &[u8]) -> CoreResult<ImportCounts> {
        self.import_logged(role, csv, None).await
    }

    /// Import a CSV for `role` by `actor`: validated whole, then one atomic
    /// upsert with its audit entry (`{"role", "inserted", "updated"}`): the
    /// entry exists exactly when the import committed (an invalid file is
    /// refused before the store, and not logged).
    #[tracing::instrument(skip_all, fields(role = %role, bytes = csv.len(), actor = %actor))]
    pub async fn import_csv_as(
        &self,
        role: &str,
        csv: &[u8],
        actor: &str,
    ) -> CoreResult<ImportCounts> {
        let audit = ActionDraft {
            role: Some(role.to_owned()),
            ..self.action(actor, None)
        };
        self.import_logged(role, csv, Some(audit)).await
    }

    /// The whole file is checked first ([`check_csv`]: one pass, nothing
    /// bound kept), then the store binds and writes its rows as it goes
    /// ([`AttendeeStore::import_rows_logged`]): memory stays the file plus
    /// a few bytes a row, whatever the number of rows.
    async fn import_logged(
        &self,
        role: &str,
        csv: &[u8],
        audit: Option<ActionDraft>,
    ) -> CoreResult<ImportCounts> {
        let checked = check_csv(&self.config, role, csv, self.clock.unix())
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        tracing::info!(rows = checked.len(), "import checked, writing");
        Ok(self.attendees.import_rows_logged(&checked, audit).await?)
    }

    /// The public token of a private token.
    pub fn public_token(token: &str) -> String {
        public_token(token)
    }
}
