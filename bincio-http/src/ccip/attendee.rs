//! `/landing`, `/status`, `/use/<scenario_id>`.

use axum::extract::State;
use bincio_core::event::wire::{attendee_doc, Json};

use super::input::{Params, Segment};
use super::schema::{Attendee, Landing, Message};
use super::{bson, flask, CcipState, Result};

/// The attendee's nickname (no side effect).
#[utoipa::path(get, path = "/landing", tag = "ccip",
    params(("token" = String, Query, description = "Private attendee token")),
    responses(
        (status = 200, body = Landing),
        (status = 400, description = "`token required`, `invalid token`", body = Message),
    ))]
#[tracing::instrument(skip_all)]
pub(super) async fn landing(State(s): State<CcipState>, q: Params) -> Result {
    let nick = s.service.landing(q.get("token")).await?;
    Ok(flask(&Json::obj([("nickname", Json::s(nick))])))
}

/// The attendee document. Without `StaffQuery` the first call records
/// `first_use` and creates the puzzle bucket.
#[utoipa::path(get, path = "/status", tag = "ccip",
    params(
        ("token" = String, Query, description = "Private attendee token"),
        ("StaffQuery" = Option<String>, Query, description = "Any non-empty value: a staff lookup (writes nothing)"),
    ),
    responses(
        (status = 200, body = Attendee, content_type = "application/json; charset=utf-8"),
        (status = 400, description = "`token required`, `invalid token`", body = Message),
    ))]
#[tracing::instrument(skip_all, fields(staff = q.flag("StaffQuery")))]
pub(super) async fn status(State(s): State<CcipState>, q: Params) -> Result {
    let a = s
        .service
        .status(q.get("token"), q.flag("StaffQuery"))
        .await?;
    Ok(bson(&attendee_doc(&a)))
}

/// Use a scenario (check-in, kit, lunch …): atomic; answers the attendee
/// document after the use.
#[utoipa::path(get, path = "/use/{scenario_id}", tag = "ccip",
    params(
        ("scenario_id" = String, Path, description = "Scenario id"),
        ("token" = String, Query, description = "Private attendee token"),
        ("StaffQuery" = Option<String>, Query, description = "Any non-empty value: used by staff (applies `staff_query_*` rules)"),
    ),
    responses(
        (status = 200, body = Attendee, content_type = "application/json; charset=utf-8"),
        (status = 400, description = "`token required`, `invalid token`, `invalid scenario_id`, \
            `link expired/not available now`, `has been used`, `disabled scenario`", body = Message),
    ))]
#[tracing::instrument(skip_all, fields(scenario = %id, staff = q.flag("StaffQuery")))]
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
