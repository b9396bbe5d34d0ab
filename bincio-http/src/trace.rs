//! Request tracing: one span per request with the method, the route
//! template that matched (`/api/activity/{id}`) and the path — never the
//! query string (CCIP attendee tokens travel there) nor any header or body
//! (cookies, Bearer tokens, passwords). Handlers and service methods add
//! their own spans (`#[tracing::instrument]`) with handles and ids.

use axum::extract::{MatchedPath, Request};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The layer both routers (the app's and CCIP's) wear.
pub(crate) type Layer = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request) -> Span>;

/// [`TraceLayer`] with [`span`].
pub(crate) fn layer() -> Layer {
    TraceLayer::new_for_http().make_span_with(span as fn(&Request) -> Span)
}

fn span(req: &Request) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        path = req.uri().path(),
    )
}
