//! `POST /api/event/attendees?role=ROLE` (staff only): CSV body, validated
//! whole, imported in one step. Answers `{"inserted": n, "updated": m}`.

use axum::body::Bytes;
use axum::extract::State;
use bincio_core::event::service::msg;
use bincio_core::event::wire::Json;

use super::error::CcipError;
use super::input::Params;
use super::staff::Staff;
use super::{flask, CcipState, Result};

pub(super) async fn import(State(s): State<CcipState>, _: Staff, q: Params, body: Bytes) -> Result {
    let role = q
        .get("role")
        .ok_or_else(|| CcipError::bad(msg::ROLE_REQUIRED))?;
    let c = s.service.import_csv(role, &body).await?;
    Ok(flask(&Json::obj([
        ("inserted", Json::Int(c.inserted as i64)),
        ("updated", Json::Int(c.updated as i64)),
    ])))
}
