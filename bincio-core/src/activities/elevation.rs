//! Re-computing elevation gain / loss from the stored timeseries with a
//! smoothed hysteresis (BincioActivity's "recalculate elevation":
//! `bincio.md` §4.10): the series (`elevation_m_original` when a DEM
//! correction backed it up, else `elevation_m`, nulls dropped) is smoothed
//! by a centred moving average over 30 samples (`[i−15, i+16)`), then
//! gains and losses count once a move from the last committed value reaches
//! the threshold — 1 m for barometric altimeters, 3 m otherwise.

use serde::Serialize;
use serde_json::{json, Value};

use super::{not_found, Activities};
use crate::error::{CoreError, CoreResult};
use crate::model::{ActivityRecord, ActivityTracks, User};
use crate::validate;

/// Result of a recalculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElevationResult {
    /// Metres, 1 decimal.
    pub elevation_gain_m: f64,
    /// Metres, 1 decimal.
    pub elevation_loss_m: f64,
    /// Threshold used.
    pub threshold_m: f64,
    /// From the detail.
    pub altitude_source: String,
}

/// Smoothed hysteresis gain and loss of `values`.
pub fn smoothed_hysteresis(values: &[f64], threshold: f64) -> (f64, f64) {
    if values.len() < 2 {
        return (0.0, 0.0);
    }
    let mut cum = Vec::with_capacity(values.len() + 1);
    cum.push(0.0);
    for v in values {
        cum.push(cum.last().copied().unwrap_or(0.0) + v);
    }
    let n = values.len();
    let smooth: Vec<f64> = (0..n)
        .map(|i| {
            let lo = i.saturating_sub(15);
            let hi = (i + 16).min(n);
            (cum[hi] - cum[lo]) / (hi - lo) as f64
        })
        .collect();
    hysteresis(&smooth, threshold)
}

/// Gain and loss of `values` (metres, 1 decimal) counting a move only once
/// it reaches `threshold` from the last committed value, which then becomes
/// the new reference. Shared by the smoothed recalculation above and the DEM
/// correction (threshold 10 m, see [`super::dem`]).
pub fn hysteresis(values: &[f64], threshold: f64) -> (f64, f64) {
    let Some((first, rest)) = values.split_first() else {
        return (0.0, 0.0);
    };
    let (mut gain, mut loss) = (0.0, 0.0);
    let mut committed = *first;
    for e in rest {
        let d = e - committed;
        if d.abs() >= threshold {
            if d > 0.0 {
                gain += d;
            } else {
                loss -= d;
            }
            committed = *e;
        }
    }
    (round1(gain), round1(loss))
}

/// Round to one decimal (the contract's `round(x, 1)`).
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Activities {
    /// One of the owner's activities with its tracks (`NotFound` for an
    /// unknown or invalid id, or someone else's).
    pub(crate) async fn owned_with_tracks(
        &self,
        owner: &User,
        id: &str,
    ) -> CoreResult<(ActivityRecord, ActivityTracks)> {
        validate::activity_id(id)?;
        let rec = self
            .store
            .get_activity(&owner.handle, id)
            .await?
            .ok_or_else(not_found)?;
        let tracks = self
            .store
            .get_tracks(&owner.handle, id)
            .await?
            .unwrap_or_default();
        Ok((rec, tracks))
    }

    /// Write recalculated gain / loss into the detail and the summary (and
    /// whatever the caller changed in the tracks) in one replacement.
    pub(crate) async fn store_elevation(
        &self,
        owner: &User,
        mut rec: ActivityRecord,
        tracks: ActivityTracks,
        gain: f64,
        loss: f64,
    ) -> CoreResult<()> {
        rec.detail["elevation_gain_m"] = json!(gain);
        rec.detail["elevation_loss_m"] = json!(loss);
        rec.summary["elevation_gain_m"] = json!(gain);
        if !self.store.replace_activity(rec, tracks).await? {
            return Err(not_found());
        }
        self.changed(&owner.handle);
        Ok(())
    }

    /// Recalculate and store elevation gain / loss of one of the owner's
    /// activities from its timeseries.
    pub async fn recalculate_elevation(
        &self,
        owner: &User,
        id: &str,
    ) -> CoreResult<ElevationResult> {
        let (rec, tracks) = self.owned_with_tracks(owner, id).await?;
        let ts = tracks
            .timeseries
            .as_ref()
            .ok_or_else(|| CoreError::Unprocessable("This activity has no timeseries".into()))?;
        let series = ts
            .get("elevation_m_original")
            .filter(|v| v.is_array())
            .or_else(|| ts.get("elevation_m"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).collect::<Vec<f64>>())
            .unwrap_or_default();
        if series.len() < 2 {
            return Err(CoreError::Unprocessable(
                "This activity has no elevation data".into(),
            ));
        }
        let altitude_source = rec
            .detail
            .get("altitude_source")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned();
        let threshold = if altitude_source == "barometric" {
            1.0
        } else {
            3.0
        };
        let (gain, loss) = smoothed_hysteresis(&series, threshold);
        self.store_elevation(owner, rec, tracks, gain, loss).await?;
        Ok(ElevationResult {
            elevation_gain_m: gain,
            elevation_loss_m: loss,
            threshold_m: threshold,
            altitude_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_and_noise() {
        // 0 → 1800 m in 1 m steps: gain ≈ 1800, loss ≈ 0.
        let ramp: Vec<f64> = (0..=1800).map(f64::from).collect();
        let (g, l) = smoothed_hysteresis(&ramp, 3.0);
        assert!((g - 1800.0).abs() / 1800.0 < 0.02, "{g}");
        assert!(l < 1.0, "{l}");
        // ±3 m sine noise on flat ground gives (almost) nothing.
        let noise: Vec<f64> = (0..600).map(|i| 100.0 + 3.0 * (i as f64).sin()).collect();
        let (g, l) = smoothed_hysteresis(&noise, 3.0);
        assert!(g < 3.0 && l < 3.0, "{g} {l}");
        assert_eq!(smoothed_hysteresis(&[1.0], 1.0), (0.0, 0.0));
    }

    #[test]
    fn plain_hysteresis_commits_only_past_the_threshold() {
        // [100, 150, 120] with 10 m: +50 then −30.
        assert_eq!(hysteresis(&[100.0, 150.0, 120.0], 10.0), (50.0, 30.0));
        // 7 m steps never reach 10 m from the reference… until the second.
        assert_eq!(hysteresis(&[0.0, 7.0, 14.0, 7.0], 10.0), (14.0, 0.0));
        assert_eq!(hysteresis(&[], 10.0), (0.0, 0.0));
    }
}
