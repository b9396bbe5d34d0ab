//! Which errors are pages and which stay JSON.
//!
//! The app has one fallback (the JSON API's `{"detail": "Not Found"}`).
//! [`html_errors`] wraps the whole app: when a *page* path ends in that
//! fallback's 404 or in a 405 that is not already a page, the reader gets the HTML page in their
//! language and theme instead. Paths of the JSON API, the BAS data tree,
//! the health check and the CCIP routes ([`is_machine_path`]) keep their
//! JSON errors byte for byte — clients there parse them.

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use super::ctx::Ctx;
use super::render::PageError;
use crate::AppState;

/// Paths answered for programs, not people: the JSON API, the BAS tree, the
/// health check and the CCIP / OPass routes (`crate::ccip`).
pub(crate) fn is_machine_path(path: &str) -> bool {
    const SEGMENTS: &[&str] = &[
        "/api",
        "/data",
        "/healthz",
        "/landing",
        "/status",
        "/use",
        "/announcement",
        "/roles",
        "/scenarios",
        "/dashboard",
    ];
    // `/status`, `/status/`, `/status/x` …, but not `/statuses`.
    SEGMENTS.iter().any(|s| {
        path.strip_prefix(s)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }) || path.starts_with("/event/puzzle")
}

/// Middleware around the whole app (see the module doc).
pub(crate) async fn html_errors(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let wants_html = req
        .headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"));
    if !wants_html || is_machine_path(req.uri().path()) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    // A page's own error answers are HTML already; the fallbacks' are JSON
    // (the API's) or empty (axum's 405 of a page route).
    let html = resp
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let error = match status {
        StatusCode::NOT_FOUND if !html => PageError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED if !html => PageError::MethodNotAllowed,
        _ => return resp,
    };
    let mut parts = Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .map(|r| r.into_parts().0)
        .unwrap_or_else(|_| Request::new(()).into_parts().0);
    parts.headers = headers;
    match Ctx::build(&mut parts, &st, true).await {
        Ok(c) => error.render(Some(&c)),
        Err(redirect_or_500) => redirect_or_500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_paths() {
        for p in [
            "/api/me",
            "/api",
            "/data/index.json",
            "/healthz",
            "/status",
            "/status/",
            "/use/x",
            "/event/puzzle/deliver",
            "/dashboard/speaker",
        ] {
            assert!(is_machine_path(p), "{p}");
        }
        for p in [
            "/",
            "/login/",
            "/admin/",
            "/nope",
            "/event/",
            "/apix",
            "/statuses",
            "/u/bob/",
        ] {
            assert!(!is_machine_path(p), "{p}");
        }
    }
}
