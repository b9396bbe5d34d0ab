//! Row ↔ domain for the activity collections: how an [`ActivityRecord`],
//! its edits and tracks become BSON documents and back (the layout is in the
//! module doc of [`super`]). Pure functions, no I/O.

use bincio_core::model::{doc_bytes, parse_lean_summary};
use bincio_core::model::{ActivityEdits, ActivityRecord, ActivityTracks, Privacy};
use bincio_core::store::{StoreError, StoreResult};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde::{Deserialize, Serialize};

use crate::bsonx::{i64_field, opt_str_field, str_field};
use crate::connect::coll;

#[derive(Serialize, Deserialize, Default)]
pub(super) struct TracksJson {
    #[serde(default)]
    pub(super) timeseries: Option<serde_json::Value>,
    #[serde(default)]
    pub(super) geojson: Option<serde_json::Value>,
}

pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{}: {what}", coll::ACTIVITIES))
}

pub(super) fn json_field(d: &Document, field: &str) -> StoreResult<serde_json::Value> {
    let s = str_field(d, coll::ACTIVITIES, field)?;
    serde_json::from_str(&s).map_err(|e| corrupt(format_args!("{field}: {e}")))
}

pub(super) fn privacy_field(d: &Document, field: &str) -> StoreResult<Privacy> {
    let s = str_field(d, coll::ACTIVITIES, field)?;
    Privacy::parse(&s).ok_or_else(|| corrupt(format_args!("{field}: {s:?}")))
}

pub(super) fn edits_from(d: &Document) -> StoreResult<ActivityEdits> {
    match d.get("edits") {
        None | Some(Bson::Null) => Ok(ActivityEdits::default()),
        Some(Bson::Document(e)) => {
            bson::from_document(e.clone()).map_err(|e| corrupt(format_args!("edits: {e}")))
        }
        Some(_) => Err(corrupt("edits: not a document")),
    }
}

pub(super) fn edits_doc(e: &ActivityEdits) -> StoreResult<Document> {
    bson::to_document(e).map_err(|e| corrupt(format_args!("edits: {e}")))
}

pub(super) fn record_from(d: &Document) -> StoreResult<ActivityRecord> {
    record_of(d, true)
}

/// A record read with [`summary_projection`]: `detail` is `Value::Null`.
pub(super) fn summary_from(d: &Document) -> StoreResult<ActivityRecord> {
    record_of(d, false)
}

/// [`summary_from`] with a lean summary (no `preview_coords`).
pub(super) fn lean_summary_from(d: &Document) -> StoreResult<ActivityRecord> {
    let s = str_field(d, coll::ACTIVITIES, "summary")?;
    let summary = parse_lean_summary(&s).map_err(|e| corrupt(format_args!("summary: {e}")))?;
    Ok(ActivityRecord {
        summary,
        ..record_with(d, false, false)?
    })
}

fn record_of(d: &Document, with_detail: bool) -> StoreResult<ActivityRecord> {
    record_with(d, with_detail, true)
}

fn record_with(d: &Document, with_detail: bool, with_summary: bool) -> StoreResult<ActivityRecord> {
    let distance_m = match d.get("distance_m") {
        None | Some(Bson::Null) => None,
        Some(Bson::Double(f)) => Some(*f),
        Some(Bson::Int32(n)) => Some(f64::from(*n)),
        Some(Bson::Int64(n)) => Some(*n as f64),
        Some(_) => return Err(corrupt("distance_m: not a number")),
    };
    Ok(ActivityRecord {
        handle: str_field(d, coll::ACTIVITIES, "handle")?,
        id: str_field(d, coll::ACTIVITIES, "id")?,
        started_at: i64_field(d, coll::ACTIVITIES, "started_at")?,
        source_hash: str_field(d, coll::ACTIVITIES, "source_hash")?,
        privacy: privacy_field(d, "extracted_privacy")?,
        distance_m,
        source: opt_str_field(d, coll::ACTIVITIES, "source")?,
        summary: if with_summary {
            json_field(d, "summary")?
        } else {
            serde_json::Value::Null
        },
        detail: if with_detail {
            json_field(d, "detail")?
        } else {
            serde_json::Value::Null
        },
        edits: edits_from(d)?,
        duplicate_of: opt_str_field(d, coll::ACTIVITIES, "duplicate_of")?,
        created_at: i64_field(d, coll::ACTIVITIES, "created_at")?,
    })
}

/// Projection of everything a record needs (not the bookkeeping fields).
pub(super) fn record_projection() -> Document {
    doc! { "tracks_id": 0, "doc_bytes": 0 }
}

/// [`record_projection`] without the detail text (light reads).
pub(super) fn summary_projection() -> Document {
    doc! { "tracks_id": 0, "doc_bytes": 0, "detail": 0 }
}

pub(super) fn tracks_bytes(t: &ActivityTracks) -> StoreResult<Vec<u8>> {
    /// [`TracksJson`] borrowed: the documents are printed, not copied.
    #[derive(Serialize)]
    struct Borrowed<'a> {
        timeseries: &'a Option<serde_json::Value>,
        geojson: &'a Option<serde_json::Value>,
    }
    serde_json::to_vec(&Borrowed {
        timeseries: &t.timeseries,
        geojson: &t.geojson,
    })
    .map_err(|e| StoreError::Backend(format!("tracks: {e}")))
}

/// The fields a (re-)extraction sets.
pub(super) fn extracted_fields(
    rec: &ActivityRecord,
    tracks: &ActivityTracks,
    tracks_id: ObjectId,
) -> Document {
    doc! {
        "started_at": rec.started_at,
        "source_hash": &rec.source_hash,
        "extracted_privacy": rec.privacy.as_str(),
        "distance_m": rec.distance_m.map_or(Bson::Null, Bson::Double),
        "source": rec.source.as_deref().map_or(Bson::Null, Bson::from),
        "summary": rec.summary.to_string(),
        "detail": rec.detail.to_string(),
        "duplicate_of": rec.duplicate_of.as_deref().map_or(Bson::Null, Bson::from),
        "doc_bytes": doc_bytes(rec, tracks),
        "tracks_id": tracks_id,
    }
}

pub(super) fn image_key(aid: ObjectId, name: &str) -> String {
    format!("{}/image/{name}", aid.to_hex())
}

pub(super) fn original_key(aid: ObjectId) -> String {
    format!("{}/original", aid.to_hex())
}

pub(super) fn oid_field(d: &Document, c: &str, field: &str) -> StoreResult<ObjectId> {
    match d.get(field) {
        Some(Bson::ObjectId(o)) => Ok(*o),
        _ => Err(StoreError::Corrupt(format!("{c}.{field}: not an ObjectId"))),
    }
}
