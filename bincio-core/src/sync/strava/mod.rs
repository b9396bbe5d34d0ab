//! Strava sync: a member connects their Strava account once (OAuth), and
//! their activities arrive by themselves — on a schedule, or when they ask.
//!
//! Rules (each lives in one place):
//! * **connect** ([`connect`]): the OAuth `state` is single use, bound to
//!   the member's session, valid 10 minutes, and kept in the store (only
//!   its hash); a grant without `activity:read` / `activity:read_all` is
//!   refused with a message the settings page shows;
//! * **secrets**: tokens and a member's own client credentials are sealed
//!   ([`crate::sync::seal`]) with associated data naming member, provider
//!   and purpose; a value that does not open (lost key) reads as "not
//!   connected", never as a failure;
//! * **tokens** ([`tokens`]): refreshed when less than an hour is left,
//!   and the new pair is stored *before* the new access token is used
//!   (Strava may rotate the refresh token and kill the old one);
//! * **sync** ([`run`]): list from a week before the newest imported start
//!   (late uploads are caught), one bincio activity per Strava id (the
//!   store's unique hash, so renames update in place and racing syncs do
//!   not duplicate), a failed activity is retried next time and the cursor
//!   never moves past it;
//! * **rate limits** ([`limits`]): shared per app; near the limit or on a
//!   429 the sync pauses until the budget resets, says so, and resumes.

pub mod api;
mod connect;
pub mod convert;
pub mod limits;
mod run;
mod tokens;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use api::{AppCredentials, StravaApi};
pub use connect::{CallbackQuery, ConnectOutcome};
pub use run::{job_progress, SyncEvent, SyncReport};

use crate::activities::Activities;
use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::User;
use crate::store::{Connection, ConnectionPatch, ConnectionStore, UserStore};
use crate::sync::seal::KeyRing;

/// The provider name in the connection store.
pub const PROVIDER: &str = "strava";

/// How the instance talks to Strava.
#[derive(Debug, Clone)]
pub struct StravaConfig {
    /// The instance's app (`--strava-client-id/-secret`); members may bring
    /// their own.
    pub app: Option<AppCredentials>,
    /// Where Strava sends the member back: `<public url>/api/strava/callback`.
    pub redirect_uri: String,
    /// How often a paused sync looks at the clock (tests make it short).
    pub pause_poll: Duration,
}

impl StravaConfig {
    /// A config with the instance's app (if any) and the public URL.
    pub fn new(app: Option<AppCredentials>, public_url: &str) -> Self {
        Self {
            app,
            redirect_uri: format!("{}/api/strava/callback", public_url.trim_end_matches('/')),
            pause_poll: Duration::from_secs(1),
        }
    }
}

/// A member's Strava connection as the settings page and
/// `GET /api/strava/status` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StravaStatus {
    /// Client credentials are available (the instance's or the member's).
    pub configured: bool,
    /// Tokens are stored and readable.
    pub connected: bool,
    /// End of the last sync (Unix s).
    pub last_sync: Option<i64>,
    /// Connected as (Strava athlete id).
    pub athlete_id: Option<i64>,
    /// Connected as (name at Strava).
    pub athlete_name: Option<String>,
    /// Scopes granted.
    pub scopes: Option<String>,
    /// Next scheduled sync (Unix s).
    pub next_sync: Option<i64>,
    /// Paused by Strava's rate limit until (Unix s).
    pub paused_until: Option<i64>,
    /// Why the last sync or connect attempt failed.
    pub last_error: Option<String>,
    /// The member uses their own app.
    pub own_credentials: bool,
    /// A sync of this member is running (on any process on the store).
    pub syncing: bool,
}

/// `GET /api/me/strava-credentials`: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsView {
    /// The member stored their own app.
    pub own: bool,
    /// Its client id.
    pub client_id: Option<String>,
    /// The instance has an app members may use.
    pub instance: bool,
}

/// `POST /api/strava/reset` modes (the original's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ResetMode {
    /// Cursor = start of the newest activity already synced.
    Soft,
    /// No cursor: the next sync lists the whole history (already synced
    /// activities are skipped).
    Hard,
}

