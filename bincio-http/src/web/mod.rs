//! The web pages: server-rendered HTML for the people who use an instance
//! (`contracts/web.md`), served by the same router as the JSON API.
//!
//! Layout of this module:
//! * [`ctx`] — who is asking, language, theme, form token, flash; the
//!   private-instance rule; the `Member` / `Admin` page guards;
//! * [`csrf`], [`form`] — cross-site refusal and the verified form reader
//!   (the only way a handler reads a post);
//! * [`render`] — HTML responses with the security headers, 303 redirects,
//!   the error pages; [`errors`] — HTML instead of the JSON 404 / 405 for
//!   page paths;
//! * [`i18n`] — one string table per language; [`flash`], [`cookies`],
//!   [`units`], [`assets`] (the versioned CSS / JS);
//! * [`pages`] — the handlers, templates in `bincio-http/templates/`.
//!
//! Invariants: every page response carries the strict CSP and `nosniff`;
//! every `POST` passes the cross-site check and its form token; pages call
//! the core services directly and never the JSON API.

mod assets;
pub(crate) mod cookies;
mod csrf;
mod ctx;
mod errors;
mod flash;
mod form;
mod i18n;
mod pages;
mod render;
mod units;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

pub use assets::page_asset_bytes;
pub(crate) use errors::html_errors;

use crate::AppState;
use pages::{account, admin, home, invites, join, prefs, session};

/// The link `bincio serve` prints for an empty instance: it opens the
/// set-up page with the one-time code filled in.
pub fn setup_link(base_url: &str, code: &str) -> String {
    format!("{}/setup/?code={code}", base_url.trim_end_matches('/'))
}

/// Pages people type without the trailing slash, redirected to it.
const SLASHLESS: &[&str] = &[
    "/login",
    "/register",
    "/reset-password",
    "/setup",
    "/invites",
    "/settings",
    "/admin",
];

async fn add_slash(uri: axum::http::Uri) -> axum::response::Redirect {
    let q = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    axum::response::Redirect::permanent(&format!("{}/{q}", uri.path()))
}

/// The page routes (merged into the app router by [`crate::router`]).
pub(crate) fn router(state: AppState) -> Router {
    let mut r = Router::new()
        .route("/", get(home::show))
        .route("/login/", get(session::form).post(session::submit))
        .route(
            "/logout",
            get(session::confirm).post(session::submit_logout),
        )
        .route("/setup/", get(join::setup_form).post(join::setup))
        .route("/register/", get(join::register_form).post(join::register))
        .route("/reset-password/", get(join::reset_form).post(join::reset))
        .route("/invites/", get(invites::show).post(invites::mint))
        .route("/settings/", get(account::show))
        .route("/settings/profile", post(account::profile))
        .route("/settings/password", post(account::password))
        .route("/settings/preferences", post(account::preferences))
        .route(
            "/settings/delete-originals",
            post(account::delete_originals),
        )
        .route(
            "/settings/delete-activities",
            post(account::delete_activities),
        )
        .route("/settings/delete-account", post(account::delete_account))
        .route("/admin/", get(admin::show))
        .route("/admin/settings", post(admin::save_settings))
        .route("/admin/jobs/", get(admin::jobs))
        .route("/admin/users/{handle}/", get(admin::user))
        .route("/admin/users/{handle}/reset-code", post(admin::reset_code))
        .route("/admin/users/{handle}/role", post(admin::role))
        .route("/admin/users/{handle}/wipe", post(admin::wipe))
        .route("/admin/users/{handle}/delete", post(admin::delete))
        .route("/theme", post(prefs::theme))
        .route("/lang", post(prefs::lang))
        .route("/assets/{version}/{name}", get(assets::serve));
    for p in SLASHLESS {
        r = r.route(p, get(add_slash));
    }
    r.layer(middleware::from_fn_with_state(
        state.clone(),
        csrf::refuse_cross_site,
    ))
    .with_state(state)
}
