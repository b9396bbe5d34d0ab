//! Request tracing: one span per request with the method, the route
//! template that matched (`/api/activity/{id}`) and the path — never the
//! query string (CCIP attendee tokens travel there) nor any header or body
//! (cookies, Bearer tokens, passwords). Handlers and service methods add
//! their own spans (`#[tracing::instrument]`) with handles and ids. Every
//! request span carries a `request_id` ([`request_id`]), echoed in the
//! response's `x-request-id` header.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
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
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        request_id,
        method = %req.method(),
        route,
        path = req.uri().path(),
    )
}

/// The request id header: taken from the client (or the proxy, e.g.
/// nginx's `$request_id`) when it is a short token of safe characters,
/// minted here otherwise, and sent back on the response so a user's report
/// can be matched with the log lines of its request.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id kept from a client; longer ones are replaced.
const REQUEST_ID_MAX: usize = 64;

/// Whether a client's request id is kept: 1–64 characters of
/// `[A-Za-z0-9._-]`, so it cannot forge log lines or fields.
fn acceptable_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= REQUEST_ID_MAX
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// Middleware (outside [`layer`]): make sure the request carries an
/// acceptable `x-request-id` for the span to log, and echo it back.
pub(crate) async fn request_id(mut req: Request, next: Next) -> Response {
    let id = match req.headers().get(&REQUEST_ID) {
        Some(v) if acceptable_id(v) => v.clone(),
        _ => {
            let minted = format!("{:016x}", rand::random::<u64>());
            let v = HeaderValue::from_str(&minted).unwrap_or(HeaderValue::from_static("0"));
            req.headers_mut().insert(REQUEST_ID, v.clone());
            v
        }
    };
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(REQUEST_ID, id);
    resp
}
