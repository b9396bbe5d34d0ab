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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
#[derive(Debug, Default)]
pub struct DrawCache {
    map: Mutex<HashMap<Key, (u64, u64, Arc<Drawn>)>>,
    next: std::sync::atomic::AtomicU64,
}

impl DrawCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (u64, u64, Arc<Drawn>)>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The drawing for `key` made under `generation`, if kept.
    pub(crate) fn get(&self, key: &Key, generation: u64) -> Option<Arc<Drawn>> {
        self.lock()
            .get(key)
            .filter(|(g, _, _)| *g == generation)
            .map(|(_, _, d)| d.clone())
    }

    /// Keep `drawn` for `key` under `generation`.
    pub(crate) fn put(&self, key: Key, generation: u64, drawn: Arc<Drawn>) {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (_, at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(key, (generation, n, drawn));
    }
}
