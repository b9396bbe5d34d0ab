//! `/`: the start page. Members get their way around (upload, invites,
//! settings, admin); visitors of a public instance what it is and how to
//! join. (The combined activity feed takes this place in a later page.)

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::web::ctx::Ctx;
use crate::web::i18n::fill;
use crate::web::render::html;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    c: &'a Ctx,
    welcome: String,
}

/// `GET /`.
pub(crate) async fn show(c: Ctx) -> Response {
    let welcome = match &c.user {
        Some(u) => fill(c.t.home_welcome, &[&display(u)]),
        None => c.instance_name().to_owned(),
    };
    html(&c, StatusCode::OK, &HomePage { c: &c, welcome })
}

/// A member's display name, or their handle when they left it empty.
pub(crate) fn display(u: &bincio_core::model::User) -> &str {
    if u.display_name.trim().is_empty() {
        &u.handle
    } else {
        &u.display_name
    }
}
