//! Sign-in routes (`bincio.md` §2.2 "Auth / account"): login (cookie or
//! Bearer token), logout, password reset with a code, registration with an
//! invite. Attempts are limited by the core's rules
//! (`bincio_core::ratelimit`).

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::accounts::SESSION_TTL_SECS;
use bincio_core::ratelimit::Attempt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OkBody;
use crate::auth::MaybeUser;
use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(token))
        .routes(routes!(logout))
        .routes(routes!(reset_password))
        .routes(routes!(register))
}

/// `bincio_session=…` (`max_age` 0 clears it): the one session-cookie
/// format, shared with the web pages (`web::cookies::session`).
pub(super) fn session_cookie(st: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let v = crate::web::cookies::session(token, max_age, st.config().secure_cookies);
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A JSON body with a `Set-Cookie` header.
pub(super) struct WithCookie<T>(pub HeaderValue, pub T);

impl<T: Serialize> IntoResponse for WithCookie<T> {
    fn into_response(self) -> Response {
        ([(SET_COOKIE, self.0)], Json(self.1)).into_response()
    }
}

/// Run `f` under the core's limit of `attempt`: refused with 429 while
/// over it; a failed outcome (4xx) counts.
async fn limited<T>(
    st: &AppState,
    attempt: Attempt<'_>,
    f: impl std::future::Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    if !st.limiter().allowed(attempt).await? {
        return Err(ApiError::TooManyAttempts);
    }
    let out = f.await;
    if let Err(e) = &out {
        if e.status().is_client_error() {
            st.limiter().record_failure(attempt).await;
        }
    }
    out
}

/// Handle and password (the handle is trimmed and lower-cased).
#[derive(Deserialize, ToSchema)]
pub(crate) struct Credentials {
    handle: String,
    password: String,
}

/// A signed-in account.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginBody {
    ok: bool,
    handle: String,
    display_name: String,
}

/// A session token for `Authorization: Bearer` (mobile clients).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenBody {
    ok: bool,
    /// The clear token, shown once.
    token: String,
    handle: String,
    display_name: String,
    /// Unix seconds.
    expires_at: i64,
}

async fn sign_in(
    st: &AppState,
    client: &str,
    c: Credentials,
) -> ApiResult<bincio_core::accounts::IssuedSession> {
    let attempt = Attempt::Login {
        client,
        handle: &c.handle,
    };
    limited(st, attempt, async {
        Ok(st.accounts().login(&c.handle, &c.password).await?)
    })
    .await
}

/// Log in: sets the session cookie (30 days).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = LoginBody, headers(("set-cookie" = String, description = "`bincio_session`, HttpOnly, SameSite=Lax"))),
        (status = 401, description = "`Invalid credentials`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %c.handle))]
pub(crate) async fn login(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<WithCookie<LoginBody>> {
    let s = sign_in(&st, &client, c).await?;
    Ok(WithCookie(
        session_cookie(&st, &s.token, SESSION_TTL_SECS),
        LoginBody {
            ok: true,
            handle: s.user.handle,
            display_name: s.user.display_name,
        },
    ))
}

/// Log in for a Bearer token (no cookie).
#[utoipa::path(post, path = "/api/auth/token", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = TokenBody),
        (status = 401, description = "`Invalid credentials`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %c.handle))]
pub(crate) async fn token(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Json<TokenBody>> {
    let s = sign_in(&st, &client, c).await?;
    Ok(Json(TokenBody {
        ok: true,
        token: s.token,
        handle: s.user.handle,
        display_name: s.user.display_name,
        expires_at: s.expires_at,
    }))
}

/// End the presented session (if any) and clear the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 200, body = OkBody, headers(("set-cookie" = String, description = "clears `bincio_session`")))))]
#[tracing::instrument(skip_all)]
pub(crate) async fn logout(
    State(st): State<AppState>,
    MaybeUser(_, token): MaybeUser,
) -> ApiResult<WithCookie<OkBody>> {
    if let Some(t) = token {
        st.accounts().logout(&t).await?;
    }
    Ok(WithCookie(session_cookie(&st, "", 0), OkBody::YES))
}

/// A reset code issued by an admin, and the new password.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ResetBody {
    handle: String,
    code: String,
    password: String,
}

/// Set a new password with a reset code (every session is revoked).
#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth",
    request_body = ResetBody,
    responses(
        (status = 200, body = OkBody),
        (status = 400, description = "`Invalid or expired reset code`, or a too short password", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %b.handle))]
pub(crate) async fn reset_password(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<ResetBody>,
) -> ApiResult<Json<OkBody>> {
    limited(&st, Attempt::ResetPassword { client: &client }, async {
        st.accounts()
            .reset_password(&b.handle, &b.code, &b.password)
            .await?;
        Ok(Json(OkBody::YES))
    })
    .await
}

/// An invite code (or the one-time set-up code) and the new account.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RegisterBody {
    code: String,
    handle: String,
    password: String,
    /// Defaults to the handle.
    #[serde(default)]
    display_name: String,
}

/// A registered account.
#[derive(Serialize, ToSchema)]
pub(crate) struct Registered {
    ok: bool,
    handle: String,
}

/// Register with an invite; logs in (sets the session cookie).
#[utoipa::path(post, path = "/api/register", tag = "auth",
    request_body = RegisterBody,
    responses(
        (status = 200, body = Registered, headers(("set-cookie" = String, description = "`bincio_session`"))),
        (status = 400, description = "Invalid handle, password or invite", body = ErrorBody),
        (status = 403, description = "The instance's user limit is reached", body = ErrorBody),
        (status = 409, description = "`Handle already taken`", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %b.handle))]
pub(crate) async fn register(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<WithCookie<Registered>> {
    let s = limited(&st, Attempt::Register { client: &client }, async {
        Ok(st
            .accounts()
            .register(&b.code, &b.handle, &b.password, &b.display_name)
            .await?)
    })
    .await?;
    Ok(WithCookie(
        session_cookie(&st, &s.token, SESSION_TTL_SECS),
        Registered {
            ok: true,
            handle: s.user.handle,
        },
    ))
}
