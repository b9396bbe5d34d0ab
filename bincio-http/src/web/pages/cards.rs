//! Activity cards: one activity of a feed as the cards of `/` and
//! `/u/{handle}/` show it, built from the summary the core hands out for
//! this viewer (edits laid over, privacy and hidden stats already cut — a
//! card never decides what may be shown, it only formats).

use serde_json::Value;

use crate::web::ctx::Ctx;
use crate::web::draw;
use crate::web::fmt::{self, num, text};
use crate::web::units::Units;

/// One figure of a card or a stats panel.
#[derive(Debug, Clone)]
pub(crate) struct Stat {
    pub label: &'static str,
    pub value: String,
}

/// A feed card.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub handle: String,
    pub href: String,
    pub title: String,
    pub sport: String,
    pub sport_label: &'static str,
    pub when: String,
    /// The server-drawn track (`None`: no GPS or no preview).
    pub svg: Option<String>,
    pub stats: Vec<Stat>,
    /// A badge for the owner: unlisted / private.
    pub badge: Option<&'static str>,
    pub highlight: bool,
}

/// Sports whose speed reads better as a pace.
pub(crate) fn uses_pace(sport: &str) -> bool {
    matches!(sport, "running" | "walking" | "hiking")
}

/// The figures of a summary or detail, in display order, each only when
/// present (a hidden or missing stat is simply absent).
pub(crate) fn stats(c: &Ctx, u: Units, doc: &Value, full: bool) -> Vec<Stat> {
    let t = c.t;
    let sport = text(doc, "sport");
    let mut out = Vec::new();
    let mut push = |label: &'static str, v: Option<String>| {
        if let Some(value) = v {
            out.push(Stat { label, value });
        }
    };
    push(
        t.stat_distance,
        num(doc, "distance_m").map(|m| u.distance(m)),
    );
    push(
        t.stat_moving_time,
        num(doc, "moving_time_s").map(fmt::duration),
    );
    if full {
        push(
            t.stat_elapsed_time,
            num(doc, "duration_s").map(fmt::duration),
        );
    }
    push(
        t.stat_elevation,
        num(doc, "elevation_gain_m").map(|m| u.elevation(m)),
    );
    if full {
        push(
            t.stat_descent,
            num(doc, "elevation_loss_m").map(|m| u.elevation(m)),
        );
    }
    match num(doc, "avg_speed_kmh") {
        Some(kmh) if uses_pace(sport) => push(t.stat_avg_pace, u.pace(kmh)),
        Some(kmh) => push(t.stat_avg_speed, Some(u.speed(kmh))),
        None => {}
    }
    if full {
        push(
            t.stat_max_speed,
            num(doc, "max_speed_kmh").map(|k| u.speed(k)),
        );
    }
    push(
        t.stat_avg_hr,
        num(doc, "avg_hr_bpm").map(|v| format!("{v:.0} bpm")),
    );
    if full {
        push(
            t.stat_max_hr,
            num(doc, "max_hr_bpm").map(|v| format!("{v:.0} bpm")),
        );
    }
    push(
        t.stat_avg_cadence,
        num(doc, "avg_cadence_rpm").map(|v| format!("{v:.0} rpm")),
    );
    push(
        t.stat_avg_power,
        num(doc, "avg_power_w").map(|v| format!("{v:.0} W")),
    );
    if full {
        push(
            t.stat_max_power,
            num(doc, "max_power_w").map(|v| format!("{v:.0} W")),
        );
        push(
            t.stat_best_climb,
            num(doc, "best_climb_m").map(|m| u.elevation(m)),
        );
    }
    out
}

/// The page of one activity.
pub(crate) fn activity_href(handle: &str, id: &str) -> String {
    format!("/u/{handle}/activity/{id}/")
}

/// `[[lat, lon]…]` of a summary's preview (already cut for this viewer).
pub(crate) fn preview_points(doc: &Value) -> Vec<[f64; 2]> {
    doc.get("preview_coords")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
                .collect()
        })
        .unwrap_or_default()
}

impl Card {
    /// A card for `doc` (a feed summary carrying its owner's `handle`).
    pub(crate) fn new(c: &Ctx, u: Units, doc: &Value, owner_view: bool) -> Self {
        let handle = text(doc, "handle").to_owned();
        let id = text(doc, "id");
        let sport = text(doc, "sport").to_owned();
        let when = fmt::start(doc, 0)
            .map(|d| fmt::date_time(c.t, &d))
            .unwrap_or_default();
        let badge = match text(doc, "privacy") {
            "unlisted" if owner_view => Some(c.t.privacy_unlisted),
            "private" if owner_view => Some(c.t.privacy_private),
            _ => None,
        };
        let highlight = doc
            .pointer("/custom/highlight")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let title = match text(doc, "title") {
            "" => c.t.untitled.to_owned(),
            s => s.to_owned(),
        };
        Self {
            href: activity_href(&handle, id),
            svg: draw::card_track(&preview_points(doc), &title),
            stats: stats(c, u, doc, false),
            sport_label: c.t.sport_name(&sport),
            title,
            sport,
            handle,
            when,
            badge,
            highlight,
        }
    }
}
