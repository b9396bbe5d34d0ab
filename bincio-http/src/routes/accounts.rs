//! Auth / account routes (`bincio.md` §2.2 "Auth / account").

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::accounts::{IssuedSession, SESSION_TTL_SECS};
use bincio_core::ratelimit::Attempt;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{AuthUser, MaybeUser, SESSION_COOKIE};
use crate::client::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::AppState;

fn session_cookie(st: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if st.config().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let v = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn with_cookie(cookie: HeaderValue, body: Value) -> Response {
    let mut h = HeaderMap::new();
    h.insert(SET_COOKIE, cookie);
    (h, Json(body)).into_response()
}

/// Run `f` under the core's limit of `attempt` (keys and budgets are the
/// core's rule, `bincio_core::ratelimit`): refused with 429 while over it; a
/// failed outcome (4xx) counts.
async fn limited<T>(
    st: &AppState,
    attempt: Attempt<'_>,
    f: impl std::future::Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    if !st.limiter().allowed(attempt) {
        return Err(ApiError::too_many());
    }
    let out = f.await;
    if let Err(e) = &out {
        if e.status().is_client_error() {
            st.limiter().record_failure(attempt);
        }
    }
    out
}

pub(crate) async fn me(
    State(st): State<AppState>,
    MaybeUser(user, _): MaybeUser,
) -> ApiResult<Json<Value>> {
    let user = user.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Not logged in"))?;
    let settings = st.accounts().settings().await?;
    Ok(Json(json!({
        "handle": user.handle,
        "display_name": user.display_name,
        "is_admin": user.is_admin(),
        "role": user.role.as_str(),
        "store_originals_default": settings.store_originals,
        "dem_configured": st.activities().dem_configured(),
    })))
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    handle: String,
    password: String,
}

async fn login_inner(st: &AppState, client: &str, c: Credentials) -> ApiResult<IssuedSession> {
    let attempt = Attempt::Login {
        client,
        handle: &c.handle,
    };
    limited(st, attempt, async {
        Ok(st.accounts().login(&c.handle, &c.password).await?)
    })
    .await
}

pub(crate) async fn login(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let s = login_inner(&st, &client, c).await?;
    Ok(with_cookie(
        session_cookie(&st, &s.token, SESSION_TTL_SECS),
        json!({"ok": true, "handle": s.user.handle, "display_name": s.user.display_name}),
    ))
}

pub(crate) async fn token(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Json<Value>> {
    let s = login_inner(&st, &client, c).await?;
    Ok(Json(json!({
        "ok": true,
        "token": s.token,
        "handle": s.user.handle,
        "display_name": s.user.display_name,
        "expires_at": s.expires_at,
    })))
}

pub(crate) async fn logout(
    State(st): State<AppState>,
    MaybeUser(_, token): MaybeUser,
) -> ApiResult<Response> {
    if let Some(t) = token {
        st.accounts().logout(&t).await?;
    }
    Ok(with_cookie(session_cookie(&st, "", 0), json!({"ok": true})))
}

#[derive(Deserialize)]
pub(crate) struct ResetBody {
    handle: String,
    code: String,
    password: String,
}

pub(crate) async fn reset_password(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<ResetBody>,
) -> ApiResult<Json<Value>> {
    limited(&st, Attempt::ResetPassword { client: &client }, async {
        st.accounts()
            .reset_password(&b.handle, &b.code, &b.password)
            .await?;
        Ok(Json(json!({"ok": true})))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct RegisterBody {
    code: String,
    handle: String,
    password: String,
    #[serde(default)]
    display_name: String,
}

pub(crate) async fn register(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<Response> {
    let s = limited(&st, Attempt::Register { client: &client }, async {
        Ok(st
            .accounts()
            .register(&b.code, &b.handle, &b.password, &b.display_name)
            .await?)
    })
    .await?;
    Ok(with_cookie(
        session_cookie(&st, &s.token, SESSION_TTL_SECS),
        json!({"ok": true, "handle": s.user.handle}),
    ))
}

pub(crate) async fn list_invites(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<Value>> {
    let invites = st.accounts().list_invites(&a.user).await?;
    Ok(Json(Value::Array(
        invites
            .into_iter()
            .map(|i| {
                json!({
                    "code": i.code,
                    "used": i.used_by.is_some(),
                    "used_by": i.used_by,
                    "created_at": i.created_at,
                    "used_at": i.used_at,
                })
            })
            .collect(),
    )))
}

pub(crate) async fn create_invite(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<Value>> {
    let i = st.accounts().create_invite(&a.user).await?;
    Ok(Json(json!({"ok": true, "code": i.code})))
}

/// Community stats. Public on an open instance; on a private instance (the
/// default) only members see who the members are.
pub(crate) async fn stats(
    State(st): State<AppState>,
    MaybeUser(user, _): MaybeUser,
) -> ApiResult<Json<Value>> {
    if user.is_none() && st.accounts().settings().await?.private {
        return Err(ApiError::unauthenticated());
    }
    let members = st.accounts().community().await?;
    Ok(Json(
        json!({"user_count": members.len(), "members": members}),
    ))
}

#[derive(Deserialize)]
pub(crate) struct DisplayNameBody {
    display_name: String,
}

pub(crate) async fn set_display_name(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<DisplayNameBody>,
) -> ApiResult<Json<Value>> {
    let name = st
        .accounts()
        .set_display_name(&a.user, &b.display_name)
        .await?;
    Ok(Json(json!({"ok": true, "display_name": name})))
}

#[derive(Deserialize)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Json<Value>> {
    st.accounts()
        .change_password(
            &a.user,
            Some(&a.token),
            &b.current_password,
            &b.new_password,
        )
        .await?;
    Ok(Json(json!({"ok": true})))
}

pub(crate) async fn get_prefs(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<BTreeMap<String, String>>> {
    Ok(Json(st.accounts().prefs(&a.user).await?))
}

/// Every value is coerced to a string (as the original's `str()`): JSON
/// strings verbatim, `true` → `"true"`, numbers as written.
pub(crate) async fn put_prefs(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let Value::Object(map) = body else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Expected a JSON object",
        ));
    };
    let prefs = map
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect();
    st.accounts().set_prefs(&a.user, prefs).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
pub(crate) struct DeleteMeBody {
    password: String,
}

pub(crate) async fn delete_me(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<DeleteMeBody>,
) -> ApiResult<Response> {
    st.accounts().delete_account(&a.user, &b.password).await?;
    Ok(with_cookie(session_cookie(&st, "", 0), json!({"ok": true})))
}
