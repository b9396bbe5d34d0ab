//! Fixed-window limits on failed attempts (logins, registrations, password
//! resets), per client address.
//!
//! Only *failed* attempts are recorded: a user who logs in correctly is never
//! slowed by their own successes. The rules:
//!
//! * **Login** (`/api/auth/login` and `/api/auth/token`) is keyed by
//!   *(client, handle)*: [`LOGIN_PER_ACCOUNT`] failures per window lock that
//!   account for that client only — the right password included, since
//!   letting it through would tell a guesser which guess was right. So an
//!   attacker guessing one account from one address is held to
//!   [`LOGIN_PER_ACCOUNT`] guesses per window, while people sharing that
//!   address (a NAT, the venue Wi-Fi, a proxy without `--trusted-proxy`)
//!   keep logging in to *their* accounts. Handles are normalised as login
//!   normalises them (case and spaces do not make fresh keys); a string that
//!   cannot be a handle shares one key per client.
//! * A looser per-client budget, [`LOGIN_PER_CLIENT`] failures over all
//!   handles, stops one address from spraying guesses over many accounts:
//!   past it, each (client, handle) gets at most **one** failure per window
//!   (the first attempt at an account still gets a true answer, so a
//!   neighbour on the same NAT can still log in unless they mistyped in this
//!   very window).
//! * **Register**: [`REGISTER_PER_CLIENT`] failures per client;
//!   **password reset**: [`RESET_PER_CLIENT`] failures per client.
//!
//! The counters live in the store ([`CoordStore`]), one fixed window per
//! key counted by one atomic increment-in-window, so every `bincio serve`
//! process on one database holds a client to the same budget (failures
//! spread over two processes count once each, not twice the budget).
//! Windows older than [`WINDOW_SECS`] are swept by each limiter once per
//! window; the table holds at most the failures of one window.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::CoreResult;
use crate::store::{CoordStore, FailureWindow};
use crate::validate;

/// Failed logins per (client, handle) per window.
pub const LOGIN_PER_ACCOUNT: u32 = 10;
/// Failed logins per client, over all handles, per window, before each
/// (client, handle) is held to one failure.
pub const LOGIN_PER_CLIENT: u32 = 50;
/// Failed registrations per client per window.
pub const REGISTER_PER_CLIENT: u32 = 5;
/// Failed password resets per client per window.
pub const RESET_PER_CLIENT: u32 = 10;

/// Window length, seconds.
pub const WINDOW_SECS: i64 = 15 * 60;

/// One limited attempt, with what it is keyed by.
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    /// A login (session or token) for `handle` as typed.
    Login {
        /// Client address.
        client: &'a str,
        /// Handle as typed (normalised here).
        handle: &'a str,
    },
    /// A registration.
    Register {
        /// Client address.
        client: &'a str,
    },
    /// A password reset with a code.
    ResetPassword {
        /// Client address.
        client: &'a str,
    },
}

impl Attempt<'_> {
    /// The store keys a failure of this attempt counts against:
    /// `<bucket>|<client>[|<handle>]` (neither a handle nor an address has
    /// a `|`).
    fn keys(&self) -> Vec<String> {
        match *self {
            Self::Login { client, handle } => {
                let h = validate::normalise_handle(handle);
                let h = if validate::is_valid_handle(&h) {
                    h
                } else {
                    String::new() // every non-handle shares one key
                };
                vec![
                    format!("login|{client}|{h}"),
                    format!("login-client|{client}"),
                ]
            }
            Self::Register { client } => vec![format!("register|{client}")],
            Self::ResetPassword { client } => vec![format!("reset|{client}")],
        }
    }
}

/// Limiter over the store. Cheap to share (`Arc` it or keep it in state).
pub struct RateLimiter {
    store: Arc<dyn CoordStore>,
    clock: Arc<dyn Clock>,
    /// When this limiter last swept old windows (Unix s).
    last_sweep: AtomicI64,
}

impl RateLimiter {
    /// A limiter counting in `store` on `clock`.
    pub fn new(store: Arc<dyn CoordStore>, clock: Arc<dyn Clock>) -> Self {
        let now = clock.unix();
        Self {
            store,
            clock,
            last_sweep: AtomicI64::new(now),
        }
    }

