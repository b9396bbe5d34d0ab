//! Route table of the app.

mod accounts;
mod admin;
mod docs;
mod health;

use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;

use crate::error::ApiError;
use crate::AppState;

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
        .route("/api/openapi.json", get(docs::openapi))
        .route("/api/docs", get(docs::swagger))
        .route("/api/docs/{asset}", get(docs::swagger_asset))
        .route("/api/redoc", get(docs::redoc))
        .route("/api/redoc/redoc.standalone.js", get(docs::redoc_js))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}
