//! `ConnectionStore`: a member's link to an outside source of activities
//! (Strava today), one record per `(handle, provider)`.
//!
//! Invariants every backend keeps (checked by the conformance suite):
//! * one record per `(handle, provider)`; [`ConnectionStore::patch_connection`]
//!   creates it or merges the fields it names in one atomic step, so a
//!   sync writing its cursor and a member saving credentials at the same
//!   time both survive;
//! * tokens and client credentials reach the store only sealed (AEAD, see
//!   `crate::sync::seal`): the store never sees them in clear;
//! * a pending OAuth state is spent at most once
//!   ([`ConnectionStore::take_oauth_state`] decides it atomically);
//! * a record goes with its member (deleting the user deletes it).

use super::StoreResult;

/// One member's connection to one provider, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connection {
    /// The member.
    pub handle: String,
    /// The provider (`strava`).
    pub provider: String,
    /// The member's id at the provider.
    pub athlete_id: Option<i64>,
    /// The member's name at the provider (shown as "connected as").
    pub athlete_name: Option<String>,
    /// Scopes granted, comma separated, as the provider reported them.
    pub scopes: Option<String>,
    /// Sealed tokens (access, refresh, expiry); `None` = not connected.
    pub tokens: Option<Vec<u8>>,
    /// Sealed client id / secret of the member's own app.
    pub credentials: Option<Vec<u8>>,
    /// Start (Unix s) of the newest activity imported with nothing older
    /// failing: the next sync lists from a week before it.
    pub cursor: Option<i64>,
    /// End of the last sync (Unix s).
    pub last_sync: Option<i64>,
    /// When the scheduler will sync next (Unix s).
    pub next_sync: Option<i64>,
    /// A sync is paused by the provider's rate limit until then (Unix s).
    pub paused_until: Option<i64>,
    /// Why the last sync or connect attempt failed, for the member.
    pub last_error: Option<String>,
    /// SHA-256 of the pending OAuth state (bound to the session).
    pub oauth_state: Option<String>,
    /// When the pending OAuth state expires (Unix s).
    pub oauth_state_expires: Option<i64>,
    /// Last change (Unix s).
    pub updated_at: i64,
}

/// Fields to change in a [`Connection`]: `None` leaves a field as it is,
/// `Some(None)` clears it, `Some(Some(v))` sets it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(clippy::option_option)]
pub struct ConnectionPatch {
    /// See [`Connection::athlete_id`].
    pub athlete_id: Option<Option<i64>>,
    /// See [`Connection::athlete_name`].
    pub athlete_name: Option<Option<String>>,
    /// See [`Connection::scopes`].
    pub scopes: Option<Option<String>>,
    /// See [`Connection::tokens`].
    pub tokens: Option<Option<Vec<u8>>>,
    /// See [`Connection::credentials`].
    pub credentials: Option<Option<Vec<u8>>>,
    /// See [`Connection::cursor`].
    pub cursor: Option<Option<i64>>,
    /// See [`Connection::last_sync`].
    pub last_sync: Option<Option<i64>>,
    /// See [`Connection::next_sync`].
    pub next_sync: Option<Option<i64>>,
    /// See [`Connection::paused_until`].
    pub paused_until: Option<Option<i64>>,
    /// See [`Connection::last_error`].
    pub last_error: Option<Option<String>>,
    /// See [`Connection::oauth_state`] (with its expiry).
    pub oauth_state: Option<Option<(String, i64)>>,
}

impl ConnectionPatch {
    /// Apply to `c` in memory (what every backend does in its atomic step).
    pub fn apply(&self, c: &mut Connection) {
        fn set<T: Clone>(field: &mut Option<T>, v: &Option<Option<T>>) {
            if let Some(v) = v {
                field.clone_from(v);
            }
        }
        set(&mut c.athlete_id, &self.athlete_id);
        set(&mut c.athlete_name, &self.athlete_name);
        set(&mut c.scopes, &self.scopes);
        set(&mut c.tokens, &self.tokens);
        set(&mut c.credentials, &self.credentials);
        set(&mut c.cursor, &self.cursor);
        set(&mut c.last_sync, &self.last_sync);
        set(&mut c.next_sync, &self.next_sync);
        set(&mut c.paused_until, &self.paused_until);
        set(&mut c.last_error, &self.last_error);
        if let Some(s) = &self.oauth_state {
            c.oauth_state = s.as_ref().map(|(h, _)| h.clone());
            c.oauth_state_expires = s.as_ref().map(|(_, e)| *e);
        }
    }
}

/// Storage of connections to outside sources.
#[async_trait::async_trait]
pub trait ConnectionStore: Send + Sync + 'static {
    /// The connection of `handle` to `provider`, if any.
    async fn get_connection(&self, handle: &str, provider: &str)
        -> StoreResult<Option<Connection>>;

    /// Create the record (fields not named are empty) or merge `patch`
    /// into it, atomically, stamping `updated_at = now`; returns the record
    /// after. `StoreError::NotFound` when the user does not exist.
    async fn patch_connection(
        &self,
        handle: &str,
        provider: &str,
        patch: &ConnectionPatch,
        now: i64,
    ) -> StoreResult<Connection>;

    /// Spend the pending OAuth state: true exactly once for a state whose
    /// hash is `state_hash` and whose expiry is after `now` (the state is
    /// cleared by that call); false otherwise (wrong, spent or expired).
    async fn take_oauth_state(
        &self,
        handle: &str,
        provider: &str,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<bool>;

    /// Delete the record; false if there was none.
    async fn delete_connection(&self, handle: &str, provider: &str) -> StoreResult<bool>;

    /// Every record of `provider`, sorted by handle.
    async fn list_connections(&self, provider: &str) -> StoreResult<Vec<Connection>>;
}
