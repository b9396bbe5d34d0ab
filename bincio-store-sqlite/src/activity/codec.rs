//! Rows ↔ domain for the activity tables: the record columns, JSON text
//! columns, tracks rows, and foreign-key errors as store errors.

use bincio_core::model::{parse_lean_summary, ActivityRecord, ActivityTracks, Privacy};
use bincio_core::store::StoreError;
use rusqlite::{params, Row, Transaction};

use crate::pool::{backend, is_unique_violation};

pub(super) const COLS: &str =
    "handle, id, started_at, source_hash, extracted_privacy, distance_m, source, \
                    summary, detail, edits, duplicate_of, created_at";

/// [`COLS`] without the detail document (light reads): `detail` is `NULL`
/// in its place, so [`summary_row`] reads the same positions.
pub(super) const SUMMARY_COLS: &str =
    "handle, id, started_at, source_hash, extracted_privacy, distance_m, source, \
                    summary, NULL, edits, duplicate_of, created_at";

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    )
}

pub(super) fn json_col(r: &Row<'_>, i: usize, what: &str) -> rusqlite::Result<serde_json::Value> {
    let s: String = r.get(i)?;
    serde_json::from_str(&s).map_err(|e| corrupt(what, e))
}

pub(super) fn record_row(r: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    row(r, true)
}

/// A row of [`SUMMARY_COLS`]: `detail` is `Value::Null`.
pub(super) fn summary_row(r: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    row(r, false)
}

/// A row of [`SUMMARY_COLS`] with a lean summary (no `preview_coords`).
pub(super) fn lean_summary_row(r: &Row<'_>) -> rusqlite::Result<ActivityRecord> {
    let s: String = r.get(7)?;
    let summary = parse_lean_summary(&s).map_err(|e| corrupt("summary", e))?;
    Ok(ActivityRecord {
        summary,
        ..row_with(r, false, false)?
    })
}

fn row(r: &Row<'_>, with_detail: bool) -> rusqlite::Result<ActivityRecord> {
    row_with(r, with_detail, true)
}

fn row_with(
    r: &Row<'_>,
    with_detail: bool,
    with_summary: bool,
) -> rusqlite::Result<ActivityRecord> {
    let privacy: String = r.get(4)?;
    let edits: String = r.get(9)?;
    Ok(ActivityRecord {
        handle: r.get(0)?,
        id: r.get(1)?,
        started_at: r.get(2)?,
        source_hash: r.get(3)?,
        privacy: Privacy::parse(&privacy).ok_or_else(|| corrupt("privacy", &privacy))?,
        distance_m: r.get(5)?,
        source: r.get(6)?,
        summary: if with_summary {
            json_col(r, 7, "summary")?
        } else {
            serde_json::Value::Null
        },
        detail: if with_detail {
            json_col(r, 8, "detail")?
        } else {
            serde_json::Value::Null
        },
        edits: serde_json::from_str(&edits).map_err(|e| corrupt("edits", e))?,
        duplicate_of: r.get(10)?,
        created_at: r.get(11)?,
    })
}

/// An activity's JSON documents as the text columns they are stored in,
/// printed once, before the write transaction (so the single writer is not
/// held while printing), with their byte count (`doc_bytes`).
pub(super) struct DocTexts {
    pub summary: String,
    pub detail: String,
    pub timeseries: Option<String>,
    pub geojson: Option<String>,
    /// [`bincio_core::model::doc_bytes`] of the same documents: the sum of
    /// the lengths above.
    pub doc_bytes: i64,
}

impl DocTexts {
    pub(super) fn new(rec: &ActivityRecord, t: &ActivityTracks) -> Self {
        let text = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        let (summary, detail) = (rec.summary.to_string(), rec.detail.to_string());
        let (timeseries, geojson) = (text(&t.timeseries), text(&t.geojson));
        let len = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let doc_bytes = (summary.len() + detail.len() + len(&timeseries) + len(&geojson)) as i64;
        Self {
            summary,
            detail,
            timeseries,
            geojson,
            doc_bytes,
        }
    }
}

pub(super) fn map_fk(e: rusqlite::Error, what: &str) -> StoreError {
    if matches!(&e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    {
        StoreError::NotFound(what.to_owned())
    } else if is_unique_violation(&e) {
        StoreError::Conflict(what.to_owned())
    } else {
        backend(e)
    }
}

pub(super) fn write_tracks(
    tx: &Transaction<'_>,
    handle: &str,
    id: &str,
    t: &DocTexts,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO activity_tracks (handle, id, timeseries, geojson) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(handle, id) DO UPDATE SET timeseries = excluded.timeseries, geojson = excluded.geojson",
        params![handle, id, t.timeseries, t.geojson],
    )
    .map_err(backend)?;
    Ok(())
}
