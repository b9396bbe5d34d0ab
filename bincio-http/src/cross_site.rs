//! Refusing cross-site requests that ride on the session cookie.
//!
//! `bincio_session` is `SameSite=Lax`, which still lets a cookie through on
//! cross-site top-level navigations and from sibling subdomains, and older
//! browsers ignore it. So the server itself refuses a request that another
//! site made the browser send, whenever the session cookie is what
//! authenticates it:
//!
//! * every `POST` / `PUT` / `PATCH` / `DELETE` under the app router
//!   ([`refuse_api`], 403 `{"detail": "Cross-site request refused"}`);
//! * every CCIP staff route whose staff credential is the cookie, whatever
//!   the method — `revoke` and `coupon` change state on `GET`
//!   (`crate::ccip::staff`, 403 `{"message": "cross-site request refused"}`).
//!
//! Requests authenticated otherwise are never looked at: `Authorization:
//! Bearer` (mobile clients), the `ccip` staff header (OPass staff tools),
//! attendee tokens, and requests without the cookie. A browser cannot attach
//! those credentials to a forged cross-site request on its own.
//!
//! The decision ([`is_cross_site`]) follows Go's
//! `net/http.CrossOriginProtection`:
//! 1. `Sec-Fetch-Site` (set by every current browser, not settable by
//!    pages): `same-origin` and `none` (the user typed the URL or used a
//!    bookmark) pass; `cross-site` **and `same-site`** are refused — a
//!    sibling subdomain (another app, user content) is not this site.
//! 2. Without it (older browsers, non-browser clients): `Origin` absent
//!    passes; an `Origin` whose host (and port) is the request's `Host`
//!    passes; anything else, `null` included, is refused.
//! 3. Either way an `Origin` equal to the public URL's origin
//!    (`--public-url`) passes — a proxy may rewrite `Host`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::AppState;

/// The message of a refusal (CCIP routes lower-case it, as CS's messages).
pub(crate) const REFUSED: &str = "Cross-site request refused";

/// Whether a browser sent this request on behalf of another site (see the
/// module doc). `authority` is the request URI's (HTTP/2 has no `Host`
/// header); `public_url` is the instance's public base URL, if any.
pub(crate) fn is_cross_site(
    headers: &HeaderMap,
    authority: Option<&str>,
    public_url: Option<&str>,
) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let origin = text(header::ORIGIN);
    if let (Some(o), Some(public)) = (origin, public_url.and_then(origin_of)) {
        if o.eq_ignore_ascii_case(&public) {
            return false;
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return !(site == "same-origin" || site == "none");
    }
    let Some(origin) = origin else {
        return false;
    };
    let host = text(header::HOST).or(authority);
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    !matches!((origin_host, host), (Some(o), Some(h)) if !o.is_empty() && o.eq_ignore_ascii_case(h))
}

/// `scheme://host[:port]` of a URL (no path, no trailing slash).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Whether the method changes state by HTTP's definition.
fn is_unsafe(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Middleware of the app router: refuse a state-changing request that
/// carries the session cookie and comes from another site.
pub(crate) async fn refuse_api(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if is_unsafe(req.method())
        && crate::auth::cookie_token(req.headers()).is_some()
        && is_cross_site(
            req.headers(),
            req.uri().authority().map(|a| a.as_str()),
            st.config().public_url.as_deref(),
        )
    {
        tracing::info!(method = %req.method(), path = %req.uri().path(), "cross-site request refused");
        return ApiError::new(StatusCode::FORBIDDEN, REFUSED).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    #[test]
    fn decisions() {
        let host = ("host", "bincio.example");
        let pass = [
            vec![],
            vec![host],
            vec![host, ("sec-fetch-site", "same-origin")],
            vec![host, ("sec-fetch-site", "none")],
            vec![host, ("origin", "https://bincio.example")],
            vec![
                ("host", "BINCIO.example:8443"),
                ("origin", "https://bincio.example:8443"),
            ],
        ];
        for p in pass {
            assert!(!is_cross_site(&h(&p), None, None), "{p:?}");
        }
        let refuse = [
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("origin", "https://evil.example")],
            vec![host, ("origin", "null")],
            vec![host, ("origin", "https://bincio.example:8443")],
            vec![("origin", "https://bincio.example")],
            // Sec-Fetch-Site wins over a matching Origin.
            vec![
                host,
                ("origin", "https://bincio.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ];
        for r in refuse {
            assert!(is_cross_site(&h(&r), None, None), "{r:?}");
        }
    }

    #[test]
    fn public_url_is_trusted() {
        let behind_proxy = h(&[
            ("host", "127.0.0.1:4041"),
            ("origin", "https://bincio.example"),
        ]);
        assert!(is_cross_site(&behind_proxy, None, None));
        assert!(!is_cross_site(
            &behind_proxy,
            None,
            Some("https://bincio.example/")
        ));
        assert!(is_cross_site(
            &behind_proxy,
            None,
            Some("https://other.example")
        ));
        // HTTP/2: the authority stands in for `Host`.
        let h2 = h(&[("origin", "https://bincio.example")]);
        assert!(!is_cross_site(&h2, Some("bincio.example"), None));
    }
}
