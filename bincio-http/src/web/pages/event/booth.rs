//! `/event/booth/?token=<deliverer token>`: a sponsor booth gives an
//! attendee a puzzle piece. The deliverer token in the link is the
//! credential (as CCIP's `POST /event/puzzle/deliver`); the attendee's
//! token is typed or scanned. The form carries the deliverer token, so
//! the page needs no account.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::CoreError;

use super::event_or_404;
use crate::web::ctx::Ctx;
use crate::web::form::PageForm;
use crate::web::render::{html, PageError};

#[derive(Template)]
#[template(path = "event_booth.html")]
struct BoothPage<'a> {
    c: &'a Ctx,
    token: String,
    deliverer: Option<String>,
    message: Option<(bool, String)>,
}

fn render(
    c: &Ctx,
    token: String,
    deliverer: Option<String>,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    html(
        c,
        status,
        &BoothPage {
            c,
            token,
            deliverer,
            message,
        },
    )
}

/// `GET /event/booth/?token=…`.
pub(crate) async fn show(c: Ctx) -> Response {
    let Some(event) = event_or_404(&c) else {
        return c.fail(PageError::NotFound);
    };
    let token = c.query("token").unwrap_or_default();
    let deliverer = event.deliverer(Some(&token)).ok();
    let status = if deliverer.is_some() || token.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    let message =
        (deliverer.is_none() && !token.is_empty()).then(|| (false, c.t.booth_bad_token.to_owned()));
    render(&c, token, deliverer, message, status)
}

/// `POST /event/booth/` (`token`, `receiver`).
pub(crate) async fn deliver(c: Ctx, form: PageForm) -> Response {
    let Some(event) = event_or_404(&c) else {
        return c.fail(PageError::NotFound);
    };
    let token = form.get("token").to_owned();
    let Ok(deliverer) = event.deliverer(Some(&token)) else {
        return render(
            &c,
            token,
            None,
            Some((false, c.t.booth_bad_token.to_owned())),
            StatusCode::FORBIDDEN,
        );
    };
    let receiver = form.get("receiver").trim().to_owned();
    match event.deliver(Some(&token), Some(&receiver)).await {
        Ok(name) => {
            let msg = crate::web::i18n::fill(c.t.booth_delivered, &[&name]);
            render(
                &c,
                token,
                Some(deliverer),
                Some((true, msg)),
                StatusCode::OK,
            )
        }
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => render(
            &c,
            token,
            Some(deliverer),
            Some((false, e.to_string())),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => c.fail(e),
    }
}
