//! The Strava card of `/settings/` (template `_settings_strava.html`):
//! connected as whom, last / next sync, a rate-limit pause, the last
//! problem, and the connect / sync now / disconnect forms (CSRF-checked
//! posts, one service call each).
//!
//! Connecting answers the settings page again with a link to Strava rather
//! than a redirect: the pages' CSP (`form-action 'self'`) forbids a form
//! whose redirects leave the site.

use bincio_core::model::User;
use bincio_core::sync::strava::{job_progress, StravaStatus};
use chrono::DateTime;

use crate::web::ctx::{Ctx, Member};
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::render::see_other;

/// What the card shows.
pub(crate) struct StravaCard {
    pub configured: bool,
    pub connected: bool,
    pub connected_as: String,
    pub last_sync: String,
    pub next_sync: Option<String>,
    pub paused_until: Option<String>,
    pub last_error: Option<String>,
    pub syncing: bool,
    /// After "connect": the link to follow.
    pub authorize_url: Option<String>,
    /// Why the last round trip did not connect (from `?strava=`).
    pub message: Option<String>,
}

fn when(c: &Ctx, t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map(|d| crate::web::fmt::date_time(c.t, &d.fixed_offset()) + " UTC")
        .unwrap_or_default()
}

/// The card, or `None` when the instance does not offer the sync.
pub(crate) async fn card(
    c: &Ctx,
    user: &User,
    authorize_url: Option<String>,
) -> Result<Option<StravaCard>, bincio_core::CoreError> {
    let Some(svc) = c.st.strava() else {
        return Ok(None);
    };
    let StravaStatus {
        configured,
        connected,
        last_sync,
        athlete_name,
        next_sync,
        paused_until,
        last_error,
        syncing,
        ..
    } = svc.status(user).await?;
    let message = match c.query("strava").as_deref() {
        Some("expired") => Some(c.t.strava_link_expired.to_owned()),
        Some("error") if last_error.is_none() => Some(c.t.strava_connect_failed.to_owned()),
        _ => None,
    };
    Ok(Some(StravaCard {
        configured,
        connected,
        connected_as: fill(
            c.t.strava_connected_as,
            &[&athlete_name.unwrap_or_default()],
        ),
        last_sync: last_sync.map_or_else(|| c.t.strava_never.to_owned(), |t| when(c, t)),
        next_sync: next_sync.map(|t| when(c, t)),
        paused_until: paused_until.map(|t| when(c, t)),
        last_error,
        syncing,
        authorize_url,
        message,
    }))
}

/// `POST /settings/strava/connect`: the settings page with the link to
/// Strava (a new single-use state bound to this session).
pub(crate) async fn connect(Member(c, user): Member, _f: PageForm) -> axum::response::Response {
    let Some(svc) = c.st.strava() else {
        return see_other(&c, "/settings/", Vec::new());
    };
    let session = c.session.clone().unwrap_or_default();
    match svc.auth_url(&user, &session).await {
        Ok(url) => super::account::render(&c, &user, Some(url)).await,
        Err(e) => c.fail(e),
    }
}

/// `POST /settings/strava/sync`: start a sync in the background (a job in
/// `/admin/jobs`); the card shows it running.
pub(crate) async fn sync(Member(c, user): Member, _f: PageForm) -> axum::response::Response {
    if let Some(svc) = c.st.strava() {
        let svc = svc.clone();
        let job = c.st.jobs().start(&user.handle, "strava-sync", 0);
        let handle = user.handle.clone();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut started = Some(started_tx);
            let _ = svc
                .sync(&handle, &mut |e| {
                    if let Some(s) = started.take() {
                        let _ = s.send(());
                    }
                    job_progress(&job, &e);
                })
                .await;
        });
        // Back once the sync has begun (or refused), so the card says so.
        let _ = started_rx.await;
    }
    see_other(&c, "/settings/#strava", Vec::new())
}

/// `POST /settings/strava/disconnect`: revoke at Strava, forget the tokens.
pub(crate) async fn disconnect(Member(c, user): Member, _f: PageForm) -> axum::response::Response {
    if let Some(svc) = c.st.strava() {
        if let Err(e) = svc.disconnect(&user).await {
            return c.fail(e);
        }
    }
    see_other(&c, "/settings/#strava", Vec::new())
}
