//! A member's tokens: sealed in the connection record, opened on use,
//! refreshed ahead of expiry with the rotated pair stored first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::api::{ApiError, AppCredentials, TokenGrant};
use super::StravaSync;
use crate::error::{CoreError, CoreResult};
use crate::store::{Connection, ConnectionPatch};

/// Refresh when less than this is left (s).
pub(super) const REFRESH_AHEAD_S: i64 = 3600;

/// What is sealed: the pair and the access token's expiry.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: i64,
}

impl From<&TokenGrant> for Tokens {
    fn from(g: &TokenGrant) -> Self {
        Self {
            access_token: g.access_token.clone(),
            refresh_token: g.refresh_token.clone(),
            expires_at: g.expires_at,
        }
    }
}

/// Time-to-live of a member's token-refresh lease (renewed while held).
const REFRESH_LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// How often a process waiting for another's refresh looks again.
const REFRESH_LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// One async lock per member.
#[derive(Default)]
pub(super) struct RefreshLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl RefreshLocks {
    fn of(&self, handle: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(handle.to_owned())
            .or_default()
            .clone()
    }
}

/// The message a member sees after Strava stopped accepting the access.
pub(super) const REVOKED: &str =
    "Strava no longer accepts this connection (access revoked or expired); connect again";

impl StravaSync {
    /// The member's tokens if stored and readable.
    pub(super) fn tokens_of(&self, c: &Connection) -> Option<Tokens> {
        let plain = self.open(&c.handle, "tokens", c.tokens.as_deref()?)?;
        serde_json::from_slice(&plain).ok()
    }

    /// Seal `t` into a patch.
    pub(super) fn sealed(&self, handle: &str, t: &Tokens) -> CoreResult<Vec<u8>> {
        let plain =
            serde_json::to_vec(t).map_err(|e| CoreError::Internal(format!("tokens: {e}")))?;
        self.seal(handle, "tokens", &plain)
    }

    /// Strava refused the tokens: the connection shows as disconnected,
    /// with why.
    pub(super) async fn mark_revoked(&self, handle: &str) -> CoreResult<()> {
        tracing::warn!(%handle, "Strava refused the member's tokens; marked disconnected");
        self.patch(
            handle,
            ConnectionPatch {
                tokens: Some(None),
                paused_until: Some(None),
                next_sync: Some(None),
                last_error: Some(Some(REVOKED.into())),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        Ok(())
    }

    /// A usable access token for `handle` with `app`: the stored one, or
    /// a refreshed one (stored before it is returned). `Invalid` when not
    /// connected or Strava refuses the refresh (then marked disconnected).
    pub(super) async fn access_token(
        &self,
        handle: &str,
        app: &AppCredentials,
    ) -> CoreResult<String> {
        // Fast path: a token that is still good needs no lock at all.
        if let Some(t) = self
            .connection(handle)
            .await?
            .and_then(|c| self.tokens_of(&c))
        {
            if t.expires_at - self.inner.clock.unix() >= REFRESH_AHEAD_S {
                return Ok(t.access_token);
            }
        }
        let lock = self.inner.refreshing.of(handle);
        let _held = lock.lock().await;
        let lease = format!("strava-token|{handle}");
        self.inner
            .leases
            .run_exclusive(
                &lease,
                REFRESH_LEASE_TTL,
                REFRESH_LEASE_POLL,
                self.refresh_held(handle, app),
            )
            .await
    }

    /// The refresh of [`Self::access_token`], under the member's lock and
    /// lease.
    async fn refresh_held(&self, handle: &str, app: &AppCredentials) -> CoreResult<String> {
        // Read under the locks: another task or process may have just
        // refreshed.
        let c = self.connection(handle).await?;
        let Some(t) = c.as_ref().and_then(|c| self.tokens_of(c)) else {
            return Err(CoreError::invalid("Not connected to Strava"));
        };
        let now = self.inner.clock.unix();
        if t.expires_at - now >= REFRESH_AHEAD_S {
            return Ok(t.access_token);
        }
        match self.inner.api.refresh(app, &t.refresh_token).await {
            Ok(g) => {
                let fresh = Tokens::from(&g);
                // Stored before use: if Strava rotated the refresh token,
                // the old one is dead, and a crash after this line must
                // not leave us holding only the dead one.
                self.patch(
                    handle,
                    ConnectionPatch {
                        tokens: Some(Some(self.sealed(handle, &fresh)?)),
                        ..ConnectionPatch::default()
                    },
                )
                .await?;
                Ok(fresh.access_token)
            }
            Err(ApiError::BadGrant(_) | ApiError::Unauthorized(_)) => {
                self.mark_revoked(handle).await?;
                Err(CoreError::invalid(REVOKED))
            }
            Err(e) => Err(CoreError::Unavailable(e.to_string())),
        }
    }
}
