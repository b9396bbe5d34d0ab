//! `/dashboard`, `/dashboard/<role>`, `/roles`, `/scenarios`.

use axum::extract::State;
use bincio_core::event::wire::{attendee_projection, dashboard_doc, strings, Json};

use super::input::{Params, Segment};
use super::staff::Staff;
use super::{bson, flask, CcipState, Result};

pub(super) async fn roles_stats(State(s): State<CcipState>, _: Staff) -> Result {
    Ok(flask(&dashboard_doc(&s.service.dashboard().await?)))
}

pub(super) async fn role(State(s): State<CcipState>, _: Staff, Segment(role): Segment) -> Result {
    let (list, ids) = s.service.dashboard_role(&role).await?;
    Ok(bson(&Json::Arr(
        list.iter().map(|a| attendee_projection(a, &ids)).collect(),
    )))
}

pub(super) async fn roles(State(s): State<CcipState>) -> Result {
    Ok(flask(&strings(s.service.roles())))
}

pub(super) async fn scenarios(State(s): State<CcipState>, q: Params) -> Result {
    Ok(flask(&strings(s.service.scenarios(q.get("role"))?)))
}
