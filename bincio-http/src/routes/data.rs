//! The BAS tree served live under `/data/` with the privacy rules applied
//! per viewer: the same paths a static `render` writes, so the site reads
//! either. Nothing secret (database, originals, tokens) is reachable here.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use bincio_core::activities::athlete;
use bincio_core::CoreError;
use serde_json::{json, Value};

use crate::auth::MaybeUser;
use crate::error::ApiResult;
use crate::routes::blob::blob_response;
use crate::AppState;

/// Largest per-user index served live (the site pages older ones through
/// `/api/feed`).
const USER_INDEX_MAX: usize = 10_000;

fn generated_at(st: &AppState) -> String {
    st.accounts().clock().now().to_rfc3339()
}

/// `/data/index.json`: the root manifest (one shard per member).
pub(crate) async fn root(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
) -> ApiResult<Json<Value>> {
    st.activities()
        .check_instance_access(viewer.as_ref())
        .await?;
    let settings = st.accounts().settings().await?;
    let shards: Vec<Value> = st
        .accounts()
        .list_users()
        .await?
        .into_iter()
        .map(|u| json!({"handle": u.handle, "url": format!("{}/index.json", u.handle)}))
        .collect();
    Ok(Json(json!({
        "bas_version": "1.0",
        "instance": {"name": settings.instance_name, "private": settings.private},
        "generated_at": generated_at(&st),
        "shards": shards,
        "activities": [],
    })))
}

/// `/data/{handle}/index.json`: the member's feed (listed activities, or
/// all of them for the owner), newest first; `owner.athlete` when the
/// member configured training keys (§5.2).
pub(crate) async fn user_index(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    st.activities()
        .check_instance_access(viewer.as_ref())
        .await?;
    let user = st.accounts().require_user(&handle).await?;
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = st
            .activities()
            .feed(
                viewer.as_ref(),
                Some(&handle),
                cursor,
                bincio_core::activities::MAX_PAGE,
            )
            .await?;
        all.extend(page.activities);
        match page.next {
            Some(n) if all.len() < USER_INDEX_MAX => {
                cursor = Some(bincio_core::activities::parse_cursor(&n)?);
            }
            _ => break,
        }
    }
    let config = st.activities().athlete_config(&user.handle).await?;
    Ok(Json(json!({
        "bas_version": "1.0",
        "owner": athlete::owner_json(&user.handle, &user.display_name, &config),
        "generated_at": generated_at(&st),
        "shards": [],
        "activities": all,
    })))
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
