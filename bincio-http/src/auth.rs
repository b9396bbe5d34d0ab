//! Who is calling: session cookie `bincio_session` or
//! `Authorization: Bearer <token>` (mobile clients).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use bincio_core::model::User;

use crate::error::ApiError;
use crate::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bincio_session";

/// The raw session token presented by the request, cookie first.
pub fn presented_token(parts: &Parts) -> Option<String> {
    cookie_token(&parts.headers).or_else(|| bearer_token(parts))
}

/// The session cookie's token, if the request carries one (then it is the
/// request's credential, and cross-site requests are refused:
/// [`crate::cross_site`]).
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).map(str::to_owned)
}

/// The value of cookie `name` (the first one), trimmed; `None` when absent
/// or empty.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The logged-in user, if any (never rejects).
pub struct MaybeUser(pub Option<User>, pub Option<String>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = presented_token(parts) else {
            return Ok(Self(None, None));
        };
        let user = state.accounts().authenticate(&token).await?;
        Ok(Self(user, Some(token)))
    }
}

/// A logged-in user (401 `Not authenticated` otherwise). Carries the token
/// so password changes can keep the caller's own session.
pub struct AuthUser {
    /// The account.
    pub user: User,
    /// The clear token the request presented.
    pub token: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(user), Some(token)) => Ok(Self { user, token }),
            _ => Err(ApiError::Unauthenticated),
        }
    }
}

/// A logged-in admin (401 / 403 `Admin required`).
pub struct AdminUser(pub User);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthUser { user, .. } = AuthUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(Self(user))
        } else {
            Err(ApiError::AdminRequired)
        }
    }
}
