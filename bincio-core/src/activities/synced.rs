//! Activities synced from Strava enter the store here: converted off the
//! async executor within the service's CPU slots (like an uploaded file's
//! parsing), then stored by the one path files take
//! ([`Activities::store_extracted`]: near-duplicates, id collisions, the
//! original, the change notice).

use serde_json::Value;

use super::ingest::{Extracted, IngestStatus};
use super::Activities;
use crate::error::{CoreError, CoreResult};
use crate::extract::Limits;
use crate::model::{ActivityEdits, Blob};
use crate::sync::strava::convert;

/// One Strava activity to store.
pub struct SyncedActivity {
    /// Its detail (`GET /activities/{id}`).
    pub detail: Value,
    /// Its streams keyed by type, if it has any.
    pub streams: Option<Value>,
    /// The bincio activity already holding it (a rename or a privacy
    /// change at Strava updates that one in place).
    pub existing: Option<String>,
    /// Keep the raw JSON (`{"meta", "streams"}`) as the original.
    pub store_original: bool,
}

impl Activities {
    /// Store `a` for `handle`: a new activity, or the existing one's
    /// documents replaced (edits, photos kept). A bad activity is
    /// `Invalid`, naming its Strava id.
    pub async fn ingest_synced(&self, handle: &str, a: SyncedActivity) -> CoreResult<IngestStatus> {
        let now = self.clock.now();
        let max_points = Limits::default().max_points;
        let SyncedActivity {
            detail,
            streams,
            existing,
            store_original,
        } = a;
        let (converted, detail, streams) = self
            .cpu
            .run("strava conversion", move || {
                let c = convert::convert(&detail, streams.as_ref(), now, max_points);
                (c, detail, streams)
            })
            .await?;
        let c = converted.map_err(|e| CoreError::invalid(e.to_string()))?;
        let id = convert::strava_id(&detail).unwrap_or_default();
        let original = if store_original {
            let raw = serde_json::json!({ "meta": detail, "streams": streams });
            Some(Blob {
                name: format!("strava-{id}.json"),
                content_type: "application/json".into(),
                bytes: serde_json::to_vec(&raw)
                    .map_err(|e| CoreError::Internal(format!("strava original: {e}")))?,
            })
        } else {
            None
        };
        self.store_extracted(
            handle,
            Extracted {
                activity: c.activity,
                started_at: c.started_at,
                hash: convert::source_hash(id),
                overwrite: existing.is_some(),
                existing,
                edits: ActivityEdits::default(),
                privacy: c.privacy,
                original,
                encoded: None,
            },
        )
        .await
    }
}
