//! `/event/puzzle*`.

use axum::extract::State;
use bincio_core::event::wire::{bucket_doc, counters_doc, strings, Json};

use super::input::{Fields, Params};
use super::staff::Staff;
use super::{bson, flask, ok, CcipState, Result};

pub(super) async fn bucket(State(s): State<CcipState>, q: Params) -> Result {
    let (user_id, b) = s.service.puzzle(q.get("token")).await?;
    Ok(flask(&bucket_doc(&user_id, &b)))
}

pub(super) async fn revoke(State(s): State<CcipState>, _: Staff, q: Params) -> Result {
    s.service.revoke(q.get("token")).await?;
    Ok(ok())
}

pub(super) async fn coupon(State(s): State<CcipState>, _: Staff, q: Params) -> Result {
    s.service.coupon(q.get("token")).await?;
    Ok(ok())
}

pub(super) async fn deliverer(State(s): State<CcipState>, q: Params) -> Result {
    let name = s.service.deliverer(q.get("token"))?;
    Ok(flask(&Json::obj([("slug", Json::s(name))])))
}

pub(super) async fn deliverers(State(s): State<CcipState>) -> Result {
    Ok(flask(&strings(s.service.deliverers())))
}

pub(super) async fn deliver(State(s): State<CcipState>, q: Params, f: Fields) -> Result {
    let user_id = s.service.deliver(q.get("token"), f.get("receiver")).await?;
    Ok(flask(&Json::obj([
        ("status", Json::s("OK")),
        ("user_id", Json::s(user_id)),
    ])))
}

pub(super) async fn dashboard(State(s): State<CcipState>) -> Result {
    Ok(bson(&counters_doc(&s.service.puzzle_dashboard().await?)))
}
