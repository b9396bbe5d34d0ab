//! Photos of the owner's activities.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::OkBody;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// Photo uploads: 10 MiB of image plus multipart framing.
const IMAGE_BODY_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(
            routes!(list_images, add_image)
                .layer(axum::extract::DefaultBodyLimit::max(IMAGE_BODY_LIMIT)),
        )
        .routes(routes!(get_image, delete_image))
}

/// Photo names of an activity.
#[derive(Serialize, ToSchema)]
pub(crate) struct ImageList {
    images: Vec<String>,
}

/// The photos of the caller's activity.
#[utoipa::path(get, path = "/api/activity/{id}/images", tag = "images",
    params(("id" = String, Path, description = "Activity id")),
    responses(
        (status = 200, body = ImageList),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn list_images(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ImageList>> {
    let images = st
        .activities()
        .images(Some(&a.user), &a.user.handle, &id)
        .await?;
    Ok(Json(ImageList { images }))
}

/// A photo upload (multipart).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ImageUpload {
    /// JPEG, PNG, WebP or GIF (sniffed from the bytes), at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The stored photo's generated name.
#[derive(Serialize, ToSchema)]
pub(crate) struct ImageAdded {
    ok: bool,
    filename: String,
}

/// Add a photo to the caller's activity (multipart field `file`).
#[utoipa::path(post, path = "/api/activity/{id}/images", tag = "images",
    params(("id" = String, Path, description = "Activity id")),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, body = ImageAdded),
        (status = 400, description = "No `file` field, or not an image", body = ErrorBody),
        (status = 404, description = "`Activity not found`", body = ErrorBody),
        (status = 413, description = "`Image too large (max 10 MiB)`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id))]
pub(crate) async fn add_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path(id): Path<String>,
    mut form: Multipart,
) -> ApiResult<Json<ImageAdded>> {
    let mut bytes = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let data = field.bytes().await.map_err(multipart_error)?;
            bytes = Some(data.to_vec());
            break;
        }
    }
    let bytes = bytes
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Missing multipart field 'file'"))?;
    let filename = st.activities().add_image(&a.user, &id, bytes).await?;
    Ok(Json(ImageAdded { ok: true, filename }))
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

/// One photo of the caller's activity (its sniffed type, sandboxed).
#[utoipa::path(get, path = "/api/activity/{id}/images/{filename}", tag = "images",
    params(
        ("id" = String, Path, description = "Activity id"),
        ("filename" = String, Path, description = "Photo name"),
    ),
    responses(
        (status = 200, description = "The photo", body = String, content_type = "image/*"),
        (status = 404, description = "`Image not found` / `Activity not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id, name = %name))]
pub(crate) async fn get_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    super::blob::image(&st, Some(&a.user), &a.user.handle, &id, &name).await
}

/// Delete one photo of the caller's activity.
#[utoipa::path(delete, path = "/api/activity/{id}/images/{filename}", tag = "images",
    params(
        ("id" = String, Path, description = "Activity id"),
        ("filename" = String, Path, description = "Photo name"),
    ),
    responses(
        (status = 200, body = OkBody),
        (status = 404, description = "`Image not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle, id = %id, name = %name))]
pub(crate) async fn delete_image(
    State(st): State<AppState>,
    a: AuthUser,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<OkBody>> {
    st.activities().delete_image(&a.user, &id, &name).await?;
    Ok(Json(OkBody::YES))
}
