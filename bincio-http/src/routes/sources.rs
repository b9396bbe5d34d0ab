//! The member's activity sources: the drop folder's state and a scan on
//! demand, and the history of sync runs (`/api/me/drop…`,
//! `/api/me/sync-history`). Served when the app runs the sources
//! (`AppState::set_sources`, which `bincio serve` does); otherwise 503.

use axum::extract::{Query, State};
use axum::Json;
use bincio_core::model::SyncRun;
use bincio_core::sources::{DropScan, DropStatus, Sources, KEEP_RUNS};
use bincio_core::CoreError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(drop_status))
        .routes(routes!(drop_scan))
        .routes(routes!(sync_history))
}

/// The sources service, or 503 when this server does not run it.
pub(crate) fn sources(st: &AppState) -> Result<&Sources, CoreError> {
    st.sources().ok_or_else(|| {
        CoreError::Unavailable("activity sources are not enabled on this server".into())
    })
}

/// The caller's drop folder: where it is, the last and next scans and the
/// newest runs with their per-file outcomes.
#[utoipa::path(get, path = "/api/me/drop", tag = "sources",
    responses(
        (status = 200, body = DropStatus),
        (status = 503, description = "Sources are not enabled on this server", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn drop_status(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<DropStatus>> {
    Ok(Json(sources(&st)?.drop_status(&a.user).await?))
}

/// Scan the caller's drop folder now (a job in `/api/admin/jobs` while it
/// runs): new or changed GPX / TCX / FIT (.gz) files that are complete are
/// ingested once, by content hash.
#[utoipa::path(post, path = "/api/me/drop/scan", tag = "sources",
    responses(
        (status = 200, body = DropScan),
        (status = 503, description = "Sources are not enabled, or the folder cannot be read", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn drop_scan(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<DropScan>> {
    Ok(Json(scan_now(&st, &a.user).await?))
}

/// A scan of `user`'s folder as a job (the API and the settings page).
pub(crate) async fn scan_now(
    st: &AppState,
    user: &bincio_core::model::User,
) -> Result<DropScan, CoreError> {
    let sources = sources(st)?;
    let _job = st.jobs().start(&user.handle, "drop-scan", 0);
    sources.scan_drop(user).await
}

/// How many runs `GET /api/me/sync-history` returns.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryParams {
    /// Most runs (1–50, default 20).
    limit: Option<usize>,
}

/// The caller's newest sync runs of every source, newest first, each with
/// its per-file outcomes (the last 50 are kept).
#[utoipa::path(get, path = "/api/me/sync-history", tag = "sources",
    params(HistoryParams),
    responses(
        (status = 200, body = Vec<SyncRun>),
        (status = 503, description = "Sources are not enabled on this server", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn sync_history(
    State(st): State<AppState>,
    a: AuthUser,
    Query(p): Query<HistoryParams>,
) -> ApiResult<Json<Vec<SyncRun>>> {
    let limit = p.limit.unwrap_or(20).clamp(1, KEEP_RUNS);
    Ok(Json(sources(&st)?.history(&a.user, limit).await?))
}
