//! The CCIP / OPass routes (contract `ccip.md` §1 and §8), as one router
//! the app merges next to `/api/*`.
//!
//! Handlers parse input, call one [`EventService`] method and render with
//! [`bincio_core::event::wire`]. Bodies use CS's encoders: `bson` style for
//! `/status`, `/use`, `/event/puzzle/dashboard`, `GET /announcement`,
//! `/dashboard/<role>`; Flask style for the rest and for every error.
//! (CS sent two of the bson bodies as `text/html`; bincio sends
//! `application/json; charset=utf-8` for all of them — clients parse the
//! body regardless, and JSON carrying user text is never served as HTML.)
//!
//! CORS as CS's deployments had it (`*`, GET/POST, the `ccip` header); a
//! wrong method answers 405 `{"message": …}`; axum's own rejections (a body
//! over the import limit …) answer `{"message": …}` too
//! (`crate::rejection`). Unknown paths fall through to the app's JSON
//! fallback.

mod announcement;
mod attendee;
mod dashboard;
mod desk;
pub mod error;
mod import;
mod input;
mod puzzle;
pub(crate) mod schema;
mod staff;

use std::sync::Arc;

use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::event::wire::Json;
use bincio_core::event::EventService;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use error::CcipError;

/// State of the CCIP routes.
#[derive(Clone)]
pub struct CcipState {
    /// The event service.
    pub service: Arc<EventService>,
    /// Accounts, for staff sessions / Bearer tokens (`None`: only the
    /// `ccip` staff key grants staff access).
    pub accounts: Option<Accounts>,
    /// The instance's public base URL (`--public-url`): an `Origin` equal to
    /// its origin is never cross-site (see `crate::cross_site`).
    pub public_url: Option<String>,
}

impl CcipState {
    /// State over a service and optional accounts.
    pub fn new(service: Arc<EventService>, accounts: Option<Accounts>) -> Self {
        Self {
            service,
            accounts,
            public_url: None,
        }
    }

    /// The same state with a public base URL.
    pub fn with_public_url(self, public_url: Option<String>) -> Self {
        Self { public_url, ..self }
    }

    /// Load the event in `dir` (`event.toml` and its files, validated),
    /// build the service over the stores and create missing puzzle counters
    /// (what `bincio serve --event DIR` needs).
    pub async fn from_event_dir(
        dir: impl AsRef<std::path::Path>,
        attendees: Arc<dyn bincio_core::store::AttendeeStore>,
        puzzles: Arc<dyn bincio_core::store::PuzzleStore>,
        clock: Arc<dyn bincio_core::Clock>,
        accounts: Option<Accounts>,
    ) -> std::result::Result<Self, EventSetupError> {
        let config = bincio_core::event::EventConfig::load(dir)?;
        let service = EventService::new(config, attendees, puzzles, clock);
        service.init().await?;
        Ok(Self::new(Arc::new(service), accounts))
    }
}

/// Why [`CcipState::from_event_dir`] failed.
#[derive(Debug, thiserror::Error)]
pub enum EventSetupError {
    /// The configuration is invalid (names file and key).
    #[error(transparent)]
    Config(#[from] bincio_core::event::ConfigError),
    /// Creating the puzzle counters failed.
    #[error(transparent)]
    Store(#[from] bincio_core::CoreError),
}

/// Request body limit of the CSV import (bytes).
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

/// Every CCIP route (plus `POST /api/event/attendees`), with CORS. Has no
/// path fallback, so it can be `.merge()`d into the app.
pub fn router(state: CcipState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods(AllowMethods::list([Method::GET, Method::POST]))
        .allow_headers(AllowHeaders::list(
            [
                "dnt",
                "x-mx-reqtoken",
                "keep-alive",
                "user-agent",
                "x-requested-with",
                "if-modified-since",
                "cache-control",
                "content-type",
                "ccip",
                "authorization",
            ]
            .map(HeaderName::from_static),
        ));
    let (routes, _) = api().split_for_parts();
    routes
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::rejection::message))
        .layer(cors)
        .layer(crate::trace::layer())
        .layer(axum::middleware::from_fn(crate::trace::request_id))
        .with_state(state)
}

/// Every CCIP route with its documentation (the shapes in [`schema`]).
pub(crate) fn api() -> OpenApiRouter<CcipState> {
    OpenApiRouter::new()
        .routes(routes!(attendee::landing))
        .routes(routes!(attendee::status))
        .routes(routes!(attendee::use_scenario))
        .routes(routes!(puzzle::bucket))
        .routes(routes!(puzzle::revoke))
        .routes(routes!(puzzle::coupon))
        .routes(routes!(puzzle::deliverer))
        .routes(routes!(puzzle::deliverers))
        .routes(routes!(puzzle::deliver))
        .routes(routes!(puzzle::dashboard))
        .routes(routes!(announcement::list, announcement::post))
        .routes(routes!(dashboard::roles_stats))
        .routes(routes!(dashboard::role))
        .routes(routes!(dashboard::roles))
        .routes(routes!(dashboard::scenarios))
        .routes(routes!(import::import).layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT)))
        .routes(routes!(desk::use_scan))
        .routes(routes!(desk::scans))
        .routes(routes!(desk::undo))
        .routes(routes!(desk::audit))
        .routes(routes!(desk::token_check))
}

/// 404 `{"message": "not found"}` for an app that serves only CCIP.
pub async fn not_found() -> CcipError {
    CcipError::new(StatusCode::NOT_FOUND, "not found")
}

async fn method_not_allowed() -> CcipError {
    CcipError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

/// A `bson.json_util.dumps`-style body (`/status`, `/use`, raw documents).
pub(crate) fn bson(j: &Json) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        j.to_bson_string(),
    )
        .into_response()
}

/// A Flask `jsonify`-style body.
pub(crate) fn flask(j: &Json) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        j.to_flask_string(),
    )
        .into_response()
}

/// `{"status":"OK"}`.
pub(crate) fn ok() -> Response {
    flask(&Json::obj([("status", Json::s("OK"))]))
}

type Result<T = Response> = std::result::Result<T, CcipError>;
