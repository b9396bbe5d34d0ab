//! `bincio-http`: the axum adapter. [`router`] builds the whole app from an
//! [`AppState`]; an embedding app can mount it under its own router, and
//! [`serve`] serves a router with timeouts and connection bounds
//! ([`ServeConfig`]).
//!
//! Handlers parse input, call one core service method and map the result
//! to the wire format; they hold no business rules. Core errors become HTTP
//! statuses in exactly one place ([`error`]).
#![forbid(unsafe_code)]

mod auth;
pub mod ccip;
mod client;
mod cross_site;
pub mod dem;
mod disk;
pub mod error;
mod json;
mod openapi;
mod rejection;
mod routes;
pub mod serve;
mod state;
pub mod web;

pub use dem::HttpElevationSource;
pub use serve::{serve, ServeConfig};
pub use state::{AppState, HttpConfig};

use axum::Router;

/// The full application router (accounts API, health, API docs, and the
/// web pages: [`web`]). Page paths that match nothing get the HTML 404
/// page; API and CCIP paths keep their JSON errors.
pub fn router(state: AppState) -> Router {
    web::router(state.clone())
        .merge(routes::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state,
            web::html_errors,
        ))
}