    /// The current windows of `attempt`'s keys (see [`Attempt::keys`]).
    async fn windows(&self, attempt: Attempt<'_>) -> CoreResult<Vec<Option<FailureWindow>>> {
        let now = self.clock.unix();
        Ok(self
            .store
            .failure_windows(&attempt.keys(), now, WINDOW_SECS)
            .await?)
    }

    /// True when `attempt` may be tried now (see the module doc).
    pub async fn allowed(&self, attempt: Attempt<'_>) -> CoreResult<bool> {
        Ok(verdict(attempt, &self.windows(attempt).await?))
    }

    /// Record one failed `attempt` (each of its keys counted atomically in
    /// the store). A store failure is logged: the caller did nothing wrong
    /// and the outcome it already has stands.
    pub async fn record_failure(&self, attempt: Attempt<'_>) {
        let now = self.clock.unix();
        for key in attempt.keys() {
            if let Err(e) = self.store.count_failure(&key, now, WINDOW_SECS).await {
                tracing::warn!(error = %e, "counting a failed attempt failed");
            }
        }
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now - last >= WINDOW_SECS
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            if let Err(e) = self.store.purge_failures(now, WINDOW_SECS).await {
                tracing::warn!(error = %e, "sweeping old attempt windows failed");
            }
        }
    }
}

/// The rule of the module doc over the current windows of `attempt`'s keys.
fn verdict(attempt: Attempt<'_>, windows: &[Option<FailureWindow>]) -> bool {
    let failures = |i: usize| windows.get(i).copied().flatten().map_or(0, |w| w.failures);
    match attempt {
        Attempt::Login { .. } => {
            let (account, client) = (failures(0), failures(1));
            if client >= LOGIN_PER_CLIENT {
                account == 0
            } else {
                account < LOGIN_PER_ACCOUNT
            }
        }
        Attempt::Register { .. } => failures(0) < REGISTER_PER_CLIENT,
        Attempt::ResetPassword { .. } => failures(0) < RESET_PER_CLIENT,
    }
}

/// Reading the wait and running an attempt under the limit: what a page
/// needs to say *when* to retry, and one wrapper so every adapter counts
/// failures the same way.
impl RateLimiter {
    /// Seconds until `attempt` may be tried again: 0 when it is allowed
    /// now, else the rest of the window that holds it back (at least 1).
    /// When the store cannot say, a whole window.
    pub async fn retry_after(&self, attempt: Attempt<'_>) -> u64 {
        let windows = match self.windows(attempt).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "reading attempt windows failed");
                return WINDOW_SECS as u64;
            }
        };
        if verdict(attempt, &windows) {
            return 0;
        }
        // Whatever holds an attempt back, its own first key (the
        // (client, handle) pair for a login) is over budget in the current
        // window: see `verdict`.
        let now = self.clock.unix();
        let left = windows
            .first()
            .copied()
            .flatten()
            .map(|w| w.started + WINDOW_SECS - now)
            .unwrap_or(WINDOW_SECS);
        left.clamp(1, WINDOW_SECS) as u64
    }

    /// Run `f` under the limit of `attempt`: refused with
    /// [`CoreError::RateLimited`] (without running `f`) while over it; an
    /// outcome that is the caller's fault (bad input, wrong credentials,
    /// refused, unknown, conflict) counts as a failure. Store and internal
    /// faults do not: the caller did nothing wrong.
    pub async fn run<T>(
        &self,
        attempt: Attempt<'_>,
        f: impl std::future::Future<Output = crate::error::CoreResult<T>>,
    ) -> crate::error::CoreResult<T> {
        use crate::CoreError as E;
        if !self.allowed(attempt).await? {
            return Err(E::RateLimited(
                "Too many attempts, please try again later".into(),
            ));
        }
        let out = f.await;
        if let Err(
            E::Invalid(_)
            | E::Unauthorized(_)
            | E::Forbidden(_)
            | E::NotFound(_)
            | E::Conflict(_)
            | E::Unprocessable(_)
            | E::TooLarge(_),
        ) = &out
        {
            self.record_failure(attempt).await;
        }
        out
    }
}
