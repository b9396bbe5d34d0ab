//! The JSON documents of the BAS tree, as the services hand them out.
//!
//! A BAS document is open by design: the engine writes the fields of
//! `bas-v1`, an uploaded BAS document keeps the extra fields its producer
//! wrote, owner edits are laid over it and the privacy rules cut it per
//! viewer. Each kind is therefore a named wrapper around the JSON value
//! (serialised as the value itself, byte for byte) rather than a struct
//! that would drop or reorder what it does not know: the name says which
//! document a service returns, the value stays exactly what the static
//! render writes for the same viewer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! bas_document {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        pub struct $name(pub Value);

        impl $name {
            /// The JSON value.
            pub fn into_value(self) -> Value {
                self.0
            }

            /// The JSON value, borrowed.
            pub fn as_value(&self) -> &Value {
                &self.0
            }
        }

        impl From<Value> for $name {
            fn from(v: Value) -> Self {
                Self(v)
            }
        }
    )*};
}

bas_document! {
    /// An activity detail document (`activities/{id}.json`): the BAS
    /// fields (`id`, `title`, `sport`, `started_at`, `distance_m`, …) with
    /// the owner's edits applied and, for anyone but the owner, the
    /// privacy cuts (hidden stats, blurred or no track).
    DetailDoc;
    /// An activity summary as listed in feeds and indexes (a subset of the
    /// detail plus `detail_url`, `track_url`, `preview_coords`).
    SummaryDoc;
    /// The GeoJSON track of an activity (`activities/{id}.geojson`): a
    /// `Feature` with a `LineString` of `[lon, lat, elevation?]`.
    GeoJsonDoc;
    /// The timeseries of an activity (`activities/{id}.timeseries.json`):
    /// parallel arrays (`t`, `lat`, `lon`, `elevation_m`, `hr_bpm`, …).
    TimeseriesDoc;
    /// `athlete.json`: power curve, records and aggregates of a member's
    /// activities with their athlete config (`max_hr`, `ftp_w`, zones,
    /// seasons, gear) laid over it.
    AthleteDoc;
    /// The root manifest `index.json`: the instance and one shard per
    /// member.
    ManifestDoc;
    /// A member's `index.json`, `_merged/index.json` (year shards) or
    /// `_merged/index-{YYYY}.json` (one year's summaries).
    IndexDoc;
    /// A page of the combined feed (`feed.json`, `feed-{N}.json`).
    FeedDoc;
}
