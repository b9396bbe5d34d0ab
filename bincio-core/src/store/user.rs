//! `UserStore`: accounts, sessions, invites, reset codes, settings, prefs.

use std::collections::BTreeMap;

use super::StoreResult;
use crate::model::{
    AthleteConfig, AthletePatch, Invite, Member, NewUser, ResetCode, Role, Session, User,
};

/// What entitles a registration.
#[derive(Debug, Clone)]
pub enum RegisterClaim {
    /// An invite code (upper-cased). Redeemed atomically with the insert.
    Invite(String),
    /// The one-time set-up code printed by `bincio serve` on an empty
    /// instance, as the hex SHA-256 stored in the `setup_code_sha256` setting.
    /// Valid only while the instance has no users; creates an admin.
    Setup(String),
}

/// Why an atomic registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The invite (or set-up code) does not exist or was used already.
    #[error("invalid or used invite")]
    InvalidClaim,
    /// The handle is taken.
    #[error("handle taken")]
    HandleTaken,
    /// `max_users` would be exceeded; carries the limit.
    #[error("user limit ({0})")]
    UserLimit(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// Storage of accounts. All methods are atomic on their own; the ones that
/// decide a race (registration, invite creation, reset-code redemption) do
/// the check and the write in one step. An accounts store also coordinates
/// the processes serving it ([`CoordStore`](super::CoordStore): jobs,
/// failure counters, leases).
#[async_trait::async_trait]
pub trait UserStore: super::CoordStore + Send + Sync + 'static {
    /// Name of the backend.
    fn backend_name(&self) -> &'static str;

    // ---- users ----

    /// Insert a user; `StoreError::Conflict` if the handle exists.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;

    /// Atomically: check the claim, check the handle is free, check the
    /// user count against `max_users` (the setting, read inside the same
    /// step), insert the user, mark the claim used (`used_by`, `used_at` =
    /// `user.created_at`). With [`RegisterClaim::Setup`] the user becomes an
    /// admin and the set-up setting is removed.
    async fn register(&self, claim: RegisterClaim, user: NewUser) -> Result<User, RegisterError>;

    /// One user by handle.
    async fn get_user(&self, handle: &str) -> StoreResult<Option<User>>;

    /// All users, oldest first (ties by handle).
    async fn list_users(&self) -> StoreResult<Vec<User>>;

    /// Number of users.
    async fn count_users(&self) -> StoreResult<u64>;

    /// Whether the store can serve: it answers, and its schema is the one
    /// this build expects (every migration applied). `GET /readyz` asks
    /// it. The default is a round-trip; backends with a schema check it.
    async fn ready(&self) -> StoreResult<()> {
        self.count_users().await.map(|_| ())
    }

    /// Replace the password hash; false if the user does not exist.
    async fn set_password_hash(&self, handle: &str, hash: &str) -> StoreResult<bool>;

    /// Replace the password hash only if it is still `old_hash` (used by the
    /// bcrypt → argon2id upgrade so a concurrent password change wins).
    async fn upgrade_password_hash(
        &self,
        handle: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool>;

    /// Set the display name; false if the user does not exist.
    async fn set_display_name(&self, handle: &str, display_name: &str) -> StoreResult<bool>;

    /// Set the role; false if the user does not exist.
    async fn set_role(&self, handle: &str, role: Role) -> StoreResult<bool>;

    /// Delete the user with their sessions, reset codes, prefs, athlete
    /// config, activities
    /// (with tracks, photos, originals) and the invites they created;
    /// invites they redeemed get `used_by = None`.
    /// False if absent.
    async fn delete_user(&self, handle: &str) -> StoreResult<bool>;

    /// Users oldest first with the creator of the invite each redeemed.
    async fn list_members(&self) -> StoreResult<Vec<Member>>;

    // ---- sessions ----

    /// Store a new session (the token is already hashed).
    async fn create_session(&self, session: Session) -> StoreResult<()>;

    /// The live session for `token_hash` and its user. A session whose
    /// `expires_at <= now` is deleted and `None` returned.
    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(Session, User)>>;

    /// Delete one session; true if it existed.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool>;

    /// Delete every session of `handle` except `keep` (a token hash); returns
    /// how many were deleted.
    async fn delete_sessions_of(&self, handle: &str, keep: Option<&str>) -> StoreResult<u64>;

    /// Delete sessions with `expires_at <= now`; returns how many.
    async fn purge_expired_sessions(&self, now: i64) -> StoreResult<u64>;

    // ---- invites ----

    /// Insert an invite. With `limit = Some(n)` the insert is refused with
    /// `StoreError::LimitReached` when `created_by` already created `n`
    /// invites (ever, used or not) — decided atomically.
    async fn create_invite(&self, invite: Invite, limit: Option<u64>) -> StoreResult<Invite>;

    /// Invites created by `handle`, newest first (ties by code).
    async fn list_invites(&self, handle: &str) -> StoreResult<Vec<Invite>>;

    /// One invite by code.
    async fn get_invite(&self, code: &str) -> StoreResult<Option<Invite>>;

    // ---- reset codes ----

    /// Remove the unused codes of `code.handle` and store this one.
    async fn replace_reset_code(&self, code: ResetCode) -> StoreResult<()>;

    /// Atomically redeem a reset code: it must exist, be bound to `handle`,
    /// be unused and `expires_at > now`. On success marks it used, sets the
    /// password hash and deletes every session of the user. False otherwise.
    async fn redeem_reset_code(
        &self,
        code_hash: &str,
        handle: &str,
        now: i64,
        new_hash: &str,
    ) -> StoreResult<bool>;

    // ---- settings ----

    /// One instance setting.
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;

    /// Upsert an instance setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Remove a setting; true if it existed.
    async fn delete_setting(&self, key: &str) -> StoreResult<bool>;

    /// Every setting, by key.
    async fn list_settings(&self) -> StoreResult<BTreeMap<String, String>>;

    /// Set a setting only if it is absent; true if this call set it.
    async fn set_setting_if_absent(&self, key: &str, value: &str) -> StoreResult<bool>;

    // ---- prefs ----

    /// The user's preferences.
    async fn get_prefs(&self, handle: &str) -> StoreResult<BTreeMap<String, String>>;

    /// Upsert the given preferences (other keys are kept).
    async fn set_prefs(&self, handle: &str, prefs: &BTreeMap<String, String>) -> StoreResult<()>;

    // ---- athlete config ----

    /// The athlete config of `handle` (empty when never set or when the
    /// user does not exist). It belongs to the account: deleting the user's
    /// activities keeps it, deleting the user removes it.
    async fn get_athlete(&self, handle: &str) -> StoreResult<AthleteConfig>;

    /// Apply `patch` in one atomic step — keys set replace, keys cleared
    /// are removed, every other key is kept, so two concurrent patches of
    /// different keys both survive — and return the config after it.
    /// `StoreError::NotFound` if the user does not exist.
    async fn patch_athlete(&self, handle: &str, patch: &AthletePatch)
        -> StoreResult<AthleteConfig>;
}
