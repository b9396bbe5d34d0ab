//! Units of measure: a member's preference (`units` in their prefs,
//! `metric` unless set to `imperial`) and the formatting every page uses
//! for distances, elevations and sizes, so one page never mixes them.

use std::collections::BTreeMap;

/// The preference key.
pub(crate) const PREF: &str = "units";

/// Metric or imperial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Units {
    Metric,
    Imperial,
}

impl Units {
    /// From a member's prefs.
    pub(crate) fn from_prefs(prefs: &BTreeMap<String, String>) -> Self {
        Self::parse(prefs.get(PREF).map(String::as_str).unwrap_or(""))
    }

    /// From a form or pref value; anything but `imperial` is metric.
    pub(crate) fn parse(v: &str) -> Self {
        if v.trim().eq_ignore_ascii_case("imperial") {
            Self::Imperial
        } else {
            Self::Metric
        }
    }

    /// The stored value.
    pub(crate) fn value(self) -> &'static str {
        match self {
            Self::Metric => "metric",
            Self::Imperial => "imperial",
        }
    }

    /// A distance given in metres (one decimal).
    pub(crate) fn distance(self, metres: f64) -> String {
        match self {
            Self::Metric => format!("{:.1} km", metres / 1000.0),
            Self::Imperial => format!("{:.1} mi", metres / 1609.344),
        }
    }

    /// A distance without its unit, for tables and chart axes (factor from
    /// metres).
    pub(crate) fn distance_factor(self) -> f64 {
        match self {
            Self::Metric => 0.001,
            Self::Imperial => 1.0 / 1609.344,
        }
    }

    /// The distance unit's symbol (`km`, `mi`).
    pub(crate) fn distance_unit(self) -> &'static str {
        match self {
            Self::Metric => "km",
            Self::Imperial => "mi",
        }
    }

    /// The elevation unit's symbol and factor from metres.
    pub(crate) fn elevation_unit(self) -> (&'static str, f64) {
        match self {
            Self::Metric => ("m", 1.0),
            Self::Imperial => ("ft", 1.0 / 0.3048),
        }
    }

    /// The speed unit's symbol and factor from km/h.
    pub(crate) fn speed_unit(self) -> (&'static str, f64) {
        match self {
            Self::Metric => ("km/h", 1.0),
            Self::Imperial => ("mph", 1.0 / 1.609_344),
        }
    }

    /// A speed given in km/h (one decimal).
    pub(crate) fn speed(self, kmh: f64) -> String {
        let (u, f) = self.speed_unit();
        format!("{:.1} {u}", kmh * f)
    }

    /// The pace unit (`/km`, `/mi`) and seconds per unit from a km/h speed.
    pub(crate) fn pace_secs(self, kmh: f64) -> Option<f64> {
        if !(kmh.is_finite() && kmh > 0.5) {
            return None;
        }
        let per_km = 3600.0 / kmh;
        Some(match self {
            Self::Metric => per_km,
            Self::Imperial => per_km * 1.609_344,
        })
    }

    /// A pace (`5:12 /km`) from a km/h speed; `None` when standing still.
    pub(crate) fn pace(self, kmh: f64) -> Option<String> {
        let s = self.pace_secs(kmh)?.round() as i64;
        let u = match self {
            Self::Metric => "/km",
            Self::Imperial => "/mi",
        };
        Some(format!("{}:{:02} {u}", s / 60, s % 60))
    }

    /// An elevation gain given in metres (whole units).
    pub(crate) fn elevation(self, metres: f64) -> String {
        match self {
            Self::Metric => format!("{:.0} m", metres),
            Self::Imperial => format!("{:.0} ft", metres / 0.3048),
        }
    }
}

/// A size in bytes for people: B, KB, MB, GB (powers of 1024, one decimal
/// from MB up).
pub(crate) fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.0} KB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MB", f / (K * K))
    } else {
        format!("{:.1} GB", f / (K * K * K))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Units::Metric.distance(42_195.0), "42.2 km");
        assert_eq!(Units::Imperial.distance(42_195.0), "26.2 mi");
        assert_eq!(Units::Metric.elevation(1000.0), "1000 m");
        assert_eq!(Units::Imperial.elevation(1000.0), "3281 ft");
        assert_eq!(Units::parse(" Imperial "), Units::Imperial);
        assert_eq!(Units::Metric.speed(25.04), "25.0 km/h");
        assert_eq!(Units::Imperial.speed(16.09344), "10.0 mph");
        assert_eq!(Units::Metric.pace(12.0).as_deref(), Some("5:00 /km"));
        assert_eq!(Units::Imperial.pace(12.0).as_deref(), Some("8:03 /mi"));
        assert_eq!(Units::Metric.pace(0.0), None);
        assert_eq!(Units::parse("furlongs"), Units::Metric);
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2 KB");
        assert_eq!(bytes(5 * 1024 * 1024 + 1), "5.0 MB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
