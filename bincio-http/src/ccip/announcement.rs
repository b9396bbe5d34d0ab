//! `GET|POST /announcement`.

use axum::extract::State;
use bincio_core::event::wire::announcements_doc;
use bincio_core::event::NewAnnouncement;

use super::input::{Fields, Params};
use super::staff::Staff;
use super::{bson, ok, CcipState, Result};

pub(super) async fn list(State(s): State<CcipState>, q: Params) -> Result {
    let list = s.service.announcements(q.get("token")).await?;
    Ok(bson(&announcements_doc(&list)))
}

pub(super) async fn post(State(s): State<CcipState>, _: Staff, f: Fields) -> Result {
    s.service
        .announce(NewAnnouncement {
            msg_zh: f.get("msg_zh").map(str::to_owned),
            msg_en: f.get("msg_en").map(str::to_owned),
            uri: f.get("uri").map(str::to_owned),
            role: f.all("role[]"),
        })
        .await?;
    Ok(ok())
}
