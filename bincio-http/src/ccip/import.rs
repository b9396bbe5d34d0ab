//! `POST /api/event/attendees?role=ROLE` (staff only): CSV body, validated
//! whole, imported in one step. Answers `{"inserted": n, "updated": m}`.
//! With `dry_run=true` the file is only checked: every problem by line
//! (400), or `{"rows", "new", "existing"}` — nothing is written.

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
    params(
        ("role" = String, Query, description = "The role of every row"),
        ("dry_run" = Option<bool>, Query, description = "`true`: check the file and say what it would do (`{rows, new, existing}`), writing nothing"),
    ),
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
pub(super) async fn import(
    State(s): State<CcipState>,
    staff: Staff,
    q: Params,
    body: Bytes,
) -> Result {
    let role = q
        .get("role")
        .ok_or_else(|| CcipError::bad(msg::ROLE_REQUIRED))?;
    if q.flag("dry_run") && q.get("dry_run") != Some("false") && q.get("dry_run") != Some("0") {
        let p = s
            .service
            .import_preview(role, &body)
            .await?
            .map_err(|e| CcipError::bad(e.to_string()))?;
        return Ok(flask(&Json::obj([
            ("rows", Json::Int(p.rows as i64)),
            ("new", Json::Int(p.new as i64)),
            ("existing", Json::Int(p.existing as i64)),
        ])));
    }
    let c = s.service.import_csv_as(role, &body, &staff.actor).await?;
    Ok(flask(&Json::obj([
        ("inserted", Json::Int(c.inserted as i64)),
        ("updated", Json::Int(c.updated as i64)),
    ])))
}
