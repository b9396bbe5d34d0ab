//! `/event/puzzle*`.

use axum::extract::State;
use bincio_core::event::wire::{bucket_doc, counters_doc, strings, Json};

use super::input::{Fields, Params};
use super::schema::{
    DeliverForm, Delivered, Deliverer, Message, PuzzleBucket, PuzzleCounter, StatusOk,
};
use super::staff::Staff;
use super::{bson, flask, ok, CcipState, Result};

/// The answers of the staff actions on a bucket (`revoke`, `coupon`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum StaffBucketAction {
    /// Done.
    #[response(status = 200)]
    Done(StatusOk),
    /// `token required`, `invalid token`.
    #[response(status = 400)]
    Refused(Message),
    /// `staff only`.
    #[response(status = 403)]
    StaffOnly(Message),
}

/// A puzzle bucket, by the attendee's **public** token.
#[utoipa::path(get, path = "/event/puzzle", tag = "ccip",
    params(("token" = String, Query, description = "Public token: SHA-1 hex of the private token")),
    responses(
        (status = 200, body = PuzzleBucket),
        (status = 400, description = "`token required`, `Invalid token, please try again after checkin.`", body = Message),
    ))]
#[tracing::instrument(skip_all)]
pub(super) async fn bucket(State(s): State<CcipState>, q: Params) -> Result {
    let (user_id, b) = s.service.puzzle(q.get("token")).await?;
    Ok(flask(&bucket_doc(&user_id, &b)))
}

/// Redeem a bucket: its pieces leave circulation (staff; idempotent).
#[utoipa::path(method(get, post, put), path = "/event/puzzle/revoke", tag = "ccip",
    params(("token" = String, Query, description = "Private attendee token")),
    responses(StaffBucketAction),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub(super) async fn revoke(State(s): State<CcipState>, staff: Staff, q: Params) -> Result {
    s.service.revoke_as(q.get("token"), &staff.actor).await?;
    Ok(ok())
}

/// Mark a bucket's coupon used (staff).
#[utoipa::path(method(get, post, put), path = "/event/puzzle/coupon", tag = "ccip",
    params(("token" = String, Query, description = "Private attendee token")),
    responses(StaffBucketAction),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub(super) async fn coupon(State(s): State<CcipState>, staff: Staff, q: Params) -> Result {
    s.service.coupon_as(q.get("token"), &staff.actor).await?;
    Ok(ok())
}

/// A deliverer's display name.
#[utoipa::path(get, path = "/event/puzzle/deliverer", tag = "ccip",
    params(("token" = String, Query, description = "Deliverer token")),
    responses(
        (status = 200, body = Deliverer),
        (status = 400, description = "`token required`, `invalid deliverer token`", body = Message),
    ))]
#[tracing::instrument(skip_all)]
pub(super) async fn deliverer(State(s): State<CcipState>, q: Params) -> Result {
    let name = s.service.deliverer(q.get("token"))?;
    Ok(flask(&Json::obj([("slug", Json::s(name))])))
}

/// Every deliverer's display name.
#[utoipa::path(get, path = "/event/puzzle/deliverers", tag = "ccip",
    responses((status = 200, body = Vec<String>)))]
#[tracing::instrument(skip_all)]
pub(super) async fn deliverers(State(s): State<CcipState>) -> Result {
    Ok(flask(&strings(s.service.deliverers())))
}

/// A booth delivers one piece to an attendee (once per deliverer).
#[utoipa::path(post, path = "/event/puzzle/deliver", tag = "ccip",
    params(("token" = String, Query, description = "Deliverer token")),
    request_body(content(
        (DeliverForm = "application/x-www-form-urlencoded"),
        (DeliverForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Delivered),
        (status = 400, description = "`token and receiver required`, `invalid receiver token`, \
            `invalid token`, `Already take from this deliverer`", body = Message),
    ))]
#[tracing::instrument(skip_all)]
pub(super) async fn deliver(State(s): State<CcipState>, q: Params, f: Fields) -> Result {
    let user_id = s.service.deliver(q.get("token"), f.get("receiver")).await?;
    Ok(flask(&Json::obj([
        ("status", Json::s("OK")),
        ("user_id", Json::s(user_id)),
    ])))
}

/// The piece counters (`total` last).
#[utoipa::path(get, path = "/event/puzzle/dashboard", tag = "ccip",
    responses((status = 200, body = Vec<PuzzleCounter>, content_type = "application/json; charset=utf-8")))]
#[tracing::instrument(skip_all)]
pub(super) async fn dashboard(State(s): State<CcipState>) -> Result {
    Ok(bson(&counters_doc(&s.service.puzzle_dashboard().await?)))
}
