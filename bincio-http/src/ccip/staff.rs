//! Staff access (§8.6): header `ccip: <staff_key>` when the event configures
//! a staff key, or a bincio session (cookie `bincio_session` or
//! `Authorization: Bearer`) of an account with the staff or admin role.
//! Anything else: 403 `{"message": "staff only"}`.
//!
//! When the session cookie is the credential, a cross-site request is
//! refused whatever its method (`revoke` and `coupon` change state on GET):
//! 403 `{"message": "cross-site request refused"}` (`crate::cross_site`).
//! The `ccip` header and Bearer tokens are never refused that way.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::CcipError;
use super::CcipState;

/// Proof that the caller is staff, and who: `staff-key` (the shared
/// header) or `staff:<handle>` (an account), as the audit log records it.
pub struct Staff {
    pub actor: String,
}

/// Compare without an early exit on the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<CcipState> for Staff {
    type Rejection = CcipError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &CcipState,
    ) -> Result<Self, Self::Rejection> {
        if let (Some(key), Some(given)) = (
            state.service.config().staff_key.as_deref(),
            parts.headers.get("ccip"),
        ) {
            if same(key.as_bytes(), given.as_bytes()) {
                return Ok(Staff {
                    actor: "staff-key".into(),
                });
            }
        }
        if crate::auth::cookie_token(&parts.headers).is_some()
            && crate::cross_site::is_cross_site(
                &parts.headers,
                parts.uri.authority().map(|a| a.as_str()),
                state.public_url.as_deref(),
            )
        {
            tracing::info!(path = %parts.uri.path(), "cross-site staff request refused");
            return Err(CcipError::cross_site());
        }
        if let (Some(accounts), Some(token)) =
            (&state.accounts, crate::auth::presented_token(parts))
        {
            if let Some(user) = accounts.authenticate(&token).await? {
                if user.is_staff() {
                    return Ok(Staff {
                        actor: format!("staff:{}", user.handle),
                    });
                }
            }
        }
        Err(CcipError::staff_only())
    }
}
