//! `bincio-http`: the axum adapter. [`router`] builds the whole app from an
//! [`AppState`]; an embedding app can mount it under its own router, and
//! [`serve`] serves a router with timeouts and connection bounds
//! ([`ServeConfig`]).
//!
//! Handlers parse input, call one core service method and map the typed
//! result to a typed wire body; they hold no business rules. Core errors
//! become HTTP statuses in exactly one place ([`error`]). The OpenAPI
//! document is derived from the handlers ([`openapi`]). Every request is
//! traced (method, route, path; never a credential).
#![forbid(unsafe_code)]

mod auth;
pub mod ccip;
mod client;
mod cross_site;
pub mod dem;
mod disk;
pub mod error;
mod json;
pub mod metrics;
pub mod openapi;
mod rejection;
mod routes;
pub mod serve;
mod state;
pub mod tiles;
mod trace;
pub mod web;

pub use dem::HttpElevationSource;
pub use serve::{serve, ServeConfig};
pub use state::{AppState, HttpConfig};
pub use tiles::TileSource;

use axum::Router;

/// The full application router (accounts and activities API, the live
/// BAS tree, health, API docs, and the web pages: [`web`]). Page paths
/// that match nothing get the HTML 404 page; API and CCIP paths keep their
/// JSON errors. The CCIP routes are a separate router ([`ccip::router`])
/// to merge next to it.
pub fn router(state: AppState) -> Router {
    web::router(state.clone())
        .merge(api_router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state,
            web::html_errors,
        ))
}

/// The JSON API alone (accounts and activities, the live BAS tree, health,
/// API docs): exactly what `/api/openapi.json` documents, for embedders
/// that want no pages.
pub fn api_router(state: AppState) -> Router {
    routes::router(state)
}
