//! A member's athlete config (BincioActivity's `edits/athlete.yaml`): heart
//! rate and power thresholds, training zones, seasons and gear.
//!
//! It belongs to the account, not to the activities: it survives
//! `DELETE /api/me/activities` (the computed `athlete.json` is rebuilt from
//! whatever activities remain) and goes with the account on `DELETE /api/me`.
//!
//! Values here are already validated (by
//! `activities::athlete_config::parse_patch`); stores keep each key
//! separately as JSON text so a change of one key never rewrites another.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// One key of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AthleteKey {
    /// `max_hr`, bpm.
    MaxHr,
    /// `ftp_w`, watts.
    FtpW,
    /// `hr_zones`, `[[lo, hi]…]` bpm.
    HrZones,
    /// `power_zones`, `[[lo, hi]…]` watts.
    PowerZones,
    /// `seasons`, `[{name, start, end}…]`.
    Seasons,
    /// `gear`, a free-form object.
    Gear,
}

impl AthleteKey {
    /// Every key, in wire order.
    pub const ALL: [AthleteKey; 6] = [
        Self::MaxHr,
        Self::FtpW,
        Self::HrZones,
        Self::PowerZones,
        Self::Seasons,
        Self::Gear,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MaxHr => "max_hr",
            Self::FtpW => "ftp_w",
            Self::HrZones => "hr_zones",
            Self::PowerZones => "power_zones",
            Self::Seasons => "seasons",
            Self::Gear => "gear",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A training season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Season {
    /// Name shown by the site.
    pub name: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD` (`start <= end`).
    pub end: String,
}

/// The config; `None` = not set. Zone bounds keep the number the user sent
/// (integer or decimal).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AthleteConfig {
    /// Maximum heart rate, bpm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hr: Option<u32>,
    /// Functional threshold power, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ftp_w: Option<u32>,
    /// Heart-rate zones `[lo, hi]`, bpm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_zones: Option<Vec<[Number; 2]>>,
    /// Power zones `[lo, hi]`, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_zones: Option<Vec<[Number; 2]>>,
    /// Seasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seasons: Option<Vec<Season>>,
    /// Gear (free-form, bounded in size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gear: Option<Map<String, Value>>,
}

impl AthleteConfig {
    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.to_fields().is_empty()
    }

    /// The set keys with their values as JSON text — how stores keep them,
    /// one entry per key.
    pub fn to_fields(&self) -> Vec<(AthleteKey, String)> {
        let Ok(Value::Object(obj)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        obj.into_iter()
            .filter_map(|(k, v)| Some((AthleteKey::parse(&k)?, v.to_string())))
            .collect()
    }

    /// Rebuild from stored `(key, JSON text)` pairs. Unknown keys are
    /// ignored (a newer writer); a value that does not decode is an error
    /// naming its key.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let mut obj = Map::new();
        for (k, text) in fields {
            if AthleteKey::parse(k).is_none() {
                continue;
            }
            let v: Value = serde_json::from_str(text).map_err(|e| format!("{k}: {e}"))?;
            obj.insert(k.to_owned(), v);
        }
        serde_json::from_value(Value::Object(obj)).map_err(|e| e.to_string())
    }

    /// Apply a patch the way every store must (stores do it atomically;
    /// this is the reference for them and for tests).
    pub fn apply(&mut self, patch: &AthletePatch) {
        macro_rules! take {
            ($($f:ident),*) => {$( if patch.set.$f.is_some() { self.$f = patch.set.$f.clone(); } )*};
        }
        take!(max_hr, ftp_w, hr_zones, power_zones, seasons, gear);
        for k in &patch.clear {
            match k {
                AthleteKey::MaxHr => self.max_hr = None,
                AthleteKey::FtpW => self.ftp_w = None,
                AthleteKey::HrZones => self.hr_zones = None,
                AthleteKey::PowerZones => self.power_zones = None,
                AthleteKey::Seasons => self.seasons = None,
                AthleteKey::Gear => self.gear = None,
            }
        }
    }
}

/// A change: keys set in `set` replace the stored ones, keys in `clear`
/// are removed, every other key is kept. A key is never in both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AthletePatch {
    /// New values.
    pub set: AthleteConfig,
    /// Keys to remove (sent as `null`).
    pub clear: Vec<AthleteKey>,
}

impl AthletePatch {
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.clear.is_empty()
    }
}
