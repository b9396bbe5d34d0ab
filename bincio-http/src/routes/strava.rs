//! The Strava sync routes, as the original served them
//! (`/api/strava/status|auth-url|callback|sync|sync/stream|reset`,
//! `/api/me/strava-credentials`), plus `POST /api/strava/disconnect`
//! (revokes the access at Strava). Every rule is the core's
//! ([`bincio_core::sync::strava`]); a manual sync is a job in
//! `/api/admin/jobs` (kind `strava-sync`) either way.
//!
//! The callback is a top-level navigation from Strava (cross-site by
//! nature, and a `GET`): what makes it safe is the single-use state bound
//! to the session that asked for the authorize link.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::sync::strava::{
    self, job_progress, AppCredentials, CallbackQuery, CredentialsView, ResetMode, ResetOutcome,
    StravaStatus, StravaSync, SyncEvent, SyncReport,
};
use bincio_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OkBody;
use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(auth_url))
        .routes(routes!(callback))
        .routes(routes!(sync))
        .routes(routes!(sync_stream))
        .routes(routes!(reset))
        .routes(routes!(disconnect))
        .routes(routes!(
            get_credentials,
            put_credentials,
            delete_credentials
        ))
}

/// The service, or 503 when the instance does not offer the sync.
pub(crate) fn service(st: &AppState) -> Result<&StravaSync, CoreError> {
    st.strava()
        .ok_or_else(|| CoreError::Unavailable("Strava sync is not enabled on this server".into()))
}

/// The member's Strava connection.
#[utoipa::path(get, path = "/api/strava/status", tag = "strava",
    responses((status = 200, body = StravaStatus),
        (status = 401, description = "`Not authenticated`", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn status(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Json<StravaStatus>> {
    Ok(Json(service(&st)?.status(&user).await?))
}

/// `{"url": …}`: where to send the member to connect.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuthUrl {
    url: String,
}

/// The authorize URL (a new single-use state, 10 minutes, bound to this
/// session).
#[utoipa::path(get, path = "/api/strava/auth-url", tag = "strava",
    responses((status = 200, body = AuthUrl),
        (status = 400, description = "Strava is not configured", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn auth_url(
    State(st): State<AppState>,
    AuthUser { user, token }: AuthUser,
) -> ApiResult<Json<AuthUrl>> {
    let url = service(&st)?.auth_url(&user, &token).await?;
    Ok(Json(AuthUrl { url }))
}

/// Where Strava sends the member back: 303 to `/settings/?strava=…`
/// (`connected`, `denied`, `scope`, `expired` or `error`; the settings
/// page shows why).
#[utoipa::path(get, path = "/api/strava/callback", tag = "strava",
    params(CallbackQuery),
    responses((status = 303, description = "to `/settings/?strava=<outcome>`", body = CallbackBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn callback(
    State(st): State<AppState>,
    MaybeUser(user, token): MaybeUser,
    Query(q): Query<CallbackQuery>,
) -> ApiResult<Response> {
    let outcome = match (user, token) {
        (Some(user), Some(token)) => service(&st)?.callback(&user, &token, q).await?,
        _ => strava::ConnectOutcome::BadState,
    };
    let to = format!("/settings/?strava={}", outcome.as_str());
    let body = CallbackBody {
        strava: outcome.as_str(),
    };
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)], Json(body)).into_response())
}

/// The body next to the callback's redirect (browsers follow `Location`).
#[derive(Serialize, ToSchema)]
pub(crate) struct CallbackBody {
    /// `connected`, `denied`, `scope`, `expired` or `error`.
    strava: &'static str,
}

/// Sync now; answers when done (a job in `/api/admin/jobs` meanwhile).
#[utoipa::path(post, path = "/api/strava/sync", tag = "strava",
    responses((status = 200, body = SyncReport),
        (status = 400, description = "Not connected", body = ErrorBody),
        (status = 409, description = "A sync is already running", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn sync(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Json<SyncReport>> {
    let svc = service(&st)?;
    let job = st.jobs().start(&user.handle, "strava-sync", 0);
    let report = svc
        .sync(&user.handle, &mut |e| job_progress(&job, &e))
        .await?;
    Ok(Json(report))
}

/// Sync now, with progress as server-sent events: `data: {"type": …}`
/// with `fetching`, `progress {n,total,name,status}`, `paused
/// {until,message}`, then `done {imported,updated,skipped,error_count,
/// errors}` or `error {message}`. The sync goes on if the client leaves.
#[utoipa::path(get, path = "/api/strava/sync/stream", tag = "strava",
    responses((status = 200, description = "Server-sent events", body = SyncEvent, content_type = "text/event-stream"),
        (status = 400, description = "Not connected", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn sync_stream(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Response> {
    let svc = service(&st)?.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<SyncEvent>();
    let job = st.jobs().start(&user.handle, "strava-sync", 0);
    tokio::spawn(async move {
        let _ = svc
            .sync(&user.handle, &mut |e| {
                job_progress(&job, &e);
                let _ = tx.send(e);
            })
            .await;
    });
    Ok(super::upload::sse(rx))
}

/// `{"mode": "soft" | "hard"}`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ResetBody {
    #[serde(default = "soft")]
    mode: ResetMode,
}

fn soft() -> ResetMode {
    ResetMode::Soft
}

/// Move the sync cursor back: `soft` to the newest synced activity,
/// `hard` to the beginning (nothing is imported twice either way).
#[utoipa::path(post, path = "/api/strava/reset", tag = "strava",
    request_body = ResetBody,
    responses((status = 200, body = ResetOutcome),
        (status = 400, description = "Not connected", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn reset(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
    ApiJson(body): ApiJson<ResetBody>,
) -> ApiResult<Json<ResetOutcome>> {
    Ok(Json(service(&st)?.reset(&user, body.mode).await?))
}

/// Revoke the access at Strava and forget the tokens.
#[utoipa::path(post, path = "/api/strava/disconnect", tag = "strava",
    responses((status = 200, body = OkBody),
        (status = 503, description = "Strava could not be reached", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn disconnect(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Json<OkBody>> {
    service(&st)?.disconnect(&user).await?;
    Ok(Json(OkBody::YES))
}

/// The member's own Strava app (never the secret).
#[utoipa::path(get, path = "/api/me/strava-credentials", tag = "strava",
    responses((status = 200, body = CredentialsView)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_credentials(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Json<CredentialsView>> {
    Ok(Json(service(&st)?.credentials(&user).await?))
}

/// `{"client_id", "client_secret"}` of the member's own Strava app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialsBody {
    client_id: String,
    client_secret: String,
}

/// Use the member's own Strava app (stored encrypted).
#[utoipa::path(put, path = "/api/me/strava-credentials", tag = "strava",
    request_body = CredentialsBody,
    responses((status = 200, body = OkBody),
        (status = 400, description = "Bad client id or secret", body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn put_credentials(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> ApiResult<Json<OkBody>> {
    let app = AppCredentials {
        client_id: body.client_id,
        client_secret: body.client_secret,
    };
    service(&st)?.set_credentials(&user, app).await?;
    Ok(Json(OkBody::YES))
}

/// Forget the member's own Strava app.
#[utoipa::path(delete, path = "/api/me/strava-credentials", tag = "strava",
    responses((status = 200, body = OkBody)))]
#[tracing::instrument(skip_all)]
pub(crate) async fn delete_credentials(
    State(st): State<AppState>,
    AuthUser { user, .. }: AuthUser,
) -> ApiResult<Json<OkBody>> {
    service(&st)?.clear_credentials(&user).await?;
    Ok(Json(OkBody::YES))
}
