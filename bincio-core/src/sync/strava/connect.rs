//! Connecting and disconnecting: the OAuth authorize → callback round
//! trip and the revocation at Strava.

use serde::Deserialize;

use super::api::{self, ApiError};
use super::tokens::Tokens;
use super::{StravaSync, PROVIDER};
use crate::accounts::tokens::{new_session_token, sha256_hex};
use crate::error::{CoreError, CoreResult};
use crate::model::User;
use crate::store::ConnectionPatch;

/// How long an authorize link stays good (s).
pub const STATE_TTL_S: i64 = 600;

/// The query Strava sends the member back with.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct CallbackQuery {
    /// Authorization code (on approval).
    pub code: Option<String>,
    /// Scopes the member left ticked (comma separated).
    pub scope: Option<String>,
    /// The state of the authorize link.
    pub state: Option<String>,
    /// `access_denied` when the member declined.
    pub error: Option<String>,
}

/// How a callback ended (the settings page says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// Tokens stored.
    Connected,
    /// The member declined at Strava.
    Denied,
    /// Approved without permission to read activities.
    MissingScope,
    /// The state was wrong, spent, expired or from another session.
    BadState,
    /// Strava refused the code or could not be reached.
    Failed,
}

impl ConnectOutcome {
    /// The word in the `?strava=` of the redirect.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Denied => "denied",
            Self::MissingScope => "scope",
            Self::BadState => "expired",
            Self::Failed => "error",
        }
    }
}

/// The state's hash as stored: bound to the session that asked for it.
fn state_hash(state: &str, session_token: &str) -> String {
    sha256_hex(&format!("{state}:{}", sha256_hex(session_token)))
}

impl StravaSync {
    /// An authorize URL for the member (a new single-use state, bound to
    /// `session_token`, replaces any pending one).
    pub async fn auth_url(&self, user: &User, session_token: &str) -> CoreResult<String> {
        let c = self.connection(&user.handle).await?;
        let app = self
            .app_for(c.as_ref())
            .ok_or_else(|| CoreError::invalid("Strava is not configured on this server"))?;
        let state = new_session_token();
        let expires = self.inner.clock.unix() + STATE_TTL_S;
        self.patch(
            &user.handle,
            ConnectionPatch {
                oauth_state: Some(Some((state_hash(&state, session_token), expires))),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        Ok(self.inner.api.authorize_url(
            &app.client_id,
            &self.inner.config.redirect_uri,
            api::SCOPE,
            &state,
        ))
    }

    /// Finish the round trip. Every outcome but a bad state is recorded
    /// on the connection (`last_error` says why it did not connect).
    pub async fn callback(
        &self,
        user: &User,
        session_token: &str,
        q: CallbackQuery,
    ) -> CoreResult<ConnectOutcome> {
        let handle = &user.handle;
        let Some(state) = q
            .state
            .as_deref()
            .filter(|s| !s.is_empty() && s.len() <= 128)
        else {
            return Ok(ConnectOutcome::BadState);
        };
        let now = self.inner.clock.unix();
        if !self
            .inner
            .store
            .take_oauth_state(handle, PROVIDER, &state_hash(state, session_token), now)
            .await?
        {
            return Ok(ConnectOutcome::BadState);
        }
        let fail = |outcome: ConnectOutcome, msg: &str| {
            let msg = msg.to_owned();
            async move {
                self.patch(
                    handle,
                    ConnectionPatch {
                        last_error: Some(Some(msg)),
                        ..ConnectionPatch::default()
                    },
                )
                .await?;
                Ok::<_, CoreError>(outcome)
            }
        };
        if q.error.is_some() {
            return fail(ConnectOutcome::Denied, "You declined access at Strava").await;
        }
        let scopes = q.scope.clone().unwrap_or_default();
        if !api::grants_activity_read(&scopes) {
            return fail(
                ConnectOutcome::MissingScope,
                "Strava access was granted without permission to read activities; \
                 connect again and leave \"View data about your activities\" ticked",
            )
            .await;
        }
        let Some(code) = q
            .code
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= 256)
        else {
            return fail(ConnectOutcome::Failed, "Strava sent no authorization code").await;
        };
        let c = self.connection(handle).await?;
        let Some(app) = self.app_for(c.as_ref()) else {
            return fail(
                ConnectOutcome::Failed,
                "Strava is not configured on this server",
            )
            .await;
        };
        let grant = match self.inner.api.exchange_code(&app, code).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(%handle, error = %e, "Strava code exchange failed");
                return fail(
                    ConnectOutcome::Failed,
                    "Strava refused the authorization; try again",
                )
                .await;
            }
        };
        let athlete = grant.athlete.clone().unwrap_or_default();
        let sealed = self.sealed(handle, &Tokens::from(&grant))?;
        // A different Strava account than before starts from scratch.
        let same = c.as_ref().and_then(|c| c.athlete_id) == Some(athlete.id);
        self.patch(
            handle,
            ConnectionPatch {
                tokens: Some(Some(sealed)),
                athlete_id: Some(Some(athlete.id)),
                athlete_name: Some(Some(athlete.display())),
                scopes: Some(Some(scopes)),
                last_error: Some(None),
                cursor: if same { None } else { Some(None) },
                ..ConnectionPatch::default()
            },
        )
        .await?;
        tracing::info!(%handle, athlete = athlete.id, "connected to Strava");
        Ok(ConnectOutcome::Connected)
    }

    /// Revoke the access at Strava and forget the tokens (the member's
    /// own app credentials stay). Already revoked is fine.
    pub async fn disconnect(&self, user: &User) -> CoreResult<()> {
        let handle = &user.handle;
        let c = self.connection(handle).await?;
        // A fresh access token (an expired one cannot revoke); refused or
        // unreadable tokens mean there is nothing left to revoke.
        let token = match (
            c.as_ref().and_then(|c| self.tokens_of(c)),
            self.app_for(c.as_ref()),
        ) {
            (None, _) => None,
            (Some(t), None) => Some(t.access_token),
            (Some(_), Some(app)) => match self.access_token(handle, &app).await {
                Ok(t) => Some(t),
                Err(CoreError::Invalid(_)) => None,
                Err(e) => return Err(e),
            },
        };
        if let Some(token) = token {
            match self.inner.api.deauthorize(&token).await {
                Ok(()) | Err(ApiError::Unauthorized(_) | ApiError::NotFound) => {}
                Err(e) => {
                    tracing::warn!(%handle, error = %e, "Strava deauthorize failed");
                    return Err(CoreError::Unavailable(
                        "Strava could not be reached to revoke the access; try again".into(),
                    ));
                }
            }
        }
        if c.is_some() {
            self.patch(
                handle,
                ConnectionPatch {
                    tokens: Some(None),
                    athlete_id: Some(None),
                    athlete_name: Some(None),
                    scopes: Some(None),
                    cursor: Some(None),
                    next_sync: Some(None),
                    paused_until: Some(None),
                    last_error: Some(None),
                    oauth_state: Some(None),
                    ..ConnectionPatch::default()
                },
            )
            .await?;
        }
        Ok(())
    }
}
