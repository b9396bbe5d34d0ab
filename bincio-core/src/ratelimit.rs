//! Fixed-window attempt limiter keyed by (bucket, client).
//!
//! Only *failed* attempts are recorded (a user who logs in correctly is never
//! locked out by their own successes), and the key includes the client
//! address so one abuser does not lock out everyone. Memory is bounded: when
//! the table grows past `max_keys`, expired windows are swept, then the
//! oldest windows are dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

/// One limited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `POST /api/auth/login` and `/api/auth/token` share a bucket.
    Login,
    /// `POST /api/register`.
    Register,
    /// `POST /api/auth/reset-password`.
    ResetPassword,
}

impl Bucket {
    /// Failed attempts allowed per window.
    pub fn limit(self) -> u32 {
        match self {
            Self::Login => 10,
            Self::Register => 5,
            Self::ResetPassword => 10,
        }
    }
}

/// Window length, seconds.
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: i64,
    failures: u32,
}

/// Thread-safe limiter.
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    max_keys: usize,
    table: Mutex<HashMap<(Bucket, String), Window>>,
}

impl RateLimiter {
    /// A limiter on `clock` that remembers at most `max_keys` clients.
    pub fn new(clock: Arc<dyn Clock>, max_keys: usize) -> Self {
        Self {
            clock,
            max_keys: max_keys.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// True when `client` may attempt `bucket` now.
    pub fn allowed(&self, bucket: Bucket, client: &str) -> bool {
        let now = self.clock.unix();
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        match table.get(&(bucket, client.to_owned())) {
            Some(w) if now - w.started < WINDOW_SECS => w.failures < bucket.limit(),
            _ => true,
        }
    }

    /// Record one failed attempt.
    pub fn record_failure(&self, bucket: Bucket, client: &str) {
        let now = self.clock.unix();
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if table.len() >= self.max_keys {
            table.retain(|_, w| now - w.started < WINDOW_SECS);
            if table.len() >= self.max_keys {
                let mut starts: Vec<i64> = table.values().map(|w| w.started).collect();
                starts.sort_unstable();
                let cut = starts[starts.len() / 2];
                table.retain(|_, w| w.started > cut);
            }
        }
        let w = table.entry((bucket, client.to_owned())).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now - w.started >= WINDOW_SECS {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn failures_only_and_per_client() {
        let clock = Arc::new(ManualClock::at(1_000));
        let rl = RateLimiter::new(clock.clone(), 100);
        for _ in 0..10 {
            assert!(rl.allowed(Bucket::Login, "a"));
            rl.record_failure(Bucket::Login, "a");
        }
        assert!(!rl.allowed(Bucket::Login, "a"));
        assert!(rl.allowed(Bucket::Login, "b"));
        assert!(rl.allowed(Bucket::Register, "a"));
        clock.advance(WINDOW_SECS);
        assert!(rl.allowed(Bucket::Login, "a"));
    }

    #[test]
    fn bounded_memory() {
        let clock = Arc::new(ManualClock::at(0));
        let rl = RateLimiter::new(clock.clone(), 10);
        for i in 0..1000 {
            clock.advance(1);
            rl.record_failure(Bucket::Login, &i.to_string());
        }
        assert!(rl.table.lock().unwrap().len() <= 10);
    }
}
