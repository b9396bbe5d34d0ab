//! Activity routes of the owner (`bincio.md` §2.2 "Activities") and the
//! storage routes.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use bincio_core::activities::{parse_cursor, EditRequest};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{AdminUser, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::routes::blob::blob_response;
use crate::AppState;

pub(crate) async fn get(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        st.activities()
            .detail(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

pub(crate) async fn edit(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditRequest>,
) -> ApiResult<Json<Value>> {
    let detail = st.activities().edit(&a.user, &id, req).await?;
    Ok(Json(json!({"ok": true, "activity": detail})))
}

pub(crate) async fn delete(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    st.activities().delete(&a.user, &id).await?;
    Ok(Json(json!({"ok": true})))
}

pub(crate) async fn geojson(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        st.activities()
            .geojson(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

pub(crate) async fn timeseries(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        st.activities()
            .timeseries(Some(&a.user), &a.user.handle, &id)
            .await?,
    ))
}

pub(crate) async fn list_images(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let images = st
        .activities()
        .images(Some(&a.user), &a.user.handle, &id)
        .await?;
    Ok(Json(json!({"images": images})))
}

/// Multipart field `file`; the type is sniffed from the bytes.
pub(crate) async fn add_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
    mut form: Multipart,
) -> ApiResult<Json<Value>> {
    let bad = |m: &str| ApiError::new(StatusCode::BAD_REQUEST, m);
    let mut bytes = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let data = field.bytes().await.map_err(multipart_error)?;
            bytes = Some(data.to_vec());
            break;
        }
    }
    let bytes = bytes.ok_or_else(|| bad("Missing multipart field 'file'"))?;
    let name = st.activities().add_image(&a.user, &id, bytes).await?;
    Ok(Json(json!({"ok": true, "filename": name})))
}

/// A body over the route's limit is 413; any other framing fault is 400.
fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let text = e.body_text();
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit") {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Image too large (max 10 MiB)",
        )
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, text)
    }
}

pub(crate) async fn get_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let blob = st
        .activities()
        .image(Some(&a.user), &a.user.handle, &id, &name)
        .await?;
    Ok(blob_response(blob))
}

pub(crate) async fn delete_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    st.activities().delete_image(&a.user, &id, &name).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
pub(crate) struct FeedParams {
    /// `started_at:id` from the previous page's `next`.
    before: Option<String>,
    limit: Option<usize>,
    /// Another member's feed (listed activities only).
    handle: Option<String>,
}

/// The caller's own feed (everything they own), or `?handle=` another
/// member's listed activities.
pub(crate) async fn feed(
    State(st): State<AppState>,
    a: AuthUser,
    Query(p): Query<FeedParams>,
) -> ApiResult<Json<Value>> {
    let cursor = p.before.as_deref().map(parse_cursor).transpose()?;
    let handle = p.handle.unwrap_or_else(|| a.user.handle.clone());
    let page = st
        .activities()
        .feed(Some(&a.user), Some(&handle), cursor, p.limit.unwrap_or(50))
        .await?;
    Ok(Json(
        json!({"activities": page.activities, "next": page.next}),
    ))
}

/// Bytes as MB (MiB), 2 decimals, like the contract's storage figures.
pub(crate) fn mb(bytes: u64) -> f64 {
    (bytes as f64 / 1_048_576.0 * 100.0).round() / 100.0
}

pub(crate) async fn storage(State(st): State<AppState>, a: AuthUser) -> ApiResult<Json<Value>> {
    let u = st.activities().storage(&a.user.handle).await?;
    Ok(Json(json!({
        "total_mb": mb(u.activities_bytes + u.originals_bytes + u.images_bytes),
        "activities_mb": mb(u.activities_bytes),
        "activities_count": u.activities_count,
        "originals_mb": mb(u.originals_bytes),
        "images_mb": mb(u.images_bytes),
    })))
}

pub(crate) async fn delete_originals(
    State(st): State<AppState>,
    a: AuthUser,
) -> ApiResult<Json<Value>> {
    let freed = st.activities().delete_originals(&a.user.handle).await?;
    Ok(Json(json!({"ok": true, "freed_mb": mb(freed)})))
}

#[derive(Deserialize)]
pub(crate) struct PasswordBody {
    password: String,
}

pub(crate) async fn delete_all_mine(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Json<Value>> {
    st.accounts().confirm_password(&a.user, &b.password).await?;
    let n = st.activities().delete_all(&a.user.handle).await?;
    Ok(Json(json!({"ok": true, "deleted": n})))
}

pub(crate) async fn admin_delete_all(
    State(st): State<AppState>,
    _a: AdminUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    st.accounts().require_user(&handle).await?;
    let n = st.activities().delete_all(&handle).await?;
    Ok(Json(json!({"ok": true, "deleted": n})))
}

pub(crate) async fn recalc_hysteresis(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let r = st.activities().recalculate_elevation(&a.user, &id).await?;
    Ok(Json(serde_json::to_value(r).unwrap_or_default()))
}

/// DEM correction of the owner's activity: 503 without a DEM service.
pub(crate) async fn recalc_dem(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let r = st
        .activities()
        .recalculate_elevation_dem(&a.user, &id)
        .await?;
    Ok(Json(serde_json::to_value(r).unwrap_or_default()))
}

/// The owner's activity as a GPX download.
pub(crate) async fn gpx(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
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
