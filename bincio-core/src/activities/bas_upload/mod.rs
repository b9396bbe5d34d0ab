//! `POST /api/upload/bas`: an activity that another bincio / BincioActivity
//! (e.g. the mobile app) already extracted, sent as its BAS documents
//! `{activity, timeseries?, geojson?}` and stored for the caller.
//!
//! The Python original stored the JSON verbatim. Here every document is
//! validated and rebuilt, so what the store holds has the shape every
//! reader (feeds, privacy cuts, the static render, DEM) relies on:
//! * `activity.id` passes the activity-id rule; `started_at` is an ISO date
//!   (RFC 3339, or without offset = UTC); `sport` is normalised like an
//!   extracted file's; every numeric field is a finite number ≥ 0; texts
//!   are bounded; `privacy` is one of the known values; unknown keys are
//!   dropped; the server sets `bas_version`, `timeseries_url`,
//!   `source_hash` and clears `duplicate_of`; `custom.highlight` and
//!   `custom.hide_stats` become the owner's edits (enforced like any edit),
//!   `custom.images` is dropped (photos are uploaded separately);
//! * `timeseries` has a numeric `t` of at most [`MAX_BAS_POINTS`] samples
//!   and every other known series is null or an array of numbers / nulls of
//!   the same length;
//! * `geojson` is a `Feature` whose geometry is a `LineString` of at most
//!   [`MAX_BAS_POINTS`] `[lon, lat(, ele)]` numbers on the globe;
//! * errors are 400 and name the field (`activity.started_at: …`).
//!
//! Dedup ([`bas_source_hash`]): the stored `source_hash` is the activity's
//! own `source_hash` when it is a well-formed `sha256:<64 hex>` (BAS
//! documents extracted by bincio name the original file's hash, so the same
//! recording uploaded as a file and as BAS is one activity); otherwise
//! `sha256:` + SHA-256 of the canonical JSON (keys sorted, no whitespace) of
//! the uploaded activity object without its `id` and `source_hash`. The
//! upload is a `duplicate` when the id or that hash already exists for the
//! caller — decided atomically by the store's insert.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

mod fields;
mod tracks;

pub use fields::bas_source_hash;
use fields::{
    bad, flat_objects, opt_bbox, opt_latlng, opt_number, opt_pairs, opt_text, parse_started_at,
};
use tracks::given_preview;
pub use tracks::{check_geojson, check_timeseries, preview_from_track};

use super::Activities;
use crate::error::CoreResult;
use crate::extract::bas::BAS_VERSION;
use crate::extract::sport::normalize_sport;
use crate::model::{ActivityEdits, ActivityRecord, ActivityTracks, Privacy, User};
use crate::store::InsertOutcome;
use crate::validate;

/// Largest request body of a BAS upload, bytes.
pub const MAX_BAS_BODY_BYTES: usize = 20 * 1024 * 1024;
/// Most timeseries samples / GeoJSON coordinates.
pub const MAX_BAS_POINTS: usize = 500_000;
/// Most laps, legs, `mmp` or `best_efforts` entries.
pub const MAX_BAS_ENTRIES: usize = 10_000;
/// Largest accepted number in a numeric field (no real activity gets near).
const MAX_NUMBER: f64 = 1e12;

/// The request body of a BAS upload.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasUpload {
    /// The BAS detail document (`activities/{id}.json`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub activity: Value,
    /// The BAS timeseries (`activities/{id}.timeseries.json`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub timeseries: Option<Value>,
    /// The BAS GeoJSON track (`activities/{id}.geojson`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub geojson: Option<Value>,
}

/// What happened to a BAS upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BasStatus {
    /// Stored.
    Imported,
    /// The id or the content hash exists already for this user; nothing
    /// was changed.
    Duplicate,
}

/// Outcome of [`Activities::import_bas`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasImport {
    /// The stored activity (for a hash duplicate: the existing one).
    pub id: String,
    /// Imported or duplicate.
    pub status: BasStatus,
}

/// Numeric detail fields (finite, ≥ 0).
const NUMBERS: &[&str] = &[
    "distance_m",
    "duration_s",
    "moving_time_s",
    "elevation_gain_m",
    "elevation_loss_m",
    "avg_speed_kmh",
    "max_speed_kmh",
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_cadence_rpm",
    "avg_power_w",
    "max_power_w",
    "best_climb_m",
];

