//! The owner's activities (`bincio.md` §2.2 "Activities"): detail, edit,
//! delete, tracks, GPX export, elevation recalculation, the feed. Reads of
//! another member's activity go through `/data/` (privacy applied).

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::activities::dem::DemResult;
use bincio_core::activities::elevation::ElevationResult;
use bincio_core::activities::{
    parse_cursor, DetailDoc, EditRequest, FeedPage, GeoJsonDoc, TimeseriesDoc,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OkBody;
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get, edit, delete))
        .routes(routes!(geojson))
        .routes(routes!(gpx))
        .routes(routes!(timeseries))
        .routes(routes!(recalc_hysteresis))
        .routes(routes!(recalc_dem))
        .routes(routes!(feed))
}

/// The caller's activity (detail document, owner's view).
#[utoipa::path(get, path = "/api/activity/{id}", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = DetailDoc),
        (status = 400, description = "`Invalid activity ID`", body = ErrorBody),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn get(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DetailDoc>> {
    Ok(Json(
        st.activities()
            .detail(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

/// The edited activity.
#[derive(Serialize, ToSchema)]
pub(crate) struct Edited {
    ok: bool,
    /// The detail after the edit (owner's view).
    activity: DetailDoc,
}

/// Edit the caller's activity: fields not sent are kept.
#[utoipa::path(post, path = "/api/activity/{id}", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    request_body = EditRequest,
    responses(
        (status = 200, body = Edited),
        (status = 400, description = "A field is invalid (names it)", body = ErrorBody),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
        (status = 422, description = "Unknown field or wrong type", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn edit(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditRequest>,
) -> ApiResult<Json<Edited>> {
    let activity = st.activities().edit(&a.user, &id, req).await?;
    Ok(Json(Edited { ok: true, activity }))
}

/// Delete the caller's activity (tracks, photos and original with it).
#[utoipa::path(delete, path = "/api/activity/{id}", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = OkBody),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn delete(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OkBody>> {
    st.activities().delete(&a.user, &id).await?;
    Ok(Json(OkBody::YES))
}

/// The GeoJSON track of the caller's activity.
#[utoipa::path(get, path = "/api/activity/{id}/geojson", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = GeoJsonDoc),
        (status = 404, description = "No such activity or no track", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn geojson(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<GeoJsonDoc>> {
    Ok(Json(
        st.activities()
            .geojson(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

/// The timeseries of the caller's activity.
#[utoipa::path(get, path = "/api/activity/{id}/timeseries", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = TimeseriesDoc),
        (status = 404, description = "No such activity or no timeseries", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn timeseries(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TimeseriesDoc>> {
    Ok(Json(
        st.activities()
            .timeseries(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

/// The caller's activity as a GPX download.
#[utoipa::path(get, path = "/api/activity/{id}/gpx", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, description = "GPX 1.1 (`Content-Disposition: attachment`)",
            body = String, content_type = "application/gpx+xml"),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn gpx(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let bytes = st.activities().export_gpx(&a.user, &id).await?;
    let disposition = format!("attachment; filename=\"{id}.gpx\"");
    Ok((
        [
            (CONTENT_TYPE, "application/gpx+xml".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// Recalculate elevation gain and loss from the recorded altitudes
/// (smoothed hysteresis).
#[utoipa::path(post, path = "/api/activity/{id}/recalculate-elevation/hysteresis", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = ElevationResult),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
        (status = 422, description = "No altitudes to work with", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn recalc_hysteresis(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ElevationResult>> {
    Ok(Json(
        st.activities().recalculate_elevation(&a.user, &id).await?,
    ))
}

/// Recalculate elevation from a DEM service along the track.
#[utoipa::path(post, path = "/api/activity/{id}/recalculate-elevation/dem", tag = "activities",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = DemResult),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
        (status = 422, description = "No GPS track, or too few DEM answers", body = ErrorBody),
        (status = 503, description = "No DEM service is configured", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn recalc_dem(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DemResult>> {
    Ok(Json(
        st.activities()
            .recalculate_elevation_dem(&a.user, &id)
            .await?,
    ))
}

/// Paging of `GET /api/feed`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedParams {
    /// `started_at:id` from the previous page's `next`.
    before: Option<String>,
    /// Page size (1–200, default 50).
    limit: Option<usize>,
    /// Another member's feed (listed activities only).
    handle: Option<String>,
}

/// The caller's own feed (everything they own), or `?handle=` another
/// member's listed activities; newest first.
#[utoipa::path(get, path = "/api/feed", tag = "activities",
    params(FeedParams),
    responses(
        (status = 200, body = FeedPage),
        (status = 400, description = "`bad cursor`", body = ErrorBody),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, of = ?p.handle))]
pub(crate) async fn feed(
    State(st): State<AppState>,
    a: AuthUser,
    Query(p): Query<FeedParams>,
) -> ApiResult<Json<FeedPage>> {
    let cursor = p.before.as_deref().map(parse_cursor).transpose()?;
    let handle = p.handle.unwrap_or_else(|| a.user.handle.clone());
    Ok(Json(
        st.activities()
            .feed(Some(&a.user), Some(&handle), cursor, p.limit.unwrap_or(50))
            .await?,
    ))
}
