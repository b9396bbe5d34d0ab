//! The check-in desk's API (bincio's, beside the CCIP routes; none of
//! them changes a byte of CCIP's): staff scans that name who scanned and
//! may carry a nonce (`POST /api/event/use`), offline scans sent in one
//! batch (`POST /api/event/scans`), undo with a reason
//! (`POST /api/event/undo`), the audit log (`GET /api/event/audit`, JSON
//! or CSV) and a token check that never writes (`GET /api/event/token`).
//! Staff access as every CCIP staff route ([`Staff`]); each handler is one
//! service call.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json as AxumJson;
use bincio_core::event::audit::{AuditFilter, AuditKind};
use bincio_core::event::desk::OfflineScan;
use bincio_core::event::wire::attendee_doc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::CcipError;
use super::input::Params;
use super::schema::{Attendee, Message};
use super::staff::Staff;
use super::{bson, CcipState, Result};

/// One staff scan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scan {
    /// The attendee's private token.
    token: String,
    /// The scenario to use.
    scenario: String,
    /// The scan's id, chosen by the client (≤ 128 characters): the same
    /// nonce again answers the first outcome without a second effect.
    nonce: Option<String>,
    /// When the scan was made (Unix seconds), for scans sent later; kept
    /// for the record only: the use is decided, and logged, when it arrives.
    #[allow(dead_code)]
    scanned_at: Option<i64>,
}

/// The outcome of one scan of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScanResult {
    nonce: Option<String>,
    ok: bool,
    /// `ok`, or why the scan was refused (CCIP's words).
    message: String,
}

/// An undo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Undo {
    token: String,
    scenario: String,
    /// Why (1–500 characters); kept in the audit log.
    reason: String,
}

/// The token check's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenCheck {
    valid: bool,
    role: Option<String>,
    display_name: Option<String>,
}

/// Use a scenario as staff, logged with the staff member's name; with a
/// nonce, a retry answers the first outcome.
#[utoipa::path(post, path = "/api/event/use", tag = "ccip",
    request_body = Scan,
    responses(
        (status = 200, body = Attendee, content_type = "application/json; charset=utf-8"),
        (status = 400, description = "CCIP's refusals, `nonce already used for another scan`", body = Message),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(actor = %staff.actor))]
pub(super) async fn use_scan(
    State(s): State<CcipState>,
    staff: Staff,
    AxumJson(scan): AxumJson<Scan>,
) -> Result {
    let a = s
        .service
        .staff_use(
            Some(&scan.token),
            &scan.scenario,
            &staff.actor,
            scan.nonce.as_deref(),
        )
        .await?;
    Ok(bson(&attendee_doc(&a)))
}

/// Scans made while the desk was offline, applied in order; one answer
/// per scan (a scan already applied answers its first outcome).
#[utoipa::path(post, path = "/api/event/scans", tag = "ccip",
    request_body = Vec<Scan>,
    responses(
        (status = 200, body = Vec<ScanResult>),
        (status = 400, description = "more than 500 scans", body = Message),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(actor = %staff.actor, n = scans.len()))]
pub(super) async fn scans(
    State(s): State<CcipState>,
    staff: Staff,
    AxumJson(scans): AxumJson<Vec<Scan>>,
) -> std::result::Result<AxumJson<Vec<ScanResult>>, CcipError> {
    let scans = scans
        .into_iter()
        .map(|scan| OfflineScan {
            token: scan.token,
            scenario: scan.scenario,
            nonce: scan.nonce,
        })
        .collect();
    let out = s.service.staff_scans(scans, &staff.actor).await?;
    Ok(AxumJson(
        out.into_iter()
            .map(|o| ScanResult {
                nonce: o.nonce,
                ok: o.ok,
                message: o.message,
            })
            .collect(),
    ))
}

/// Undo a use (staff), with a reason; refused when it cannot be reverted
/// exactly.
#[utoipa::path(post, path = "/api/event/undo", tag = "ccip",
    request_body = Undo,
    responses(
        (status = 200, body = Attendee, content_type = "application/json; charset=utf-8"),
        (status = 400, description = "`not used: nothing to undo`, `… cannot be undone exactly`, `invalid token` …", body = Message),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(actor = %staff.actor))]
