//! The caller's storage: what they use, dropping kept originals, wiping
//! their activities.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::me::PasswordConfirmation;
use super::{mb, Deleted};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(storage))
        .routes(routes!(delete_originals))
        .routes(routes!(delete_all_mine))
}

/// Storage used (MB with 2 decimals).
#[derive(Serialize, ToSchema)]
pub(crate) struct StorageBody {
    total_mb: f64,
    activities_mb: f64,
    activities_count: u64,
    originals_mb: f64,
    images_mb: f64,
}

/// What the caller's data uses.
#[utoipa::path(get, path = "/api/me/storage", tag = "storage",
    responses((status = 200, body = StorageBody)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn storage(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<StorageBody>> {
    let u = st.activities().storage(&a.user.handle).await?;
    Ok(Json(StorageBody {
        total_mb: mb(u.activities_bytes + u.originals_bytes + u.images_bytes),
        activities_mb: mb(u.activities_bytes),
        activities_count: u.activities_count,
        originals_mb: mb(u.originals_bytes),
        images_mb: mb(u.images_bytes),
    }))
}

/// Space freed (MB).
#[derive(Serialize, ToSchema)]
pub(crate) struct Freed {
    ok: bool,
    freed_mb: f64,
}

/// Drop every kept original file of the caller.
#[utoipa::path(delete, path = "/api/me/originals", tag = "storage",
    responses((status = 200, body = Freed)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn delete_originals(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<Freed>> {
    let freed = st.activities().delete_originals(&a.user.handle).await?;
    Ok(Json(Freed {
        ok: true,
        freed_mb: mb(freed),
    }))
}

/// Delete every activity of the caller (password required).
#[utoipa::path(delete, path = "/api/me/activities", tag = "storage",
    request_body = PasswordConfirmation,
    responses(
        (status = 200, body = Deleted),
        (status = 401, description = "`Wrong password`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn delete_all_mine(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<PasswordConfirmation>,
) -> ApiResult<Json<Deleted>> {
    let n = st
        .activities()
        .delete_all_mine(&a.user, &b.password)
        .await?;
    Ok(Json(Deleted::new(n)))
}
