//! Small helpers to read fields of raw BSON documents leniently (integers
//! may be stored as int32, int64 or double by other writers).

use bincio_core::store::StoreError;
use mongodb::bson::{Bson, Document};

fn corrupt(coll: &str, field: &str, what: &str) -> StoreError {
    StoreError::Corrupt(format!("{coll}.{field}: {what}"))
}

/// A required string field.
pub(crate) fn str_field(d: &Document, coll: &str, field: &str) -> Result<String, StoreError> {
    match d.get(field) {
        Some(Bson::String(s)) => Ok(s.clone()),
        Some(_) => Err(corrupt(coll, field, "not a string")),
        None => Err(corrupt(coll, field, "missing")),
    }
}

/// An optional string field (absent or null ⇒ `None`).
pub(crate) fn opt_str_field(
    d: &Document,
    coll: &str,
    field: &str,
) -> Result<Option<String>, StoreError> {
    match d.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(corrupt(coll, field, "not a string")),
    }
}

/// An integer stored as int32, int64 or a whole double.
fn as_i64(b: &Bson) -> Option<i64> {
    match b {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        // Python writers store `time.time()` floats; truncate like `int()`.
        Bson::Double(f) if f.is_finite() && f.abs() < 9.0e15 => Some(f.trunc() as i64),
        _ => None,
    }
}

/// A required integer field.
pub(crate) fn i64_field(d: &Document, coll: &str, field: &str) -> Result<i64, StoreError> {
    match d.get(field) {
        Some(b) => as_i64(b).ok_or_else(|| corrupt(coll, field, "not an integer")),
        None => Err(corrupt(coll, field, "missing")),
    }
}

/// An optional integer field (absent or null ⇒ `None`).
pub(crate) fn opt_i64_field(
    d: &Document,
    coll: &str,
    field: &str,
) -> Result<Option<i64>, StoreError> {
    match d.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(b) => as_i64(b)
            .map(Some)
            .ok_or_else(|| corrupt(coll, field, "not an integer")),
    }
}
