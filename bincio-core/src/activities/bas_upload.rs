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

//!
//! Files: this one holds the request / outcome types and the service call;
//! `bas_upload/check.rs` the field checks and the dedup hash,
//! `bas_upload/build.rs` the rebuilt documents.

mod build;
mod check;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Activities;
use crate::error::CoreResult;
use crate::model::{ActivityRecord, User};
use crate::store::InsertOutcome;

pub use build::{build, BasDocuments};
pub use check::{bas_source_hash, check_geojson, check_timeseries, preview_from_track};

/// Largest request body of a BAS upload, bytes.
pub const MAX_BAS_BODY_BYTES: usize = 20 * 1024 * 1024;
/// Most timeseries samples / GeoJSON coordinates.
pub const MAX_BAS_POINTS: usize = 500_000;
/// Most laps, legs, `mmp` or `best_efforts` entries.
pub const MAX_BAS_ENTRIES: usize = 10_000;
/// Largest accepted number in a numeric field (no real activity gets near).
pub(crate) const MAX_NUMBER: f64 = 1e12;

/// The request body.
#[derive(Debug, Clone, Deserialize)]
pub struct BasUpload {
    /// The BAS detail document (`activities/{id}.json`).
    pub activity: Value,
    /// The BAS timeseries (`activities/{id}.timeseries.json`).
    #[serde(default)]
    pub timeseries: Option<Value>,
    /// The BAS GeoJSON track (`activities/{id}.geojson`).
    #[serde(default)]
    pub geojson: Option<Value>,
}

/// What happened to a BAS upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
pub struct BasImport {
    /// The stored activity (for a hash duplicate: the existing one).
    pub id: String,
    /// Imported or duplicate.
    pub status: BasStatus,
}

impl Activities {
    /// Store a BAS activity uploaded by `owner` (validated and rebuilt, see
    /// the module doc). A duplicate (same id or same content hash for this
    /// owner) changes nothing; an import notifies the change listener.
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
