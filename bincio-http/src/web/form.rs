//! A posted page form, read only after its CSRF token checked out.
//!
//! [`PageForm`] is the one way a page handler reads a form: it takes the
//! `application/x-www-form-urlencoded` body (at most [`MAX_FORM_BYTES`]),
//! and refuses the request with the 403 page unless its `csrf` field equals
//! the token of the request's [`Ctx`] (which must have been extracted
//! before it — with no context there is no expected token, so it refuses).

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;

use super::csrf;
use super::ctx::Ctx;
use super::render::PageError;

/// Largest form body accepted (the biggest form is a few fields).
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// The fields of a verified form.
#[derive(Debug, Default)]
pub(crate) struct PageForm(Vec<(String, String)>);

impl PageForm {
    /// The last value of `name`, or "" (an unchecked box, a missing field).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` was ticked (present and not `false`/`off`).
    pub(crate) fn checked(&self, name: &str) -> bool {
        let v = self.get(name);
        !v.is_empty() && v != "false" && v != "off" && v != "0"
    }
}

impl<S: Send + Sync> FromRequest<S> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Response> {
        let c = req.extensions().get::<Ctx>().cloned();
        let reject = |e: PageError| e.render(c.as_ref());
        let Some(expected) = c.as_ref().map(|c| c.csrf.clone()) else {
            return Err(reject(PageError::Csrf));
        };
        let urlencoded = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !urlencoded {
            return Err(reject(PageError::BadRequest));
        }
        let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| reject(PageError::BadRequest))?;
        let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
            .into_owned()
            .take(64)
            .collect();
        let form = Self(fields);
        if !csrf::same(form.get("csrf"), &expected) {
            tracing::info!("form refused: missing or wrong csrf token");
            return Err(reject(PageError::Csrf));
        }
        Ok(form)
    }
}
