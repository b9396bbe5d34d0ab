//! `GET|POST /api/athlete` (`bincio.md` §2.2) and the live
//! `/data/{handle}/athlete.json`. Validation, merging and privacy are the
//! core's (`activities::athlete_config`); handlers only translate.

use axum::extract::{Path, State};
use axum::Json;
use bincio_core::activities::AthleteDoc;
use serde::Deserialize;
use serde_json::Value;
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
        .routes(routes!(get, post))
        .routes(routes!(data))
        .routes(routes!(data_merged))
}

/// The caller's own `athlete.json` (all their activities) with their
/// config laid over it.
#[utoipa::path(get, path = "/api/athlete", tag = "athlete",
    responses((status = 200, body = AthleteDoc)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn get(State(st): State<AppState>, a: AuthUser) -> ApiResult<Json<AthleteDoc>> {
    Ok(Json(
        st.activities()
            .athlete(Some(&a.user), &a.user.handle)
            .await?,
    ))
}

/// Athlete config keys to change; `null` removes one, keys not sent are
/// kept. Checked by the core, which names the field it refuses.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object, example = json!({"max_hr": 190, "ftp_w": 250,
    "hr_zones": [[0, 120], [120, 150]], "seasons": [{"name": "2025", "start": "2025-01-01", "end": "2025-12-31"}]}))]
pub(crate) struct AthletePatch(Value);

/// Change some keys of the caller's athlete config (`max_hr`, `ftp_w`,
/// `hr_zones`, `power_zones`, `seasons`, `gear`).
#[utoipa::path(post, path = "/api/athlete", tag = "athlete",
    request_body = AthletePatch,
    responses(
        (status = 200, body = OkBody),
        (status = 422, description = "A key is invalid (names it)", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn post(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(AthletePatch(body)): ApiJson<AthletePatch>,
) -> ApiResult<Json<OkBody>> {
    st.activities().set_athlete(&a.user, &body).await?;
    Ok(Json(OkBody::YES))
}

async fn athlete_of(st: &AppState, viewer: MaybeUser, handle: &str) -> ApiResult<Json<AthleteDoc>> {
    Ok(Json(
        st.activities().athlete(viewer.0.as_ref(), handle).await?,
    ))
}

/// A member's `athlete.json`: the owner's full version, or the public one
/// for anyone else.
#[utoipa::path(get, path = "/data/{handle}/athlete.json", tag = "data",
    params(("handle" = String, Path, description = "The member")),
    responses(
        (status = 200, body = AthleteDoc),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle))]
pub(crate) async fn data(
    State(st): State<AppState>,
    viewer: MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<AthleteDoc>> {
    athlete_of(&st, viewer, &handle).await
}

/// The same document at the path of the static render.
#[utoipa::path(get, path = "/data/{handle}/_merged/athlete.json", tag = "data",
    params(("handle" = String, Path, description = "The member")),
    responses(
        (status = 200, body = AthleteDoc),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle))]
pub(crate) async fn data_merged(
    State(st): State<AppState>,
    viewer: MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<AthleteDoc>> {
    athlete_of(&st, viewer, &handle).await
}
