//! `POST /api/event/attendees?role=ROLE` (staff only): CSV body, validated
//! whole, imported in one step. Answers `{"inserted": n, "updated": m}`.

use axum::body::Bytes;
use axum::extract::State;
use bincio_core::event::service::msg;
use bincio_core::event::wire::Json;

use super::error::CcipError;
use super::input::Params;
use super::schema::{ImportCounts, Message};
use super::staff::Staff;
use super::{flask, CcipState, Result};

/// Import attendees of a role from a CSV (all-or-nothing; re-importing a
/// token updates it).
#[utoipa::path(post, path = "/api/event/attendees", tag = "ccip",
    params(("role" = String, Query, description = "The role of every row")),
    request_body(content = String, content_type = "text/csv",
        description = "Header `token,display_name[,title,…]`, one attendee a row"),
    responses(
        (status = 200, body = ImportCounts),
        (status = 400, description = "`role required`, or a bad row (file, line and column named)", body = Message),
        (status = 403, description = "`staff only`", body = Message),
        (status = 413, description = "Body over the import limit", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(role = ?q.get("role"), bytes = body.len()))]
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
