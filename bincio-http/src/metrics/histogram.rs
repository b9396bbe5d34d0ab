//! A Prometheus histogram: per-bucket counts, a sum and a count, written in
//! the text exposition format (cumulative buckets, then `+Inf`).

use std::fmt::Write as _;

/// Upper bounds of the HTTP latency buckets, seconds.
pub(super) const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Upper bounds of the store-call buckets, seconds: most calls take tens
/// of microseconds on SQLite and around a millisecond on MongoDB.
pub(super) const STORE_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// One series' histogram over fixed `bounds`.
pub(super) struct Histogram {
    bounds: &'static [f64],
    /// Per-bucket counts (cumulated when written); the last slot is +Inf.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new(HTTP_BUCKETS)
    }
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub(super) fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Count one observation of `s` seconds.
    pub(super) fn observe(&mut self, s: f64) {
        let i = self
            .bounds
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i] += 1;
        self.sum += s;
        self.count += 1;
    }

    /// The `_bucket`, `_sum` and `_count` lines of `name{labels}`.
    pub(super) fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cum = 0;
        for (b, n) in self.bounds.iter().zip(&self.counts) {
            cum += n;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {cum}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {}\n{name}_sum{{{labels}}} {}\n{name}_count{{{labels}}} {}",
            self.count, self.sum, self.count
        );
    }
}
