//! Staff access (§8.6): header `ccip: <staff_key>` when the event configures
//! a staff key, or a bincio session (cookie `bincio_session` or
//! `Authorization: Bearer`) of an account with the staff or admin role.
//! Anything else: 403 `{"message": "staff only"}`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::CcipError;
use super::CcipState;

/// Proof that the caller is staff.
pub struct Staff;

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
                return Ok(Staff);
            }
        }
        if let (Some(accounts), Some(token)) =
            (&state.accounts, crate::auth::presented_token(parts))
        {
            if let Some(user) = accounts.authenticate(&token).await? {
                if user.is_staff() {
                    return Ok(Staff);
                }
            }
        }
        Err(CcipError::staff_only())
    }
}
