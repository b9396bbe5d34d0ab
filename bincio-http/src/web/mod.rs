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
mod draw;
mod errors;
mod flash;
mod fmt;
mod form;
mod i18n;
mod markdown;
mod multipart;
mod pages;
mod render;
mod units;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

pub use assets::{asset_bytes, LAYOUT_ASSETS};
pub(crate) use errors::html_errors;
pub(crate) use pages::activity::drawn::DrawCache;

use crate::AppState;
use pages::{
    account, activity, admin, athlete, community, drop_card, event, feed, invites, join, prefs,
    session, settings_strava, stats, upload,
};

/// The link `bincio serve` prints for an empty instance: it opens the
/// set-up page with the one-time code filled in.
pub fn setup_link(base_url: &str, code: &str) -> String {
    format!("{}/setup/?code={code}", base_url.trim_end_matches('/'))
}

/// Pages people type without the trailing slash, redirected to it.
/// The photo form: one photo (10 MiB) and a few fields.
const PHOTO_BODY_LIMIT: usize = 11 * 1024 * 1024;

const SLASHLESS: &[&str] = &[
    "/upload",
    "/community",
    "/event",
    "/event/desk",
    "/event/attendees",
    "/event/announcements",
    "/event/audit",
    "/event/import",
    "/event/booth",
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
        .route("/", get(feed::home))
        .route("/u/{handle}/", get(feed::member_feed))
        .route("/u/{handle}/stats/", get(stats::show))
        .route(
            "/u/{handle}/athlete/",
            get(athlete::show).post(athlete::save),
        )
        .route("/community/", get(community::show))
        .route("/event/", get(event::dashboard::show))
        .route("/event/live", get(event::dashboard::live))
        .route("/event/desk/", get(event::desk::show))
        .route("/event/desk/use", post(event::desk::use_scenario))
        .route("/event/desk/undo", post(event::desk::undo))
        .route("/event/attendees/", get(event::attendees::show))
        .route("/event/attendees.csv", get(event::attendees::export))
        .route(
            "/event/announcements/",
            get(event::attendees::announcements).post(event::attendees::announce),
        )
        .route("/event/audit/", get(event::attendees::audit))
        .route("/event/import/", get(event::import::show))
        .route(
            "/event/import/check",
            post(event::import::check).layer(DefaultBodyLimit::max(33 * 1024 * 1024)),
        )
        .route("/event/import/run", post(event::import::run))
        .route(
            "/event/booth/",
            get(event::booth::show).post(event::booth::deliver),
        )
        .route("/u/{handle}/activity/{id}/", get(activity::show))
        .route(
            "/u/{handle}/activity/{id}/edit",
            post(activity::owner::edit),
        )
        .route(
            "/u/{handle}/activity/{id}/photos",
            post(activity::owner::add_photo).layer(DefaultBodyLimit::max(PHOTO_BODY_LIMIT)),
        )
        .route(
            "/u/{handle}/activity/{id}/photos/{name}",
            get(activity::photo),
        )
        .route(
            "/u/{handle}/activity/{id}/photos/{name}/delete",
            post(activity::owner::remove_photo),
        )
        .route(
            "/u/{handle}/activity/{id}/elevation",
            post(activity::owner::elevation),
        )
        .route(
            "/u/{handle}/activity/{id}/delete",
            post(activity::owner::delete),
        )
        .route("/u/{handle}/activity/{id}/gpx", get(activity::owner::gpx))
        .route(
            "/u/{handle}/activity/{id}/original",
            get(activity::owner::original),
        )
        .route(
            "/upload/",
            get(upload::form)
                .post(upload::submit)
                .layer(DefaultBodyLimit::max(crate::routes::upload::BODY_LIMIT)),
        )
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
        .route("/settings/drop-scan", post(drop_card::scan))
        .route("/settings/strava/connect", post(settings_strava::connect))
        .route("/settings/strava/sync", post(settings_strava::sync))
        .route(
            "/settings/strava/disconnect",
            post(settings_strava::disconnect),
        )
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