/// A validated upload, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct BasDocuments {
    /// The id.
    pub id: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Privacy given (default public).
    pub privacy: Privacy,
    /// See [`bas_source_hash`].
    pub source_hash: String,
    /// §5.3 detail.
    pub detail: Value,
    /// §5.2 summary.
    pub summary: Value,
    /// Timeseries and track.
    pub tracks: ActivityTracks,
    /// `custom.highlight` / `custom.hide_stats` of the upload, kept as the
    /// owner's edits (the server enforces and overlays them from there).
    pub edits: ActivityEdits,
}

/// Validate an upload and build the documents to store (see the module doc).
pub fn build(upload: &BasUpload) -> CoreResult<BasDocuments> {
    let a = upload
        .activity
        .as_object()
        .ok_or_else(|| bad("activity", "must be an object"))?;
    let id = match a.get("id") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(bad("activity.id", "is required")),
        Some(_) => return Err(bad("activity.id", "must be a string")),
    };
    if !validate::is_valid_activity_id(&id) {
        return Err(bad(
            "activity.id",
            "Invalid activity ID (letters, digits and '-', starting with a letter or digit, max 251)",
        ));
    }
    let started_str = match a.get("started_at") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(bad(
                "activity.started_at",
                "is required (an ISO 8601 date-time)",
            ))
        }
    };
    let started_at = parse_started_at(&started_str)
        .ok_or_else(|| bad("activity.started_at", "is not an ISO 8601 date-time"))?;
    let sport = match a.get("sport") {
        None | Some(Value::Null) => "other",
        Some(Value::String(s)) => normalize_sport(Some(s)),
        Some(_) => return Err(bad("activity.sport", "must be a string")),
    };
    let sub_sport = opt_text(a, "sub_sport", "activity.sub_sport", 40, false)?;
    if sub_sport.as_deref().is_some_and(|s| {
        !s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }) {
        return Err(bad(
            "activity.sub_sport",
            "must be lower-case letters, digits or '_'",
        ));
    }
    let privacy = match a.get("privacy") {
        None | Some(Value::Null) => Privacy::Public,
        Some(Value::String(s)) => Privacy::parse(s).ok_or_else(|| {
            bad(
                "activity.privacy",
                "must be one of public, unlisted, no_gps, blur_start, private",
            )
        })?,
        Some(_) => return Err(bad("activity.privacy", "must be a string")),
    };
    let title = opt_text(a, "title", "activity.title", 200, false)?
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Activity".to_owned());
    let description = opt_text(a, "description", "activity.description", 20_000, true)?;
    let gear = opt_text(a, "gear", "activity.gear", 200, false)?;
    let device = opt_text(a, "device", "activity.device", 200, false)?;
    let source = opt_text(a, "source", "activity.source", 64, false)?;
    let source_file = opt_text(a, "source_file", "activity.source_file", 255, false)?;
    let altitude_source = opt_text(a, "altitude_source", "activity.altitude_source", 32, false)?
        .unwrap_or_else(|| "unknown".to_owned());
    let strava_id = match a.get("strava_id") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Number(n)) => json!(n.to_string()),
        Some(Value::String(s)) if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()) => {
            json!(s)
        }
        Some(_) => return Err(bad("activity.strava_id", "must be a number")),
    };
    let (custom, edits) = custom_and_edits(a)?;

    let timeseries = upload
        .timeseries
        .as_ref()
        .filter(|v| !v.is_null())
        .map(check_timeseries)
        .transpose()?;
    let track = upload
        .geojson
        .as_ref()
        .filter(|v| !v.is_null())
        .map(|g| check_geojson(g, &id))
        .transpose()?;

    let mut d = Map::new();
    d.insert("bas_version".into(), json!(BAS_VERSION));
    d.insert("id".into(), json!(id));
    d.insert("title".into(), json!(title));
    d.insert("description".into(), json!(description));
    d.insert("sport".into(), json!(sport));
    d.insert("sub_sport".into(), json!(sub_sport));
    d.insert("started_at".into(), json!(started_str));
    for key in NUMBERS {
        d.insert(
            (*key).into(),
            opt_number(a, key, &format!("activity.{key}"))?,
        );
    }
    d.insert("gear".into(), json!(gear));
    d.insert("device".into(), json!(device));
    d.insert("bbox".into(), opt_bbox(a)?);
    d.insert(
        "start_latlng".into(),
        opt_latlng(a, "start_latlng", "activity.start_latlng")?,
    );
    d.insert(
        "end_latlng".into(),
        opt_latlng(a, "end_latlng", "activity.end_latlng")?,
    );
    d.insert("mmp".into(), opt_pairs(a, "mmp", "activity.mmp")?);
    d.insert(
        "best_efforts".into(),
        opt_pairs(a, "best_efforts", "activity.best_efforts")?,
    );
    d.insert(
        "laps".into(),
        flat_objects(a, "laps", "activity.laps")?.unwrap_or_else(|| json!([])),
    );
    if let Some(legs) = flat_objects(a, "legs", "activity.legs")? {
        d.insert("legs".into(), legs);
    }
    d.insert(
        "timeseries_url".into(),
        json!(timeseries
            .as_ref()
            .map(|_| format!("activities/{id}.timeseries.json"))),
    );
    d.insert("source".into(), json!(source));
    d.insert("source_file".into(), json!(source_file.unwrap_or_default()));
    let source_hash = bas_source_hash(a);
    d.insert("source_hash".into(), json!(source_hash));
    d.insert("altitude_source".into(), json!(altitude_source));
    d.insert("strava_id".into(), strava_id);
    d.insert("duplicate_of".into(), Value::Null);
    d.insert("privacy".into(), json!(privacy.as_str()));
    d.insert("custom".into(), Value::Object(custom));

    let mut s = Map::new();
    for key in crate::extract::bas::SUMMARY_FROM_DETAIL {
        s.insert((*key).into(), d.get(*key).cloned().unwrap_or(Value::Null));
    }
    s.insert("detail_url".into(), json!(format!("activities/{id}.json")));
    s.insert(
        "track_url".into(),
        json!(track.as_ref().map(|_| format!("activities/{id}.geojson"))),
    );
    let preview = match given_preview(a)? {
        Some(p) => p,
        None => json!(track
            .as_ref()
            .and_then(|(_, pairs)| preview_from_track(pairs))),
    };
    s.insert("preview_coords".into(), preview);

    Ok(BasDocuments {
        id,
        started_at,
        privacy,
        source_hash,
        detail: Value::Object(d),
        summary: Value::Object(s),
        tracks: ActivityTracks {
            timeseries,
            geojson: track.map(|(g, _)| g),
        },
        edits,
    })
}

