//! The client's address, for rate limiting.
//!
//! Proxy headers are honoured only with `--trusted-proxy`; otherwise a
//! client could pick a fresh address per request. Behind a proxy,
//! `X-Real-IP` wins, else the *last* `X-Forwarded-For` entry (the one the
//! proxy appended; earlier entries are client-controlled).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Middleware of the app router: the first request that carries
/// `X-Forwarded-For` / `X-Real-IP` while `--trusted-proxy` is off logs a
/// warning (once per app): behind a proxy every client then has the proxy's
/// address, so they all share one login / registration budget and one
/// per-client connection bound.
pub(crate) async fn warn_untrusted_proxy(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !st.config().trusted_proxy
        && (req.headers().contains_key("x-forwarded-for")
            || req.headers().contains_key("x-real-ip"))
        && st.first_untrusted_proxy_request()
    {
        tracing::warn!(
            "requests carry X-Forwarded-For / X-Real-IP but --trusted-proxy is off: every client \
             behind the proxy shares the proxy's address for rate limits and connection bounds; \
             pass --trusted-proxy if a reverse proxy you control sets these headers"
        );
    }
    next.run(req).await
}

/// Textual client address (`"unknown"` when the transport does not say).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config().trusted_proxy {
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            if let Some(ip) = header("x-real-ip")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
            {
                return Ok(Self(ip));
            }
            if let Some(ip) = header("x-forwarded-for")
                .and_then(|v| v.rsplit(',').next().map(|s| s.trim().to_owned()))
                .filter(|s| !s.is_empty())
            {
                return Ok(Self(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(Self(peer))
    }
}
