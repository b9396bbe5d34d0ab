//! The event staff console (`contracts/web.md`, "Event staff console"),
//! served with `bincio serve --event DIR`: the live dashboard, the desk,
//! attendees, announcements, import (dry run first), the audit log and
//! the booth page. Each page calls the event service (the same rules as
//! the CCIP routes and the desk API); every action is a plain form.
//!
//! Who: staff and admins ([`Staff`]); import and audit: admins; the booth
//! page: anyone holding a deliverer token (it is the credential, as in
//! CCIP's `/event/puzzle/deliver`). Without `--event` every page is 404.

pub(crate) mod attendees;
pub(crate) mod booth;
pub(crate) mod dashboard;
pub(crate) mod desk;
pub(crate) mod import;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use bincio_core::event::EventService;
use bincio_core::model::User;

use crate::web::ctx::{Ctx, Member};
use crate::web::render::PageError;
use crate::AppState;

/// A console page for staff (or admins); `admin` pages for admins only.
pub(crate) struct Staff {
    pub c: Ctx,
    pub user: User,
    pub event: Arc<EventService>,
}

impl Staff {
    /// The actor the audit log records for this person.
    pub(crate) fn actor(&self) -> String {
        format!("staff:{}", self.user.handle)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Member(c, user) = Member::from_request_parts(parts, st).await?;
        let Some(event) = st.event().cloned() else {
            return Err(PageError::NotFound.render(Some(&c)));
        };
        if !user.is_staff() {
            return Err(PageError::Forbidden.render(Some(&c)));
        }
        Ok(Self { c, user, event })
    }
}

/// A console page for admins only (import, the audit log): a staff member
/// who is not an admin gets the 403 page.
pub(crate) struct EventAdmin(pub Staff);

impl FromRequestParts<AppState> for EventAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let s = Staff::from_request_parts(parts, st).await?;
        if s.user.is_admin() {
            Ok(Self(s))
        } else {
            Err(PageError::Forbidden.render(Some(&s.c)))
        }
    }
}

/// The event, for pages anyone with a credential may open (the booth);
/// `None` without `--event` (the caller shows the 404 page).
pub(crate) fn event_or_404(c: &Ctx) -> Option<Arc<EventService>> {
    c.st.event().cloned()
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC` (the console shows times as
/// the log stores them).
pub(crate) fn hm(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}
