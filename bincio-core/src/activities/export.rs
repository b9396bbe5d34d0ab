//! Activity download as GPX 1.1 (written with the `gpx` crate) from the
//! stored timeseries: every sample with a position becomes a track point
//! with its time and elevation. Sensor series have no standard GPX 1.1
//! element and are left out.

use serde_json::Value;

use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::model::User;

/// GPX document of one activity from its detail and timeseries.
pub fn to_gpx(title: &str, sport: &str, started_at: i64, ts: &Value) -> CoreResult<Vec<u8>> {
    let col = |k: &str| {
        ts.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (t, lat, lon, ele) = (col("t"), col("lat"), col("lon"), col("elevation_m"));
    let mut seg = gpx::TrackSegment::new();
    for (i, dt) in t.iter().enumerate() {
        let (Some(la), Some(lo)) = (
            lat.get(i).and_then(Value::as_f64),
            lon.get(i).and_then(Value::as_f64),
        ) else {
            continue;
        };
        let mut wp = gpx::Waypoint::new(geo_types::Point::new(lo, la));
        wp.elevation = ele.get(i).and_then(Value::as_f64);
        if let Some(secs) = dt.as_i64() {
            if let Ok(at) = time::OffsetDateTime::from_unix_timestamp(started_at + secs) {
                wp.time = Some(at.into());
            }
        }
        seg.points.push(wp);
    }
    if seg.points.is_empty() {
        return Err(CoreError::Unprocessable(
            "This activity has no GPS track".into(),
        ));
    }
    let mut track = gpx::Track::new();
    track.name = Some(title.to_owned());
    track.type_ = Some(sport.to_owned());
    track.segments.push(seg);
    let doc = gpx::Gpx {
        version: gpx::GpxVersion::Gpx11,
        creator: Some("bincio".into()),
        tracks: vec![track],
        ..Default::default()
    };
    let mut out = Vec::new();
    gpx::write(&doc, &mut out).map_err(|e| CoreError::Internal(format!("writing GPX: {e}")))?;
    Ok(out)
}

impl Activities {
    /// The owner's activity as GPX.
    pub async fn export_gpx(&self, owner: &User, id: &str) -> CoreResult<Vec<u8>> {
        let (rec, tracks) = self.owned_with_tracks(owner, id).await?;
        let ts = tracks
            .timeseries
            .ok_or_else(|| CoreError::Unprocessable("This activity has no timeseries".into()))?;
        let title = rec
            .edits
            .title
            .clone()
            .or_else(|| {
                rec.detail
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let sport = rec
            .detail
            .get("sport")
            .and_then(Value::as_str)
            .unwrap_or("other")
            .to_owned();
        to_gpx(&title, &sport, rec.started_at, &ts)
    }

    /// The owner's kept original file (`NotFound` when the activity is not
    /// theirs or no original was kept). Only ever the owner's: an original
    /// holds every coordinate, whatever the activity's privacy.
    pub async fn original(&self, owner: &User, id: &str) -> CoreResult<crate::model::Blob> {
        crate::validate::activity_id(id)?;
        self.store
            .get_original(&owner.handle, id)
            .await?
            .ok_or_else(|| CoreError::NotFound("No original file kept for this activity".into()))
    }
}
