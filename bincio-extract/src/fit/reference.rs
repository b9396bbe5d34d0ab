//! The `fitparser` path: the reference the fast decoder is tested against,
//! and the fallback for the files the fast decoder does not claim (see
//! [`super::fast`]).
//!
//! fitparser runs on a private copy of the file whose odd-sized field
//! definitions are neutralised ([`super::prepare`]), with its CRC checks
//! off (the structural pass did them on the original bytes).

use std::collections::HashSet;

use fitparser::de::{from_bytes_with_options, DecodeOption};
use fitparser::{FitDataRecord, Value};

use super::super::error::ExtractError;
use super::view::{absorb, FitContent, View, F};
use super::{bad, prepare};

fn num(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Byte(x) | Value::Enum(x) | Value::UInt8(x) | Value::UInt8z(x) => f64::from(*x),
        Value::SInt8(x) => f64::from(*x),
        Value::SInt16(x) => f64::from(*x),
        Value::UInt16(x) | Value::UInt16z(x) => f64::from(*x),
        Value::SInt32(x) => f64::from(*x),
        Value::UInt32(x) | Value::UInt32z(x) => f64::from(*x),
        Value::SInt64(x) => *x as f64,
        Value::UInt64(x) | Value::UInt64z(x) => *x as f64,
        Value::Float32(x) => f64::from(*x),
        Value::Float64(x) => *x,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// Field lookup by name within one decoded message: the first field of that
/// name (fitparser sorts a message's fields by number, then appends the
/// developer fields and the compressed-header timestamp).
struct Msg<'a>(&'a FitDataRecord);

impl Msg<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .fields()
            .iter()
            .find(|f| f.name() == name)
            .map(|f| f.value())
    }
}

impl View for Msg<'_> {
    fn num(&self, f: F) -> Option<f64> {
        self.get(f.name()).and_then(num)
    }
    fn text(&self, f: F) -> Option<String> {
        match self.get(f.name())? {
            Value::String(s) => Some(s.clone()),
            other => num(other).map(|x| format!("{x}")),
        }
    }
    fn ts_ms(&self, f: F) -> Option<i64> {
        match self.get(f.name())? {
            Value::Timestamp(t) => Some(t.timestamp_millis()),
            _ => None,
        }
    }
    fn is_creator(&self) -> bool {
        let v = self.get("device_index");
        matches!(v, Some(Value::String(s)) if s == "creator")
            || matches!(v.and_then(num), Some(x) if x == 0.0)
    }
}

/// Decode every message with fitparser (chained files in sequence).
pub(super) fn decode(
    file: &str,
    data: &[u8],
    max_points: usize,
) -> Result<FitContent, ExtractError> {
    let prepared = prepare(file, data)?;
    let opts: HashSet<DecodeOption> = [
        DecodeOption::SkipHeaderCrcValidation,
        DecodeOption::SkipDataCrcValidation,
    ]
    .into_iter()
    .collect();
    let records =
        from_bytes_with_options(&prepared, &opts).map_err(|e| bad(file, e.to_string()))?;
    let mut c = FitContent::default();
    for rec in &records {
        absorb(file, rec.kind().as_u16(), &Msg(rec), &mut c, max_points)?;
    }
    Ok(c)
}
