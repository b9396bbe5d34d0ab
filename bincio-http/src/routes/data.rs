//! The BAS tree served live under `/data/` with the privacy rules applied
//! per viewer: the same paths a static `render` writes, so the site reads
//! either. Nothing secret (database, originals, tokens) is reachable here.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use bincio_core::CoreError;
use serde_json::Value;

use crate::auth::MaybeUser;
use crate::error::ApiResult;
use crate::routes::blob::blob_response;
use crate::AppState;

/// `/data/index.json`: the root manifest (one shard per member).
pub(crate) async fn root(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
) -> ApiResult<Json<Value>> {
    Ok(Json(st.activities().root_manifest(viewer.as_ref()).await?))
}

/// `/data/{handle}/index.json`: the member's feed (listed activities, or
/// all of them for the owner), newest first; `owner.athlete` when the
/// member configured training keys (§5.2).
pub(crate) async fn user_index(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    let doc = st
        .activities()
        .user_index_file(viewer.as_ref(), &handle, "index.json")
        .await?;
    Ok(Json(doc))
}

/// `/data/{handle}/_merged/index.json` (year shard manifest) and
/// `/data/{handle}/_merged/index-{YYYY}.json` (one year).
pub(crate) async fn user_shard(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, file)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let doc = st
        .activities()
        .user_index_file(viewer.as_ref(), &handle, &format!("_merged/{file}"))
        .await?;
    Ok(Json(doc))
}

/// `/data/feed.json`, `/data/feed-{N}.json`: the combined feed, 50 a page.
pub(crate) async fn combined_feed(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(file): Path<String>,
) -> ApiResult<Json<Value>> {
    let page = bincio_core::activities::render::page_number(&file)
        .ok_or_else(|| CoreError::NotFound("Not Found".into()))?;
    let doc = st
        .activities()
        .combined_feed_page(viewer.as_ref(), page)
        .await?;
    Ok(Json(doc))
}

/// `/data/{handle}/activities/{id}.json|.geojson|.timeseries.json`.
pub(crate) async fn activity_file(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, file)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let a = st.activities();
    let v = viewer.as_ref();
    let doc = if let Some(id) = file.strip_suffix(".timeseries.json") {
        a.timeseries(v, &handle, id).await?
    } else if let Some(id) = file.strip_suffix(".geojson") {
        a.geojson(v, &handle, id).await?
    } else if let Some(id) = file.strip_suffix(".json") {
        a.detail(v, &handle, id).await?
    } else {
        return Err(CoreError::NotFound("Not Found".into()).into());
    };
    Ok(Json(doc))
}

/// `/data/{handle}/activities/images/{id}/{name}`.
pub(crate) async fn image(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path((handle, id, name)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let blob = st
        .activities()
        .image(viewer.as_ref(), &handle, &id, &name)
        .await?;
    Ok(blob_response(blob))
}
