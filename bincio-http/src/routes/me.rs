//! The signed-in account (`bincio.md` §2.2 "Auth / account"): profile,
//! password, preferences, invites, deleting the account, and the
//! community stats.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use bincio_core::accounts::Community;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{session_cookie, WithCookie};
use super::OkBody;
use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, delete_me))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(stats))
        .routes(routes!(set_display_name))
        .routes(routes!(change_password))
        .routes(routes!(get_prefs, put_prefs))
}

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub(crate) struct MeBody {
    handle: String,
    display_name: String,
    is_admin: bool,
    /// `user`, `staff` or `admin`.
    role: &'static str,
    /// The instance's `store_originals` setting (upload form default).
    store_originals_default: bool,
    /// Whether a DEM elevation service is configured.
    dem_configured: bool,
}

/// Who is signed in (404 `Not logged in` otherwise).
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses(
        (status = 200, body = MeBody),
        (status = 404, description = "`Not logged in`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub(crate) async fn me(
    State(st): State<AppState>,
    MaybeUser(user, _): MaybeUser,
) -> ApiResult<Json<MeBody>> {
    let user = user.ok_or(ApiError::NotLoggedIn)?;
    let settings = st.accounts().settings().await?;
    Ok(Json(MeBody {
        is_admin: user.is_admin(),
        role: user.role.as_str(),
        handle: user.handle,
        display_name: user.display_name,
        store_originals_default: settings.store_originals,
        dem_configured: st.activities().dem_configured(),
    }))
}

/// The caller's password, to confirm a destructive action.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PasswordConfirmation {
    pub(super) password: String,
}

/// Delete the account (and its sessions, invites, prefs); clears the
/// cookie.
#[utoipa::path(delete, path = "/api/me", tag = "accounts",
    request_body = PasswordConfirmation,
    responses(
        (status = 200, body = OkBody, headers(("set-cookie" = String, description = "clears `bincio_session`"))),
        (status = 401, description = "`Wrong password`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn delete_me(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<PasswordConfirmation>,
) -> ApiResult<WithCookie<OkBody>> {
    st.accounts().delete_account(&a.user, &b.password).await?;
    Ok(WithCookie(session_cookie(&st, "", 0), OkBody::YES))
}

/// One of the caller's invites.
#[derive(Serialize, ToSchema)]
pub(crate) struct InviteView {
    code: String,
    used: bool,
    /// Who redeemed it.
    used_by: Option<String>,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    used_at: Option<i64>,
}

/// The caller's invites, newest first.
#[utoipa::path(get, path = "/api/invites", tag = "accounts",
    responses((status = 200, body = Vec<InviteView>)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn list_invites(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<Vec<InviteView>>> {
    let invites = st.accounts().list_invites(&a.user).await?;
    Ok(Json(
        invites
            .into_iter()
            .map(|i| InviteView {
                code: i.code,
                used: i.used_by.is_some(),
                used_by: i.used_by,
                created_at: i.created_at,
                used_at: i.used_at,
            })
            .collect(),
    ))
}

/// A new invite code.
#[derive(Serialize, ToSchema)]
pub(crate) struct InviteCreated {
    ok: bool,
    code: String,
}

/// Mint an invite (at most 3 ever for members; admins without limit).
#[utoipa::path(post, path = "/api/invites", tag = "accounts",
    responses(
        (status = 200, body = InviteCreated),
        (status = 400, description = "`Invite limit reached (3)`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn create_invite(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<InviteCreated>> {
    let i = st.accounts().create_invite(&a.user).await?;
    Ok(Json(InviteCreated {
        ok: true,
        code: i.code,
    }))
}

/// Community stats: public on an open instance; on a private one (the
/// default) only members see who the members are.
#[utoipa::path(get, path = "/api/stats", tag = "accounts",
    responses(
        (status = 200, body = Community),
        (status = 401, description = "Anonymous viewer of a private instance", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub(crate) async fn stats(
    State(st): State<AppState>,
    MaybeUser(user, _): MaybeUser,
) -> ApiResult<Json<Community>> {
    Ok(Json(st.accounts().community_for(user.as_ref()).await?))
}

/// A display name (≤ 60 characters, may be empty).
#[derive(Deserialize, Serialize, ToSchema)]
pub(crate) struct DisplayName {
    display_name: String,
}

/// The display name as stored (trimmed).
#[derive(Serialize, ToSchema)]
pub(crate) struct DisplayNameSet {
    ok: bool,
    display_name: String,
}

/// Change the display name.
#[utoipa::path(put, path = "/api/me/display-name", tag = "accounts",
    request_body = DisplayName,
    responses(
        (status = 200, body = DisplayNameSet),
        (status = 400, description = "Too long", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn set_display_name(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<DisplayName>,
) -> ApiResult<Json<DisplayNameSet>> {
    let display_name = st
        .accounts()
        .set_display_name(&a.user, &b.display_name)
        .await?;
    Ok(Json(DisplayNameSet {
        ok: true,
        display_name,
    }))
}

/// The current password and the new one.
#[derive(Deserialize, ToSchema)]
pub(crate) struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Change the password; every other session is revoked.
#[utoipa::path(put, path = "/api/me/password", tag = "accounts",
    request_body = PasswordChange,
    responses(
        (status = 200, body = OkBody),
        (status = 400, description = "New password too short", body = ErrorBody),
        (status = 401, description = "`Current password is incorrect`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn change_password(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<PasswordChange>,
) -> ApiResult<Json<OkBody>> {
    st.accounts()
        .change_password(
            &a.user,
            Some(&a.token),
            &b.current_password,
            &b.new_password,
        )
        .await?;
    Ok(Json(OkBody::YES))
}

/// Preferences: string keys to string values (the site uses
/// `nav_hide_feed`, `nav_hide_community`, `nav_hide_about` = `"true"` /
/// `"false"`).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub(crate) struct Prefs(BTreeMap<String, String>);

/// The caller's preferences.
#[utoipa::path(get, path = "/api/me/prefs", tag = "accounts",
    responses((status = 200, body = Prefs)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn get_prefs(State(st): State<AppState>, a: AuthUser) -> ApiResult<Json<Prefs>> {
    Ok(Json(Prefs(st.accounts().prefs(&a.user).await?)))
}

/// Preferences to set: a JSON object whose values are coerced to strings
/// (strings verbatim, `true` → `"true"`, numbers as written); other keys
/// are kept.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub(crate) struct PrefsUpdate(Value);

/// Set some preferences (400 unless the body is a JSON object).
#[utoipa::path(put, path = "/api/me/prefs", tag = "accounts",
    request_body = PrefsUpdate,
    responses(
        (status = 200, body = OkBody),
        (status = 400, description = "`Expected a JSON object`, or too many / too long prefs", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn put_prefs(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(PrefsUpdate(body)): ApiJson<PrefsUpdate>,
) -> ApiResult<Json<OkBody>> {
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
    Ok(Json(OkBody::YES))
}
