//! Cross-site request forgery: two independent locks on every
//! state-changing page request.
//!
//! 1. **Origin** ([`refuse_cross_site`]): every `POST` to a page is refused
//!    when the browser says it came from another site — the same decision
//!    as the JSON API's ([`crate::cross_site::is_cross_site`]), but for
//!    every request, with or without a session (log-in and registration
//!    forms included).
//! 2. **Form token** ([`token`], checked by [`super::form::PageForm`]):
//!    every form carries a hidden `csrf` field derived from a secret the
//!    attacker cannot read — the session token when logged in, else the
//!    random HttpOnly `bincio_csrf` cookie. It is a hash, so the page never
//!    shows the secret itself, and it changes when the session does (log
//!    in, log out).
//!
//! Invariant: a handler can only read a posted form through `PageForm`,
//! which refuses the request (403, nothing done) unless the token matches.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use bincio_core::accounts::tokens;

use super::ctx::Ctx;
use super::render::PageError;
use crate::AppState;

/// The expected form token, for a logged-in session or an anonymous
/// visitor's `bincio_csrf` cookie.
pub(crate) fn token(session: Option<&str>, anon: &str) -> String {
    match session {
        Some(s) => tokens::sha256_hex(&format!("bincio-form-v1\nsession\n{s}")),
        None => tokens::sha256_hex(&format!("bincio-form-v1\nanon\n{anon}")),
    }
}

/// Constant-time comparison of two tokens.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A fresh random value for the `bincio_csrf` cookie.
pub(crate) fn new_anon() -> String {
    tokens::sha256_hex(&tokens::new_session_token())
}

/// Whether a cookie value can be ours (64 lowercase hex).
pub(crate) fn is_anon_value(v: &str) -> bool {
    v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Middleware of the page router: a state-changing request that another
/// site made the browser send is answered 403 (an HTML page) and never
/// reaches its handler.
pub(crate) async fn refuse_cross_site(
    State(st): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method
        && crate::cross_site::is_cross_site(
            req.headers(),
            req.uri().authority().map(|a| a.as_str()),
            st.config().public_url.as_deref(),
        )
    {
        tracing::info!(method = %req.method(), path = %req.uri().path(), "cross-site form refused");
        let (mut parts, _) = req.into_parts();
        let c = Ctx::build(&mut parts, &st, false).await;
        return PageError::CrossSite.render(c.as_ref().ok());
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret() {
        let a = new_anon();
        assert!(is_anon_value(&a));
        assert_ne!(token(None, &a), token(None, &new_anon()));
        assert_ne!(token(Some("s"), &a), token(None, &a));
        assert_eq!(token(Some("s"), &a), token(Some("s"), "other"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(!is_anon_value("zz") && !is_anon_value(&"A".repeat(64)));
    }
}
