//! Turning templates into responses: HTML pages with the security headers,
//! redirect-after-post (303) and the friendly error pages.
//!
//! Every HTML response of the web layer goes through [`html`], which sets
//! the strict CSP, `nosniff` and `no-store` (pages are per-reader), and the
//! cookies the request's [`Ctx`] owes.

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bincio_core::CoreError;

use super::ctx::Ctx;

/// The Content-Security-Policy of every page: scripts, styles, images and
/// fetches from this origin only; no inline script or style; forms post
/// only here; never framed. (`data:` images: the CSS's inline icons.)
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Set the security headers of a page (or an asset, or a redirect).
pub(crate) fn security_headers(h: &mut HeaderMap) {
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

fn add_cookies(h: &mut HeaderMap, cookies: impl IntoIterator<Item = String>) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(SET_COOKIE, v);
        }
    }
}

/// An HTML page: `status`, the rendered template, the context's cookies.
/// A template that fails to render is the 500 page (logged).
pub(crate) fn html(c: &Ctx, status: StatusCode, tpl: &impl Template) -> Response {
    match tpl.render() {
        Ok(body) => {
            let mut r = (status, body).into_response();
            let h = r.headers_mut();
            h.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            security_headers(h);
            add_cookies(h, c.csrf_cookie.iter().chain(c.flash_clear.iter()).cloned());
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a page");
            bare_error(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// `303 See Other` to a local `location`, with the context's new CSRF
/// cookie and `cookies` (session, flash …). The pending flash is left for
/// the page the redirect leads to.
pub(crate) fn see_other(c: &Ctx, location: &str, cookies: Vec<String>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(LOCATION, v);
    } else {
        h.insert(LOCATION, HeaderValue::from_static("/"));
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(h);
    add_cookies(h, c.csrf_cookie.iter().cloned().chain(cookies));
    r
}

/// Why a page could not be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageError {
    NotFound,
    Forbidden,
    MethodNotAllowed,
    BadRequest,
    /// The form token was missing or wrong.
    Csrf,
    /// Another site made the browser post here.
    CrossSite,
    Internal,
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound(_) => Self::NotFound,
            CoreError::Forbidden(_) | CoreError::Unauthorized(_) => Self::Forbidden,
            CoreError::Store(_) | CoreError::Internal(_) | CoreError::Unavailable(_) => {
                tracing::error!(error = %e, "page failed");
                Self::Internal
            }
            _ => Self::BadRequest,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: &'a Ctx,
    title: &'a str,
    body: &'a str,
    code: u16,
}

impl PageError {
    /// The HTTP status.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The page (with the site's layout when there is a context).
    pub(crate) fn render(self, c: Option<&Ctx>) -> Response {
        let Some(c) = c else {
            return bare_error(self.status());
        };
        let t = c.t;
        let (title, body) = match self {
            Self::NotFound => (t.err_404_title, t.err_404_body),
            Self::Forbidden => (t.err_403_title, t.err_403_body),
            Self::MethodNotAllowed => (t.err_405_title, t.err_405_body),
            Self::BadRequest => (t.err_400_title, t.err_400_body),
            Self::Csrf => (t.err_csrf_title, t.err_csrf_body),
            Self::CrossSite => (t.err_403_title, t.err_cross_site_body),
            Self::Internal => (t.err_500_title, t.err_500_body),
        };
        let page = ErrorPage {
            c,
            title,
            body,
            code: self.status().as_u16(),
        };
        html(c, self.status(), &page)
    }
}

/// A minimal page when not even the layout can be rendered.
fn bare_error(status: StatusCode) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{0}</title>\
         <h1>{0}</h1><p><a href=\"/\">Back to the start</a></p></html>",
        status.canonical_reason().unwrap_or("Error")
    );
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(h);
    r
}
