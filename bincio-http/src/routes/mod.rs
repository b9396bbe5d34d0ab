//! Route table of the app.

mod accounts;
mod activities;
mod admin;
mod athlete;
mod blob;
mod data;
mod docs;
mod health;
mod upload;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

/// Photo uploads: 10 MiB of image plus multipart framing.
const IMAGE_BODY_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

/// One base64 file of at most 50 MiB, plus JSON framing.
const RAW_BODY_LIMIT: usize = 70 * 1024 * 1024;

/// A BAS upload (`/api/upload/bas`): documents already extracted elsewhere.
const BAS_BODY_LIMIT: usize = bincio_core::activities::bas_upload::MAX_BAS_BODY_BYTES;

/// A multi-file upload: bounded by the file count and per-file cap.
const UPLOAD_BODY_LIMIT: usize = 2 * 1024 * 1024 * 1024;

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/me", get(accounts::me).delete(accounts::delete_me))
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/token", post(accounts::token))
        .route("/api/auth/logout", post(accounts::logout))
        .route("/api/auth/reset-password", post(accounts::reset_password))
        .route("/api/register", post(accounts::register))
        .route(
            "/api/invites",
            get(accounts::list_invites).post(accounts::create_invite),
        )
        .route("/api/stats", get(accounts::stats))
        .route("/api/me/display-name", put(accounts::set_display_name))
        .route("/api/me/password", put(accounts::change_password))
        .route(
            "/api/me/prefs",
            get(accounts::get_prefs).put(accounts::put_prefs),
        )
        .route("/api/admin/users", get(admin::users))
        .route(
            "/api/admin/users/{handle}/reset-password-code",
            post(admin::reset_code),
        )
        .route("/api/admin/jobs", get(admin::jobs))
        .route("/api/admin/disk", get(admin::disk))
        .route(
            "/api/activity/{id}",
            get(activities::get)
                .post(activities::edit)
                .delete(activities::delete),
        )
        .route("/api/activity/{id}/geojson", get(activities::geojson))
        .route("/api/activity/{id}/gpx", get(activities::gpx))
        .route("/api/activity/{id}/timeseries", get(activities::timeseries))
        .route(
            "/api/activity/{id}/images",
            get(activities::list_images)
                .post(activities::add_image)
                .layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT)),
        )
        .route(
            "/api/activity/{id}/images/{filename}",
            get(activities::get_image).delete(activities::delete_image),
        )
        .route("/api/feed", get(activities::feed))
        .route("/api/athlete", get(athlete::get).post(athlete::post))
        .route(
            "/api/activity/{id}/recalculate-elevation/hysteresis",
            post(activities::recalc_hysteresis),
        )
        .route(
            "/api/activity/{id}/recalculate-elevation/dem",
            post(activities::recalc_dem),
        )
        .route(
            "/api/upload/raw",
            post(upload::raw).layer(DefaultBodyLimit::max(RAW_BODY_LIMIT)),
        )
        .route(
            "/api/upload/bas",
            post(upload::bas).layer(DefaultBodyLimit::max(BAS_BODY_LIMIT)),
        )
        .route(
            "/api/upload",
            post(upload::upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/api/upload/strava-zip",
            post(upload::strava_zip).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/api/me/storage", get(activities::storage))
        .route("/api/me/originals", delete(activities::delete_originals))
        .route("/api/me/activities", delete(activities::delete_all_mine))
        .route(
            "/api/admin/users/{handle}/activities",
            delete(activities::admin_delete_all),
        )
        .route("/data/index.json", get(data::root))
        .route("/data/{file}", get(data::combined_feed))
        .route("/data/{handle}/index.json", get(data::user_index))
        .route("/data/{handle}/_merged/{file}", get(data::user_shard))
        .route("/data/{handle}/athlete.json", get(athlete::data))
        .route("/data/{handle}/_merged/athlete.json", get(athlete::data))
        .route("/data/{handle}/activities/{file}", get(data::activity_file))
        .route(
            "/data/{handle}/activities/images/{id}/{name}",
            get(data::image),
        )
        .route("/api/openapi.json", get(docs::openapi))
        .route("/api/docs", get(docs::swagger))
        .route("/api/docs/{asset}", get(docs::swagger_asset))
        .route("/api/redoc", get(docs::redoc))
        .route("/api/redoc/redoc.standalone.js", get(docs::redoc_js))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: axum's rejections in `{"detail"}`, then the
        // cross-site refusal, then the proxy-header warning.
        .layer(middleware::from_fn(crate::rejection::detail))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::cross_site::refuse_api,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::client::warn_untrusted_proxy,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
