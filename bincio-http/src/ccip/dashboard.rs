//! `/dashboard`, `/dashboard/<role>`, `/roles`, `/scenarios`.

use axum::extract::State;
use bincio_core::event::wire::{attendee_projection, dashboard_doc, strings, Json};

use super::input::{Params, Segment};
use super::schema::{AttendeeProjection, Message, RoleStats};
use super::staff::Staff;
use super::{bson, flask, CcipState, Result};

/// Counts per role and scenario (staff).
#[utoipa::path(get, path = "/dashboard", tag = "ccip",
    responses(
        (status = 200, body = Vec<RoleStats>),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub(super) async fn roles_stats(State(s): State<CcipState>, _: Staff) -> Result {
    Ok(flask(&dashboard_doc(&s.service.dashboard().await?)))
}

/// Every attendee of a role with their scenario uses (staff; no tokens).
#[utoipa::path(get, path = "/dashboard/{role}", tag = "ccip",
    params(("role" = String, Path, description = "A configured role")),
    responses(
        (status = 200, body = Vec<AttendeeProjection>, content_type = "application/json; charset=utf-8"),
        (status = 400, description = "`role required` (unknown role)", body = Message),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(role = %role))]
pub(super) async fn role(State(s): State<CcipState>, _: Staff, Segment(role): Segment) -> Result {
    let (list, ids) = s.service.dashboard_role(&role).await?;
    Ok(bson(&Json::Arr(
        list.iter().map(|a| attendee_projection(a, &ids)).collect(),
    )))
}

/// The configured roles.
#[utoipa::path(get, path = "/roles", tag = "ccip",
    responses((status = 200, body = Vec<String>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn roles(State(s): State<CcipState>) -> Result {
    Ok(flask(&strings(s.service.roles())))
}

/// The scenario ids of a role.
#[utoipa::path(get, path = "/scenarios", tag = "ccip",
    params(("role" = String, Query, description = "A configured role")),
    responses(
        (status = 200, body = Vec<String>),
        (status = 400, description = "`role required` (missing or unknown role)", body = Message),
    ))]
#[tracing::instrument(skip_all)]
pub(super) async fn scenarios(State(s): State<CcipState>, q: Params) -> Result {
    Ok(flask(&strings(s.service.scenarios(q.get("role"))?)))
}
