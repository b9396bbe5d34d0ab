//! What the activity page draws from an activity's track and timeseries —
//! the map points, the SVG fallbacks, the chart data and the zone times —
//! kept per change, because reading and thinning a long recording is most
//! of the page's cost (a 50 000-sample ride is 2.6 MB of JSON).
//!
//! Invariants:
//! * a drawing is reused only for the same activity, viewer kind (owner or
//!   not: privacy and hidden stats differ), units, language and zones, and
//!   only while the member's activity generation
//!   (`Activities::generation`) is the one it was drawn under — read
//!   before the documents, never going back — so an edit, a new elevation
//!   or a privacy change anywhere (another process included) is drawn
//!   afresh;
//! * the header, figures, description and photos are not kept here: the
//!   page reads them each time (they are cheap);
//! * bounded: at most [`MAX_ENTRIES`]; when full, the oldest is dropped.

use std::sync::Arc;

use bincio_core::generation_cache::GenerationCache;

use super::charts::ZoneRow;
use super::ChartSlot;

/// Most kept drawings (each a few hundred KB at most).
pub(crate) const MAX_ENTRIES: usize = 64;

/// The drawn parts of an activity page.
#[derive(Debug, Clone)]
pub(crate) struct Drawn {
    pub has_track: bool,
    pub map_svg: Option<String>,
    pub charts: Vec<ChartSlot>,
    pub data_json: String,
    pub hr_zones: Vec<ZoneRow>,
    pub power_zones: Vec<ZoneRow>,
}

/// Which drawing: handle, id, owner view, units, language, zones.
pub(crate) type Key = (String, String, bool, &'static str, &'static str, String);

/// The kept drawings of one app.
#[derive(Debug)]
pub struct DrawCache(GenerationCache<Key, Drawn>);

impl Default for DrawCache {
    fn default() -> Self {
        Self(GenerationCache::new(MAX_ENTRIES))
    }
}

impl DrawCache {
    /// The drawing for `key` made under `generation`, if kept.
    pub(crate) fn get(&self, key: &Key, generation: u64) -> Option<Arc<Drawn>> {
        self.0.get(key, generation)
    }

    /// Keep `drawn` for `key` under `generation`.
    pub(crate) fn put(&self, key: Key, generation: u64, drawn: Arc<Drawn>) {
        self.0.put(key, generation, drawn);
    }
}
