//! The app's routes (accounts, activities, uploads, the live BAS tree,
//! health, API docs).
//!
//! Each module owns its `router()` — an [`OpenApiRouter`] whose handlers
//! carry their OpenAPI description (`#[utoipa::path]`), so a route and its
//! documentation are registered by one call and cannot drift — its typed
//! request and response bodies, and handlers returning
//! `ApiResult<Json<T>>`. Errors become responses in one place
//! ([`crate::error`]).

mod activities;
mod admin;
mod athlete;
mod auth;
mod blob;
pub(crate) use blob::{attachment, blob_response};
mod data;
mod docs;
mod health;
mod images;
mod me;
pub(crate) mod sources;
mod storage;
pub(crate) mod strava;
pub(crate) mod upload;
mod upload_json;

use axum::http::StatusCode;
use axum::middleware;
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::AppState;

/// `{"ok": true}`: the request did what it asked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OkBody {
    /// Always `true`.
    ok: bool,
}

impl OkBody {
    /// `{"ok": true}`.
    pub(crate) const YES: OkBody = OkBody { ok: true };
}

/// `{"ok": true, "deleted": n}`: how many activities were deleted.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Deleted {
    /// Always `true`.
    ok: bool,
    /// Activities deleted.
    deleted: u64,
}

impl Deleted {
    pub(crate) fn new(deleted: u64) -> Self {
        Self { ok: true, deleted }
    }
}

/// Bytes as MB (MiB), 2 decimals, like the contract's storage figures.
pub(crate) fn mb(bytes: u64) -> f64 {
    (bytes as f64 / 1_048_576.0 * 100.0).round() / 100.0
}

/// Every route of the app with its documentation.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(me::router())
        .merge(admin::router())
        .merge(activities::router())
        .merge(images::router())
        .merge(storage::router())
        .merge(athlete::router())
        .merge(upload::router())
        .merge(upload_json::router())
        .merge(sources::router())
        .merge(strava::router())
        .merge(data::router())
        .merge(docs::router())
}

pub(crate) fn router(state: AppState) -> Router {
    let (routes, _) = api().split_for_parts();
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: axum's rejections in `{"detail"}`, then the
        // cross-site refusal, then the proxy-header warning; the request
        // span around all of them.
        .layer(middleware::from_fn(crate::rejection::detail))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::cross_site::refuse_api,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::client::warn_untrusted_proxy,
        ))
        .layer(crate::trace::layer())
        .layer(axum::middleware::from_fn(crate::trace::request_id))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
