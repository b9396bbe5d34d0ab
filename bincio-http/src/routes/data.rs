//! The BAS tree served live under `/data/` with the privacy rules applied
//! per viewer: the same paths a static `render` writes, so the site reads
//! either. Nothing secret (database, originals, tokens) is reachable here.
//! Anonymous viewers of a private instance get 401.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use bincio_core::activities::{
    DetailDoc, FeedDoc, GeoJsonDoc, IndexDoc, ManifestDoc, TimeseriesDoc,
};
use bincio_core::CoreError;
use serde::Serialize;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::MaybeUser;
use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(combined_feed))
        .routes(routes!(user_index))
        .routes(routes!(user_shard))
        .routes(routes!(activity_file))
        .routes(routes!(image))
}

fn not_found() -> CoreError {
    CoreError::NotFound("Not Found".into())
}

/// `/data/index.json`: the root manifest (one shard per member).
#[utoipa::path(get, path = "/data/index.json", tag = "data",
    responses(
        (status = 200, body = ManifestDoc),
    ))]
#[tracing::instrument(skip_all)]
pub(crate) async fn root(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
) -> ApiResult<Json<ManifestDoc>> {
    Ok(Json(st.activities().root_manifest(viewer.as_ref()).await?))
}

/// `/data/{handle}/index.json`: the member's feed (listed activities, or
/// all of them for the owner), newest first; `owner.athlete` when the
/// member configured training keys.
#[utoipa::path(get, path = "/data/{handle}/index.json", tag = "data",
    params(("handle" = String, Path, description = "The member")),
    responses(
        (status = 200, body = IndexDoc),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle))]
pub(crate) async fn user_index(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<IndexDoc>> {
    let doc = st
        .activities()
        .user_index_file(viewer.as_ref(), &handle, "index.json")
        .await?;
    Ok(Json(doc))
}

/// `/data/{handle}/_merged/index.json` (year shard manifest) and
/// `/data/{handle}/_merged/index-{YYYY}.json` (one year).
#[utoipa::path(get, path = "/data/{handle}/_merged/{file}", tag = "data",
    params(
        ("handle" = String, Path, description = "The member"),
        ("file" = String, Path, description = "`index.json` or `index-{YYYY}.json`"),
    ),
    responses(
        (status = 200, body = IndexDoc),
        (status = 404, description = "No such member or file", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle, file = %file))]
pub(crate) async fn user_shard(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, file)): Path<(String, String)>,
) -> ApiResult<Json<IndexDoc>> {
    let doc = st
        .activities()
        .user_index_file(viewer.as_ref(), &handle, &format!("_merged/{file}"))
        .await?;
    Ok(Json(doc))
}

/// `/data/feed.json`, `/data/feed-{N}.json`: the combined feed, 50 a page.
#[utoipa::path(get, path = "/data/{file}", tag = "data",
    params(("file" = String, Path, description = "`feed.json` or `feed-{N}.json`")),
    responses(
        (status = 200, body = FeedDoc),
        (status = 404, description = "No such page", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(file = %file))]
pub(crate) async fn combined_feed(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(file): Path<String>,
) -> ApiResult<Json<FeedDoc>> {
    let page = bincio_core::activities::render::page_number(&file).ok_or_else(not_found)?;
    let doc = st
        .activities()
        .combined_feed_page(viewer.as_ref(), page)
        .await?;
    Ok(Json(doc))
}

/// `/data/{handle}/activities/{id}.json|.geojson|.timeseries.json`: the
/// detail, track or timeseries as the viewer may see it.
#[utoipa::path(get, path = "/data/{handle}/activities/{file}", tag = "data",
    params(
        ("handle" = String, Path, description = "The member"),
        ("file" = String, Path, description = "`{id}.json`, `{id}.geojson` or `{id}.timeseries.json`"),
    ),
    responses(
        (status = 200, body = ActivityFile),
        (status = 404, description = "Not there, or not for this viewer", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle, file = %file))]
pub(crate) async fn activity_file(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, file)): Path<(String, String)>,
) -> ApiResult<Json<ActivityFile>> {
    let a = st.activities();
    let v = viewer.as_ref();
    Ok(Json(
        if let Some(id) = file.strip_suffix(".timeseries.json") {
            ActivityFile::Timeseries(a.timeseries(v, &handle, id).await?)
        } else if let Some(id) = file.strip_suffix(".geojson") {
            ActivityFile::GeoJson(a.geojson(v, &handle, id).await?)
        } else if let Some(id) = file.strip_suffix(".json") {
            ActivityFile::Detail(a.detail(v, &handle, id).await?)
        } else {
            return Err(not_found().into());
        },
    ))
}

/// One of an activity's documents, by the file's suffix.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum ActivityFile {
    /// `{id}.json`.
    Detail(DetailDoc),
    /// `{id}.geojson`.
    GeoJson(GeoJsonDoc),
    /// `{id}.timeseries.json`.
    Timeseries(TimeseriesDoc),
}

/// `anyOf` the three documents (by the file's suffix; utoipa's derive
/// would say `oneOf`, which open objects cannot tell apart).
impl utoipa::PartialSchema for ActivityFile {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(DetailDoc::name()))
            .item(Ref::from_schema_name(GeoJsonDoc::name()))
            .item(Ref::from_schema_name(TimeseriesDoc::name()))
            .description(Some(
                "`{id}.json`: DetailDoc; `{id}.geojson`: GeoJsonDoc; \
                 `{id}.timeseries.json`: TimeseriesDoc",
            ))
            .into()
    }
}

impl ToSchema for ActivityFile {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (DetailDoc::name(), DetailDoc::schema()),
            (GeoJsonDoc::name(), GeoJsonDoc::schema()),
            (TimeseriesDoc::name(), TimeseriesDoc::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
    }
}

/// `/data/{handle}/activities/images/{id}/{name}`.
#[utoipa::path(get, path = "/data/{handle}/activities/images/{id}/{name}", tag = "data",
    params(
        ("handle" = String, Path, description = "The member"),
        ("id" = String, Path, description = "Activity id"),
        ("name" = String, Path, description = "Photo name"),
    ),
    responses(
        (status = 200, description = "The photo", body = String, content_type = "image/*"),
        (status = 404, description = "Not there, or not for this viewer", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(handle = %handle, id = %id, name = %name))]
pub(crate) async fn image(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, id, name)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    super::blob::image(&st, viewer.as_ref(), &handle, &id, &name).await
}
