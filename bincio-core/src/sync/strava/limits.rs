//! Strava's rate limits, shared per app (client id): 15-minute and daily
//! budgets, overall and for reads, reported on every reply
//! (`X-RateLimit-*`, `X-ReadRateLimit-*`).
//!
//! Rule: when fewer than [`RESERVE`] requests remain in a budget, or on a
//! 429, every sync of that app pauses until the budget resets — the next
//! quarter hour (:00, :15, :30, :45 UTC) for a 15-minute budget, UTC
//! midnight for a daily one — and then resumes. A 429 is a pause, never an
//! error. The pause is kept here per process and shared with the other
//! processes on the database through the store (the sync's
//! `strava-pause|<client id>` lease); the figures of the next reply correct
//! any process's view.

use std::collections::HashMap;
use std::sync::Mutex;

use super::api::{Budget, RateUsage};

/// Requests kept in reserve: an activity costs two reads (detail and
/// streams), so a budget with fewer left is treated as spent.
pub const RESERVE: u32 = 2;

/// Start of the next 15-minute window after `now` (Unix s).
pub fn next_quarter_hour(now: i64) -> i64 {
    (now.div_euclid(900) + 1) * 900
}

/// Next UTC midnight after `now` (Unix s).
pub fn next_utc_midnight(now: i64) -> i64 {
    (now.div_euclid(86_400) + 1) * 86_400
}

/// Why a sync waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseReason {
    /// A 15-minute budget is spent.
    FifteenMinutes,
    /// A daily budget is spent.
    Daily,
}

impl PauseReason {
    /// For people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::FifteenMinutes => "Strava's 15-minute rate limit",
            Self::Daily => "Strava's daily rate limit",
        }
    }
}

/// A pause: until when, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// Resume at (Unix s).
    pub until: i64,
    /// Which budget.
    pub reason: PauseReason,
}

fn spent(b: &Budget, window: usize, reserve: u32) -> bool {
    b.limit[window] > 0 && b.usage[window].saturating_add(reserve) >= b.limit[window]
}

/// The pause `rate` calls for at `now` (`reserve` requests kept back;
/// 0 after a 429, where the budget is spent by definition).
pub fn pause_for(rate: &RateUsage, now: i64, reserve: u32) -> Option<Pause> {
    let budgets = [rate.overall, rate.read];
    if budgets.iter().flatten().any(|b| spent(b, 1, reserve)) {
        return Some(Pause {
            until: next_utc_midnight(now),
            reason: PauseReason::Daily,
        });
    }
    if budgets.iter().flatten().any(|b| spent(b, 0, reserve)) {
        return Some(Pause {
            until: next_quarter_hour(now),
            reason: PauseReason::FifteenMinutes,
        });
    }
    None
}

/// Pauses per client id.
#[derive(Debug, Default)]
pub struct RateGate {
    paused: Mutex<HashMap<String, Pause>>,
}

impl RateGate {
    /// The pause in force for `client_id` at `now`.
    pub fn current(&self, client_id: &str, now: i64) -> Option<Pause> {
        let mut m = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        match m.get(client_id) {
            Some(p) if p.until > now => Some(*p),
            Some(_) => {
                m.remove(client_id);
                None
            }
            None => None,
        }
    }

    /// Record what a reply said; returns the pause it started, if any.
    pub fn note(&self, client_id: &str, rate: &RateUsage, now: i64) -> Option<Pause> {
        self.set(client_id, pause_for(rate, now, RESERVE))
    }

    /// A 429: the budget the headers show spent (the 15-minute one when
    /// they say nothing).
    pub fn limited(&self, client_id: &str, rate: &RateUsage, now: i64) -> Pause {
        let p = pause_for(rate, now, 0).unwrap_or(Pause {
            until: next_quarter_hour(now),
            reason: PauseReason::FifteenMinutes,
        });
        self.set(client_id, Some(p));
        p
    }

    /// Adopt a pause another process shared; returns the pause in force.
    pub(super) fn adopt(&self, client_id: &str, p: Pause) -> Option<Pause> {
        self.set(client_id, Some(p))
    }

    fn set(&self, client_id: &str, p: Option<Pause>) -> Option<Pause> {
        let p = p?;
        let mut m = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(client_id.to_owned()).or_insert(p);
        if p.until > e.until {
            *e = p;
        }
        Some(*e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(read: [u32; 2]) -> RateUsage {
        RateUsage {
            overall: Some(Budget {
                limit: [200, 2000],
                usage: [1, 1],
            }),
            read: Some(Budget {
                limit: [100, 1000],
                usage: read,
            }),
        }
    }

    #[test]
    fn windows_and_reserve() {
        let t = 1_767_225_600 + 7 * 60; // 00:07 UTC
        assert_eq!(next_quarter_hour(t), 1_767_225_600 + 900);
        assert_eq!(next_utc_midnight(t), 1_767_225_600 + 86_400);
        assert_eq!(pause_for(&rate([97, 97]), t, RESERVE), None);
        let p = pause_for(&rate([98, 98]), t, RESERVE).unwrap();
        assert_eq!(
            (p.until, p.reason),
            (t - 7 * 60 + 900, PauseReason::FifteenMinutes)
        );
        let p = pause_for(&rate([5, 999]), t, RESERVE).unwrap();
        assert_eq!(p.reason, PauseReason::Daily);
        let g = RateGate::default();
        assert_eq!(
            g.limited("app", &RateUsage::default(), t).until,
            t - 420 + 900
        );
        assert!(g.current("app", t).is_some());
        assert!(g.current("other", t).is_none());
        assert!(g.current("app", t - 420 + 900).is_none());
    }
}
