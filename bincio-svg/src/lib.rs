//! Server-drawn SVG for the web pages (`contracts/web.md`): pictures that
//! must exist without JavaScript and without map tiles. Pure functions from
//! numbers to markup; no I/O, no dependencies.
//!
//! Invariants every function here keeps (the tests check them):
//! * the output is one well-formed `<svg xmlns=… viewBox=…>` element with no
//!   `width`/`height`, so CSS sizes it and it can be inlined in HTML;
//! * no `style` attribute, no `<style>`, no `<script>`: the pages' CSP is
//!   `style-src 'self'`, so every look comes from `svg-*` classes styled by
//!   the page stylesheet (the table is in `README.md`);
//! * every caller string (labels, titles, hrefs) goes through [`escape`];
//! * numbers are printed with at most two decimals and never `NaN`/`inf`:
//!   non-finite inputs are skipped before anything is drawn;
//! * the work and the output are bounded (point caps, decimation), whatever
//!   the size of the input;
//! * no input panics; degenerate input gives `None` where documented, else a
//!   valid (possibly empty-looking) picture.

/// `write!` into a `String`, which cannot fail (hence the ignored result).
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($dst, $($arg)*);
    }};
}

mod calendar;
mod date;
mod decimate;
mod fmt;
mod power_curve;
mod profile;
mod ticks;
mod track;
#[cfg(test)]
mod xmlcheck;

pub use calendar::{calendar, CalendarDay, CalendarOptions};
pub use fmt::{escape, num};
pub use power_curve::{
    format_duration, power_curve, CurveSeries, PowerCurveOptions, MAX_SERIES, MAX_WATTS,
};
pub use profile::{profile, ProfileOptions, MAX_PROFILE_POINTS};
pub use ticks::{nice_ticks, Ticks};
pub use track::{track, TrackOptions, MAX_TRACK_POINTS};