/// `custom` without the keys the server derives (`highlight`, `hide_stats`
/// become edits so they are enforced, not just displayed; `images` lists
/// the stored photos, of which an upload has none).
fn custom_and_edits(a: &Map<String, Value>) -> CoreResult<(Map<String, Value>, ActivityEdits)> {
    let mut custom = match a.get("custom") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => return Err(bad("activity.custom", "must be an object")),
    };
    custom.remove("images");
    let mut edits = ActivityEdits::default();
    match custom.remove("highlight") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => edits.highlight = Some(b),
        Some(_) => return Err(bad("activity.custom.highlight", "must be true or false")),
    }
    match custom.remove("hide_stats") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            let names: Option<Vec<String>> = list
                .iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| super::view::is_hideable(s))
                        .map(str::to_owned)
                })
                .collect();
            edits.hide_stats = Some(names.ok_or_else(|| {
                bad(
                    "activity.custom.hide_stats",
                    "must list elevation, speed, heart_rate, cadence or power",
                )
            })?);
        }
        Some(_) => return Err(bad("activity.custom.hide_stats", "must be a list")),
    }
    Ok((custom, edits))
}

impl Activities {
    /// Store a BAS activity uploaded by `owner` (validated and rebuilt, see
    /// the module doc). A duplicate (same id or same content hash for this
    /// owner) changes nothing; an import notifies the change listener.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn import_bas(&self, owner: &User, upload: BasUpload) -> CoreResult<BasImport> {
        let docs = build(&upload)?;
        drop(upload);
        let rec = ActivityRecord {
            handle: owner.handle.clone(),
            id: docs.id.clone(),
            started_at: docs.started_at,
            source_hash: docs.source_hash,
            privacy: docs.privacy,
            distance_m: docs.detail.get("distance_m").and_then(Value::as_f64),
            source: docs
                .detail
                .get("source")
                .and_then(Value::as_str)
                .map(str::to_owned),
            summary: docs.summary,
            detail: docs.detail,
            edits: docs.edits,
            duplicate_of: None,
            created_at: self.clock.unix(),
        };
        let outcome = self.store.insert_activity(rec, docs.tracks).await?;
        Ok(match outcome {
            InsertOutcome::Inserted => {
                self.changed(&owner.handle);
                BasImport {
                    id: docs.id,
                    status: BasStatus::Imported,
                }
            }
            InsertOutcome::DuplicateHash(existing) => BasImport {
                id: existing,
                status: BasStatus::Duplicate,
            },
            InsertOutcome::IdTaken => BasImport {
                id: docs.id,
                status: BasStatus::Duplicate,
            },
        })
    }
}

#[cfg(test)]
mod tests;