/// What a reset did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetOutcome {
    /// Always true.
    pub ok: bool,
    /// The mode.
    pub mode: ResetMode,
    /// The new cursor (Unix s), the original's `last_sync_at`.
    pub last_sync_at: Option<i64>,
}

/// The Strava sync service. Cheap to clone.
#[derive(Clone)]
pub struct StravaSync {
    inner: Arc<Inner>,
}

struct Inner {
    api: Arc<dyn StravaApi>,
    store: Arc<dyn ConnectionStore>,
    users: Arc<dyn UserStore>,
    activities: Activities,
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    config: StravaConfig,
    gate: limits::RateGate,
    /// Members whose sync runs in this process (one at a time each).
    running: Mutex<HashSet<String>>,
    /// One token refresh at a time per member (a rotated refresh token
    /// used twice would be refused the second time): in this process…
    refreshing: tokens::RefreshLocks,
    /// …and across processes (lease `strava-token|<handle>`), with the
    /// member's sync and the scheduled rounds.
    leases: crate::lease::Leases,
    /// Where the processes share the rate-limit pause.
    coord: Arc<dyn crate::store::CoordStore>,
}

impl StravaSync {
    /// A service over the stores, the API port and the key ring.
    pub fn new(
        api: Arc<dyn StravaApi>,
        store: Arc<dyn ConnectionStore>,
        users: Arc<dyn UserStore>,
        activities: Activities,
        keys: Arc<KeyRing>,
        config: StravaConfig,
    ) -> Self {
        let clock = activities.clock().clone();
        let coord: Arc<dyn crate::store::CoordStore> = users.clone();
        Self {
            inner: Arc::new(Inner {
                leases: crate::lease::Leases::new(coord.clone(), clock.clone()),
                coord,
                api,
                store,
                users,
                activities,
                keys,
                clock,
                config,
                gate: limits::RateGate::default(),
                running: Mutex::default(),
                refreshing: tokens::RefreshLocks::default(),
            }),
        }
    }

    fn aad(handle: &str, purpose: &str) -> String {
        format!("bincio:{PROVIDER}:{handle}:{purpose}")
    }

    fn seal(&self, handle: &str, purpose: &str, plain: &[u8]) -> CoreResult<Vec<u8>> {
        self.inner
            .keys
            .seal(&Self::aad(handle, purpose), plain)
            .map_err(|e| CoreError::Internal(format!("sealing a secret: {e}")))
    }

    fn open(&self, handle: &str, purpose: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.inner.keys.open(&Self::aad(handle, purpose), sealed)
    }

    async fn connection(&self, handle: &str) -> CoreResult<Option<Connection>> {
        Ok(self.inner.store.get_connection(handle, PROVIDER).await?)
    }

    async fn patch(&self, handle: &str, patch: ConnectionPatch) -> CoreResult<Connection> {
        Ok(self
            .inner
            .store
            .patch_connection(handle, PROVIDER, &patch, self.inner.clock.unix())
            .await?)
    }

    /// The member's own app, if stored and readable.
    fn own_app(&self, c: Option<&Connection>) -> Option<AppCredentials> {
        let c = c?;
        let plain = self.open(&c.handle, "credentials", c.credentials.as_deref()?)?;
        serde_json::from_slice(&plain).ok()
    }

    /// The app a member's calls use: their own, else the instance's.
    fn app_for(&self, c: Option<&Connection>) -> Option<AppCredentials> {
        self.own_app(c).or_else(|| self.inner.config.app.clone())
    }

    /// The member's Strava state.
    pub async fn status(&self, user: &User) -> CoreResult<StravaStatus> {
        let c = self.connection(&user.handle).await?;
        let own = self.own_app(c.as_ref()).is_some();
        let connected = c.as_ref().and_then(|c| self.tokens_of(c)).is_some();
        let c = c.unwrap_or_default();
        let mut last_error = c.last_error.clone();
        if !connected && c.tokens.is_some() && last_error.is_none() {
            last_error =
                Some("The stored Strava access can no longer be read; connect again".into());
        }
        Ok(StravaStatus {
            configured: own || self.inner.config.app.is_some(),
            connected,
            last_sync: c.last_sync,
            athlete_id: c.athlete_id.filter(|_| connected),
            athlete_name: c.athlete_name.filter(|_| connected),
            scopes: c.scopes.filter(|_| connected),
            next_sync: c.next_sync.filter(|_| connected),
            paused_until: c.paused_until.filter(|t| *t > self.inner.clock.unix()),
            last_error,
            own_credentials: own,
            syncing: self.is_running(&user.handle).await?,
        })
    }

