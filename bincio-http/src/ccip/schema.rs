//! The shapes of the CCIP bodies, for the OpenAPI document only.
//!
//! The bytes themselves are written by `bincio_core::event::wire`, CS's
//! two encoders reproduced byte for byte (Flask `jsonify`: compact, keys
//! sorted, trailing newline; `bson.json_util.dumps`: `", "` / `": "`,
//! document order, no newline; both ASCII-escaped), which serde cannot
//! produce. These types describe what those writers emit, field for field:
//! a field that CS leaves unset is **absent, never `null`** (documented as
//! optional and not nullable); `valid` / `coupon` of a puzzle bucket are
//! the only nulls CS sends. The test `ccip_bodies_match_their_schemas`
//! (`tests/openapi.rs`) holds real responses to these schemas.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A MongoDB ObjectId in extended JSON: `{"$oid": "<24 hex>"}`.
#[derive(Serialize, ToSchema)]
pub struct ObjectId {
    #[serde(rename = "$oid")]
    oid: String,
}

/// A CS error: HTTP 400 (403 `staff only` on staff routes) with CS's
/// exact message (`token required`, `invalid token`, `invalid
/// scenario_id`, `link expired/not available now`, `has been used`,
/// `disabled scenario`, …), Flask-encoded.
#[derive(Serialize, ToSchema)]
pub struct Message {
    message: String,
}

/// `{"status": "OK"}`.
#[derive(Serialize, ToSchema)]
pub struct StatusOk {
    /// Always `OK`.
    status: String,
}

/// `GET /landing`.
#[derive(Serialize, ToSchema)]
pub struct Landing {
    /// The attendee's `user_id`.
    nickname: String,
}

/// One scenario of an attendee (`/status`, `/use`), keys in this order.
#[derive(Serialize, ToSchema)]
pub struct Scenario {
    order: i64,
    /// Locale → text, verbatim from the scenario file.
    display_text: BTreeMap<String, String>,
    /// Unix seconds; usable from this time on.
    available_time: i64,
    /// Unix seconds; usable until before this time.
    expire_time: i64,
    /// Unix seconds of use; absent until used.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    used: Option<i64>,
    /// Why it cannot be used; absent when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    disabled: Option<String>,
    /// Seconds the app counts down after use.
    countdown: i64,
    attr: BTreeMap<String, String>,
    id: String,
}

/// The attendee document of `/status` and `/use/{scenario_id}`
/// (`bson.json_util.dumps` encoding); scenarios sorted by `order`.
#[derive(Serialize, ToSchema)]
pub struct Attendee {
    #[serde(rename = "_id")]
    id: ObjectId,
    event_id: String,
    /// The private token.
    token: String,
    user_id: String,
    attr: BTreeMap<String, String>,
    /// Unix seconds of the first `/status`; absent before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    first_use: Option<i64>,
    role: String,
    scenarios: Vec<Scenario>,
}

/// One deliverer stamp of a puzzle bucket.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    /// The deliverer's display name.
    deliverer: String,
    /// Unix seconds, a float (as CS).
    timestamp: f64,
}

/// `GET /event/puzzle` (Flask encoding).
#[derive(Serialize, ToSchema)]
pub struct PuzzleBucket {
    user_id: String,
    /// Pieces collected, in order.
    puzzles: Vec<String>,
    deliverers: Vec<Delivery>,
    /// Unix seconds of the revoke; `null` until then.
    #[schema(required = true)]
    valid: Option<i64>,
    /// `null` never eligible, `0` eligible, Unix seconds once used.
    #[schema(required = true)]
    coupon: Option<i64>,
}

/// `POST /event/puzzle/deliver`.
#[derive(Serialize, ToSchema)]
pub struct Delivered {
    /// Always `OK`.
    status: String,
    /// The receiver's `user_id`.
    user_id: String,
}

/// `GET /event/puzzle/deliverer`.
#[derive(Serialize, ToSchema)]
pub struct Deliverer {
    /// The deliverer's display name.
    slug: String,
}

/// One counter of `/event/puzzle/dashboard` (pieces in config order,
/// `total` last).
#[derive(Serialize, ToSchema)]
pub struct PuzzleCounter {
    #[serde(rename = "_id")]
    id: ObjectId,
    puzzle: String,
    /// Pieces ever delivered.
    quantity: i64,
    /// Pieces in circulation.
    currency: i64,
}

/// One announcement (`bson.json_util.dumps` encoding), newest first.
#[derive(Serialize, ToSchema)]
pub struct Announcement {
    #[serde(rename = "_id")]
    id: ObjectId,
    /// Unix seconds.
    datetime: i64,
    /// Absent when not posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    msg_zh: Option<String>,
    /// Absent when not posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    msg_en: Option<String>,
    /// Absent when not posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    uri: Option<String>,
    /// Roles that see it.
    role: Vec<String>,
}

/// The form of `POST /announcement` (urlencoded or multipart; in JSON,
/// `role` may also be a list).
#[derive(Serialize, ToSchema)]
pub struct AnnouncementForm {
    /// Roles that see it (repeatable).
    #[serde(rename = "role[]")]
    role: Vec<String>,
    msg_zh: Option<String>,
    msg_en: Option<String>,
    uri: Option<String>,
}

/// The form of `POST /event/puzzle/deliver` (urlencoded or multipart).
#[derive(Serialize, ToSchema)]
pub struct DeliverForm {
    /// The receiving attendee's private token.
    receiver: String,
}

/// One scenario's counts on `/dashboard`.
#[derive(Serialize, ToSchema)]
pub struct ScenarioStats {
    scenario: String,
    /// Attendees having it and not disabled.
    enabled: u64,
    /// Attendees who used it.
    used: u64,
}

/// One role's counts on `/dashboard` (Flask encoding).
#[derive(Serialize, ToSchema)]
pub struct RoleStats {
    role: String,
    /// Attendees of the role.
    total: u64,
    /// Attendees who opened `/status` at least once.
    logged: u64,
    scenarios: Vec<ScenarioStats>,
}

/// An attendee's use of one scenario on `/dashboard/{role}`.
#[derive(Serialize, ToSchema)]
pub struct ScenarioUse {
    /// Unix seconds; absent when unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    used: Option<i64>,
    attr: BTreeMap<String, String>,
}

/// One attendee on `/dashboard/{role}` (no token; `scenario` has the
/// scenarios the attendee has, by id).
#[derive(Serialize, ToSchema)]
pub struct AttendeeProjection {
    #[serde(rename = "_id")]
    id: ObjectId,
    event_id: String,
    user_id: String,
    attr: BTreeMap<String, String>,
    scenario: BTreeMap<String, ScenarioUse>,
}

/// `POST /api/event/attendees`.
#[derive(Serialize, ToSchema)]
pub struct ImportCounts {
    /// Attendees created.
    inserted: u64,
    /// Attendees updated.
    updated: u64,
}
