//! Event data: attendees with their bound scenarios, announcements, puzzle
//! buckets and counters. Field names follow CCIP-Server's MongoDB layout
//! (contract §2) so a MongoDB backend can store them unchanged.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// Ordered string pairs (`attr`, `display_text`): order is kept from the
/// source file because it is visible on the wire.
pub type Pairs = Vec<(String, String)>;

/// A scenario bound to one attendee at import: a snapshot of its definition
/// plus the attendee's state (`used`, `disabled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Scenario id (the key in the role's scenario file).
    pub id: String,
    /// Sort key of `/status` (stable sort; ties keep stored order).
    pub order: i64,
    /// Locale → label, verbatim from the scenario file.
    pub display_text: Pairs,
    /// Unix seconds; the scenario can be used from this instant on.
    pub available_time: i64,
    /// Unix seconds; the scenario can no longer be used from this instant on.
    pub expire_time: i64,
    /// Unix seconds of the use; `None` until used (absent on the wire).
    pub used: Option<i64>,
    /// Why the scenario is locked; `None` when usable (absent on the wire).
    /// An empty string still locks (CS semantics).
    pub disabled: Option<String>,
    /// Seconds the app counts down after use (client side only).
    pub countdown: i64,
    /// Attributes copied or mapped from the attendee's CSV row.
    pub attr: Pairs,
}

/// An event attendee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// Stable 24-hex id (`_id.$oid`), generated at first import.
    pub id: String,
    /// The event id from `event.toml` at import time.
    pub event_id: String,
    /// Private token (verbatim from the CSV; unique).
    pub token: String,
    /// Display name (`display_name` column).
    pub user_id: String,
    /// `title` from the CSV when that column exists, else empty.
    pub attr: Pairs,
    /// Unix seconds of the first non-staff `/status`; `None` until then.
    pub first_use: Option<i64>,
    /// Role (a key of `[roles]`).
    pub role: String,
    /// Bound scenarios in stored (import) order.
    pub scenarios: Vec<Scenario>,
}

impl Attendee {
    /// The public token: lowercase hex SHA-1 of the UTF-8 private token.
    pub fn public_token(&self) -> String {
        public_token(&self.token)
    }

    /// The bound scenario `id`.
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// The bound scenario `id`, mutable.
    pub fn scenario_mut(&mut self, id: &str) -> Option<&mut Scenario> {
        self.scenarios.iter_mut().find(|s| s.id == id)
    }

    /// `first_use` as CS tests it (`0` counts as unset).
    pub fn has_first_use(&self) -> bool {
        matches!(self.first_use, Some(t) if t != 0)
    }
}

/// `sha1(utf-8 token)` as 40 lowercase hex (the puzzle's public token).
pub fn public_token(token: &str) -> String {
    hex::encode(Sha1::digest(token.as_bytes()))
}

/// An announcement. Unposted message fields stay `None` (absent on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// 24-hex id; also the insertion order (newest first = highest id).
    pub id: String,
    /// Unix seconds of posting.
    pub datetime: i64,
    /// Chinese text.
    pub msg_zh: Option<String>,
    /// English text.
    pub msg_en: Option<String>,
    /// Link.
    pub uri: Option<String>,
    /// Roles that see it (empty: nobody).
    pub role: Vec<String>,
}

/// One deliverer stamp in a bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelivererStamp {
    /// Deliverer display name (the dedupe key).
    pub deliverer: String,
    /// Fractional Unix seconds (a float, as CS).
    pub timestamp: f64,
}

/// An attendee's puzzle bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct PuzzleBucket {
    /// 24-hex id.
    pub id: String,
    /// The attendee's id.
    pub attendee: String,
    /// SHA-1 of the attendee token (unique).
    pub public_token: String,
    /// Pieces received, in order (duplicates allowed).
    pub puzzle: Vec<String>,
    /// Deliverers that gave a piece, in order (each name at most once).
    pub deliverer: Vec<DelivererStamp>,
    /// Unix seconds of the (first) revoke; `None` until revoked.
    pub valid: Option<i64>,
    /// `None`: not eligible; `0`: eligible, unused; else when it was used.
    pub coupon: Option<i64>,
}

/// The literal counter name that aggregates every piece.
pub const TOTAL: &str = "total";

/// A puzzle counter row (`puzzle_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PuzzleCounter {
    /// 24-hex id.
    pub id: String,
    /// Piece name, or [`TOTAL`].
    pub puzzle: String,
    /// Pieces ever delivered (never decremented).
    pub quantity: i64,
    /// Pieces in circulation (delivered minus revoked).
    pub currency: i64,
}

/// Per-role dashboard figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStats {
    /// Role name.
    pub role: String,
    /// Attendees of the role.
    pub total: u64,
    /// Attendees with a `first_use`.
    pub logged: u64,
    /// Per scenario of the role's file, in file order.
    pub scenarios: Vec<ScenarioStats>,
}

/// Per-scenario dashboard figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioStats {
    /// Scenario id.
    pub scenario: String,
    /// Attendees that have the scenario and it is not disabled (bincio
    /// counts only attendees bound to it; CS also counted the others).
    pub enabled: u64,
    /// Attendees that used it.
    pub used: u64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn public_token_matches_contract() {
        assert_eq!(
            super::public_token("f185f505-d8c0-43ce-9e7b-bb9e8909072d"),
            "041656f614f3b624ad8c7409c25db3b7e9a512ce"
        );
    }
}
