//! Every client error in the route's own format, decided in one place.
//!
//! axum's extractors answer their rejections as `text/plain`: invalid UTF-8
//! in a path parameter, an unparsable query, a missing or wrong
//! `Content-Type`, a bad multipart boundary, a body over the route's limit,
//! a body that failed to arrive, …. This layer, applied once to each router,
//! rewrites any 4xx that is not already JSON into the router's format —
//! `{"detail": …}` for the app (`/api/*`, `/data/*`, `/healthz`) or CCIP's
//! `{"message": …}` (Flask encoding) — keeping the status and axum's
//! one-line explanation. Answers that are already JSON (every
//! [`ApiError`] / [`CcipError`], so every byte-exact CS answer) pass
//! untouched.
//!
//! A request whose body stalled past the body-read timeout
//! ([`crate::serve`]) answers 408 `Request body timed out`, whatever the
//! handler made of the failed read (a multipart error, an empty form …).

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ccip::CcipError;
use crate::error::ApiError;
use crate::serve::body::BodyTimedOut;

/// Longest rejection text kept (axum's are one line).
const MAX_TEXT: usize = 4096;

/// An error body shape.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// `{"detail": …}`.
    Detail,
    /// `{"message": …}`.
    Message,
}

impl Format {
    fn error(self, status: StatusCode, text: String) -> Response {
        match self {
            Self::Detail => ApiError::new(status, text).into_response(),
            Self::Message => CcipError::new(status, text).into_response(),
        }
    }
}

/// Middleware of the app router (`{"detail": …}`).
pub(crate) async fn detail(req: Request, next: Next) -> Response {
    in_format(Format::Detail, req, next).await
}

/// Middleware of the CCIP router (`{"message": …}`).
pub(crate) async fn message(req: Request, next: Next) -> Response {
    in_format(Format::Message, req, next).await
}

async fn in_format(format: Format, req: Request, next: Next) -> Response {
    let timed_out = req.extensions().get::<BodyTimedOut>().cloned();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    if timed_out.is_some_and(|t| t.fired()) {
        return format.error(StatusCode::REQUEST_TIMEOUT, "Request body timed out".into());
    }
    if !status.is_client_error() || is_json(&resp) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = to_bytes(body, MAX_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let text = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("Bad Request")
            .to_owned()
    } else {
        text
    };
    let mut out = format.error(status, text);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}