    /// What the member stored as their own app (never the secret).
    pub async fn credentials(&self, user: &User) -> CoreResult<CredentialsView> {
        let c = self.connection(&user.handle).await?;
        let own = self.own_app(c.as_ref());
        Ok(CredentialsView {
            own: own.is_some(),
            client_id: own.map(|a| a.client_id),
            instance: self.inner.config.app.is_some(),
        })
    }

    /// Store the member's own app (sealed). Both fields are required:
    /// a client id is digits, a secret 1–200 printable characters.
    pub async fn set_credentials(&self, user: &User, app: AppCredentials) -> CoreResult<()> {
        let id = app.client_id.trim();
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoreError::invalid(
                "client_id must be the app's numeric client id",
            ));
        }
        let secret = app.client_secret.trim();
        if secret.is_empty() || secret.len() > 200 || secret.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "client_secret must be 1–200 printable characters",
            ));
        }
        let app = AppCredentials {
            client_id: id.to_owned(),
            client_secret: secret.to_owned(),
        };
        let plain = serde_json::to_vec(&app)
            .map_err(|e| CoreError::Internal(format!("credentials: {e}")))?;
        let sealed = self.seal(&user.handle, "credentials", &plain)?;
        self.patch(
            &user.handle,
            ConnectionPatch {
                credentials: Some(Some(sealed)),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        Ok(())
    }

    /// Forget the member's own app.
    pub async fn clear_credentials(&self, user: &User) -> CoreResult<()> {
        if self.connection(&user.handle).await?.is_some() {
            self.patch(
                &user.handle,
                ConnectionPatch {
                    credentials: Some(None),
                    ..ConnectionPatch::default()
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Move the cursor back (the original's soft / hard reset).
    pub async fn reset(&self, user: &User, mode: ResetMode) -> CoreResult<ResetOutcome> {
        let c = self.connection(&user.handle).await?;
        if c.as_ref().and_then(|c| self.tokens_of(c)).is_none() {
            return Err(CoreError::invalid("Not connected to Strava"));
        }
        let cursor = match mode {
            ResetMode::Hard => None,
            ResetMode::Soft => self.newest_synced_start(&user.handle).await?,
        };
        self.patch(
            &user.handle,
            ConnectionPatch {
                cursor: Some(cursor),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        Ok(ResetOutcome {
            ok: true,
            mode,
            last_sync_at: cursor,
        })
    }

    /// Start of the member's newest activity that came from Strava.
    async fn newest_synced_start(&self, handle: &str) -> CoreResult<Option<i64>> {
        let mut before = None;
        loop {
            let page = self
                .inner
                .activities
                .store()
                .summaries(crate::store::SummaryQuery {
                    handle: Some(handle.to_owned()),
                    before: before.clone(),
                    limit: 1000,
                    lean: true,
                    ..Default::default()
                })
                .await?;
            if let Some(r) = page
                .iter()
                .find(|r| r.source.as_deref() == Some(convert::SOURCE))
            {
                return Ok(Some(r.started_at));
            }
            match page.last() {
                Some(r) if page.len() == 1000 => {
                    before = Some(crate::model::FeedCursor {
                        started_at: r.started_at,
                        id: r.id.clone(),
                    })
                }
                _ => return Ok(None),
            }
        }
    }

    /// A sync of `handle` runs here or on another process (its lease is
    /// held).
    async fn is_running(&self, handle: &str) -> CoreResult<bool> {
        let here = self
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(handle);
        if here {
            return Ok(true);
        }
        let now = self.inner.clock.unix();
        Ok(self
            .inner
            .coord
            .lease(&run::member_lease(handle), now)
            .await?
            .is_some())
    }

    /// The activities service (for its store and clock).
    pub fn activities(&self) -> &Activities {
        &self.inner.activities
    }

    /// The user store.
    fn users(&self) -> &Arc<dyn UserStore> {
        &self.inner.users
    }
}
