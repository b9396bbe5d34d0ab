//! Single-activity uploads in JSON (mobile clients): a file as base64
//! (`/api/upload/raw`) or documents already extracted (`/api/upload/bas`).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::Json;
use bincio_core::activities::bas_upload::{BasStatus, BasUpload, MAX_BAS_BODY_BYTES};
use bincio_core::activities::ingest::IngestOptions;
use bincio_core::activities::{DetailDoc, GeoJsonDoc, TimeseriesDoc};
use bincio_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::upload::FileStatus;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

/// One base64 file of at most 50 MiB, plus JSON framing.
const RAW_BODY_LIMIT: usize = 70 * 1024 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(raw).layer(DefaultBodyLimit::max(RAW_BODY_LIMIT)))
        .routes(routes!(bas).layer(DefaultBodyLimit::max(MAX_BAS_BODY_BYTES)))
}

/// One activity file as base64.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RawUpload {
    /// Its name (`.gpx`, `.tcx`, `.fit`, optionally `.gz`).
    filename: String,
    /// Its bytes, base64 (standard alphabet).
    base64: String,
    /// Title to set.
    user_title: Option<String>,
}

/// The stored activity and its documents.
#[derive(Serialize, ToSchema)]
pub(crate) struct RawUploaded {
    ok: bool,
    id: String,
    status: FileStatus,
    detail: DetailDoc,
    /// `null` when the file had none.
    timeseries: Option<TimeseriesDoc>,
    /// `null` when the file had none.
    geojson: Option<GeoJsonDoc>,
    /// SHA-256 of the file, bare hex.
    source_hash: Option<String>,
}

/// Upload one file as base64 (mobile); answers the stored documents.
#[utoipa::path(post, path = "/api/upload/raw", tag = "uploads",
    request_body = RawUpload,
    responses(
        (status = 200, body = RawUploaded),
        (status = 400, description = "`Invalid base64`, or a bad file name", body = ErrorBody),
        (status = 413, description = "Larger than 50 MiB", body = ErrorBody),
        (status = 422, description = "`Could not extract activity: …`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, file = %b.filename))]
pub(crate) async fn raw(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<RawUpload>,
) -> ApiResult<Json<RawUploaded>> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.base64.trim())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "Invalid base64"))?;
    let opts = IngestOptions {
        title: b.user_title.filter(|t| !t.trim().is_empty()),
        ..IngestOptions::default()
    };
    let r = st
        .activities()
        .ingest_with_documents(&a.user, &b.filename, bytes, opts)
        .await
        .map_err(|e| match e {
            CoreError::Invalid(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Could not extract activity: {m}"),
            ),
            e => e.into(),
        })?;
    let source_hash = r
        .detail
        .as_value()
        .get("source_hash")
        .and_then(serde_json::Value::as_str)
        .map(|h| h.trim_start_matches("sha256:").to_owned());
    Ok(Json(RawUploaded {
        ok: true,
        id: r.status.id().to_owned(),
        status: FileStatus::from(&r.status),
        detail: r.detail,
        timeseries: r.timeseries,
        geojson: r.geojson,
        source_hash,
    }))
}

/// The stored BAS activity.
#[derive(Serialize, ToSchema)]
pub(crate) struct BasImported {
    ok: bool,
    /// The activity (for a content duplicate: the existing one).
    id: String,
    status: BasStatus,
}

/// Store a BAS activity extracted elsewhere (e.g. by the mobile app),
/// validated field by field.
#[utoipa::path(post, path = "/api/upload/bas", tag = "uploads",
    request_body = BasUpload,
    responses(
        (status = 200, body = BasImported),
        (status = 400, description = "A field is invalid (names it)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn bas(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<BasUpload>,
) -> ApiResult<Json<BasImported>> {
    let r = st.activities().import_bas(&a.user, b).await?;
    Ok(Json(BasImported {
        ok: true,
        id: r.id,
        status: r.status,
    }))
}
