//! `GET|POST /announcement`.

use axum::extract::State;
use bincio_core::event::wire::announcements_doc;
use bincio_core::event::NewAnnouncement;

use super::input::{Fields, Params};
use super::schema::{Announcement, AnnouncementForm, Message, StatusOk};
use super::staff::Staff;
use super::{bson, ok, CcipState, Result};

/// Announcements for the token's role (the default role without a valid
/// token), newest first.
#[utoipa::path(get, path = "/announcement", tag = "ccip",
    params(("token" = Option<String>, Query, description = "Private attendee token (its role)")),
    responses((status = 200, body = Vec<Announcement>, content_type = "application/json; charset=utf-8")))]
#[tracing::instrument(skip_all)]
pub(super) async fn list(State(s): State<CcipState>, q: Params) -> Result {
    let list = s.service.announcements(q.get("token")).await?;
    Ok(bson(&announcements_doc(&list)))
}

/// Post an announcement (staff).
#[utoipa::path(post, path = "/announcement", tag = "ccip",
    request_body(content(
        (AnnouncementForm = "application/x-www-form-urlencoded"),
        (AnnouncementForm = "multipart/form-data"),
        (AnnouncementForm = "application/json"),
    )),
    responses(
        (status = 200, body = StatusOk),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(roles = ?f.all("role[]")))]
pub(super) async fn post(State(s): State<CcipState>, staff: Staff, f: Fields) -> Result {
    let n = NewAnnouncement {
        msg_zh: f.get("msg_zh").map(str::to_owned),
        msg_en: f.get("msg_en").map(str::to_owned),
        uri: f.get("uri").map(str::to_owned),
        role: f.all("role[]"),
    };
    s.service.announce_as(n, &staff.actor).await?;
    Ok(ok())
}
