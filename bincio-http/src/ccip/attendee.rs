//! `/landing`, `/status`, `/use/<scenario_id>`.

use axum::extract::State;
use bincio_core::event::wire::{attendee_doc, Json};

use super::input::{Params, Segment};
use super::{bson, flask, CcipState, Result};

pub(super) async fn landing(State(s): State<CcipState>, q: Params) -> Result {
    let nick = s.service.landing(q.get("token")).await?;
    Ok(flask(&Json::obj([("nickname", Json::s(nick))])))
}

pub(super) async fn status(State(s): State<CcipState>, q: Params) -> Result {
    let a = s
        .service
        .status(q.get("token"), q.flag("StaffQuery"))
        .await?;
    Ok(bson(&attendee_doc(&a)))
}

pub(super) async fn use_scenario(
    State(s): State<CcipState>,
    Segment(id): Segment,
    q: Params,
) -> Result {
    let a = s
        .service
        .use_scenario(q.get("token"), &id, q.flag("StaffQuery"))
        .await?;
    Ok(bson(&attendee_doc(&a)))
}