pub(super) async fn undo(
    State(s): State<CcipState>,
    staff: Staff,
    AxumJson(u): AxumJson<Undo>,
) -> Result {
    let a = s
        .service
        .undo(&u.token, &u.scenario, &staff.actor, &u.reason)
        .await?;
    Ok(bson(&attendee_doc(&a)))
}

/// One audit log entry as `GET /api/event/audit` sends it
/// (`bincio_core::event::audit::AuditEntry`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct AuditEntryDoc {
    /// Time-ordered 24-hex id (the paging cursor).
    id: String,
    /// Unix seconds.
    at: i64,
    /// `use`, `undo`, `deliver`, `revoke`, `coupon`, `import`, `announcement`.
    kind: String,
    /// Who.
    actor: String,
    attendee_id: Option<String>,
    role: Option<String>,
    scenario: Option<String>,
    /// Whether the change happened.
    ok: bool,
    /// `ok`, or the refusal in words.
    result: String,
    reason: Option<String>,
    nonce: Option<String>,
    undone_by: Option<String>,
    /// What changed (e.g. a use's scenarios before and after).
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

/// The audit log's filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct AuditQuery {
    /// An attendee's id.
    attendee: Option<String>,
    /// `attendee`, `staff-query`, `staff-key`, `staff:<handle>`, `cli`.
    actor: Option<String>,
    /// `use`, `undo`, `deliver`, `revoke`, `coupon`, `import`, `announcement`.
    kind: Option<String>,
    /// Unix seconds, inclusive.
    since: Option<i64>,
    /// Unix seconds, exclusive.
    until: Option<i64>,
    /// Entries older than this id (paging).
    before: Option<String>,
    /// Page size, ≤ 1000 (default 100).
    limit: Option<usize>,
    /// `csv` for a CSV file.
    format: Option<String>,
}

/// The audit log, newest first: who used or undid what, when, with what
/// result (JSON, or CSV with `format=csv`).
#[utoipa::path(get, path = "/api/event/audit", tag = "ccip",
    params(AuditQuery),
    responses(
        (status = 200, description = "Entries, newest first (JSON list, or CSV with `format=csv`)",
            content(
                (Vec<AuditEntryDoc> = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "a bad filter", body = Message),
        (status = 403, description = "`staff only`", body = Message),
    ),
    security(("ccip" = []), ("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub(super) async fn audit(State(s): State<CcipState>, _: Staff, q: Params) -> Result {
    let num = |k: &str| -> std::result::Result<Option<i64>, CcipError> {
        q.get(k)
            .map(|v| {
                v.parse()
                    .map_err(|_| CcipError::bad(format!("{k}: not a number")))
            })
            .transpose()
    };
    let kind = match q.get("kind") {
        None | Some("") => None,
        Some(k) => Some(AuditKind::parse(k).ok_or_else(|| {
            CcipError::bad("kind: use, undo, deliver, revoke, coupon, import or announcement")
        })?),
    };
    let filter = AuditFilter {
        attendee_id: q.get("attendee").map(str::to_owned),
        actor: q.get("actor").map(str::to_owned),
        kind,
        since: num("since")?,
        until: num("until")?,
        before: q.get("before").map(str::to_owned),
        limit: num("limit")?.map_or(100, |n| n.clamp(1, 1000) as usize),
    };
    let entries = s.service.audit(filter).await?;
    if q.get("format") == Some("csv") {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.csv\"",
                ),
            ],
            bincio_core::event::audit::to_csv(&entries),
        )
            .into_response());
    }
    Ok(AxumJson(entries).into_response())
}

/// Whether a token is an attendee's, with role and display name — for
/// partner apps. Unlike `/status` it never records a first use.
#[utoipa::path(get, path = "/api/event/token", tag = "ccip",
    params(("token" = String, Query, description = "Private attendee token")),
    responses((status = 200, body = TokenCheck)))]
#[tracing::instrument(skip_all)]
pub(super) async fn token_check(State(s): State<CcipState>, q: Params) -> Response {
    let found = match s.service.check_token(q.get("token").unwrap_or("")).await {
        Ok(f) => f,
        Err(e) => return CcipError::from(e).into_response(),
    };
    let (valid, role, display_name) = match found {
        Some((r, n)) => (true, Some(r), Some(n)),
        None => (false, None, None),
    };
    AxumJson(TokenCheck {
        valid,
        role,
        display_name,
    })
    .into_response()
}
