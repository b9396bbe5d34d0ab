//! Injectable time. Services never call `Utc::now()` directly so tests can
//! move time (session expiry, reset-code TTL, rate-limit windows, event
//! scenario windows) deterministically.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Current time, UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Current time as Unix seconds (what every stored timestamp uses).
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Current time as fractional Unix seconds (CCIP deliverer timestamps).
    fn unix_f64(&self) -> f64 {
        let now = self.now();
        now.timestamp() as f64 + f64::from(now.timestamp_subsec_micros()) / 1e6
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Stored as milliseconds so it can be
/// shared across threads without a lock.
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// A clock frozen at `unix` seconds.
    pub fn at(unix: i64) -> Self {
        Self {
            millis: AtomicI64::new(unix * 1000),
        }
    }

    /// Set the clock to `unix` seconds.
    pub fn set(&self, unix: i64) {
        self.millis.store(unix * 1000, Ordering::SeqCst);
    }

    /// Move the clock forward by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.millis.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.millis.load(Ordering::SeqCst))
            .single()
            .unwrap_or_default()
    }
}
