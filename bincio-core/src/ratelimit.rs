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
//! Memory is bounded: when the table grows past `max_keys`, expired windows
//! are swept, then the oldest windows are dropped. The counters live in this
//! process (several `bincio serve` processes each count on their own).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
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

/// A counted key's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    LoginAccount,
    LoginClient,
    Register,
    ResetPassword,
}

type Key = (Bucket, String);

impl Attempt<'_> {
    /// The keys a failure of this attempt counts against.
    fn keys(&self) -> Vec<Key> {
        match *self {
            Self::Login { client, handle } => {
                let h = validate::normalise_handle(handle);
                let h = if validate::is_valid_handle(&h) {
                    h
                } else {
                    String::new() // every non-handle shares one key
                };
                vec![
                    (Bucket::LoginAccount, format!("{client}\n{h}")),
                    (Bucket::LoginClient, client.to_owned()),
                ]
            }
            Self::Register { client } => vec![(Bucket::Register, client.to_owned())],
            Self::ResetPassword { client } => vec![(Bucket::ResetPassword, client.to_owned())],
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: i64,
    failures: u32,
}

/// Thread-safe limiter.
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    max_keys: usize,
    table: Mutex<HashMap<Key, Window>>,
}

impl RateLimiter {
    /// A limiter on `clock` that remembers at most `max_keys` keys.
    pub fn new(clock: Arc<dyn Clock>, max_keys: usize) -> Self {
        Self {
            clock,
            max_keys: max_keys.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// True when `attempt` may be tried now (see the module doc).
    pub fn allowed(&self, attempt: Attempt<'_>) -> bool {
        let now = self.clock.unix();
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let failures = |key: &Key| match table.get(key) {
            Some(w) if now - w.started < WINDOW_SECS => w.failures,
            _ => 0,
        };
        let keys = attempt.keys();
        match attempt {
            Attempt::Login { .. } => {
                let (account, client) = (failures(&keys[0]), failures(&keys[1]));
                if client >= LOGIN_PER_CLIENT {
                    account == 0
                } else {
                    account < LOGIN_PER_ACCOUNT
                }
            }
            Attempt::Register { .. } => failures(&keys[0]) < REGISTER_PER_CLIENT,
            Attempt::ResetPassword { .. } => failures(&keys[0]) < RESET_PER_CLIENT,
        }
    }

    /// Record one failed `attempt`.
    pub fn record_failure(&self, attempt: Attempt<'_>) {
        let now = self.clock.unix();
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        for key in attempt.keys() {
            if table.len() >= self.max_keys && !table.contains_key(&key) {
                table.retain(|_, w| now - w.started < WINDOW_SECS);
                if table.len() >= self.max_keys {
                    let mut starts: Vec<i64> = table.values().map(|w| w.started).collect();
                    starts.sort_unstable();
                    let cut = starts[starts.len() / 2];
                    table.retain(|_, w| w.started > cut);
                }
            }
            let w = table.entry(key).or_insert(Window {
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
}

/// Reading the wait and running an attempt under the limit: what a page
/// needs to say *when* to retry, and one wrapper so every adapter counts
/// failures the same way.
impl RateLimiter {
    /// Seconds until `attempt` may be tried again: 0 when it is allowed
    /// now, else the rest of the window that holds it back (at least 1).
    pub fn retry_after(&self, attempt: Attempt<'_>) -> u64 {
        if self.allowed(attempt) {
            return 0;
        }
        let now = self.clock.unix();
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        // Whatever holds an attempt back, its own first key (the
        // (client, handle) pair for a login) is over budget in the current
        // window: see `allowed`.
        let first = attempt.keys().into_iter().next();
        let left = first
            .and_then(|k| table.get(&k).copied())
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
        if !self.allowed(attempt) {
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
            self.record_failure(attempt);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn login<'a>(client: &'a str, handle: &'a str) -> Attempt<'a> {
        Attempt::Login { client, handle }
    }

    #[test]
    fn login_is_per_client_and_account() {
        let clock = Arc::new(ManualClock::at(1_000));
        let rl = RateLimiter::new(clock.clone(), 100);
        for i in 0..LOGIN_PER_ACCOUNT {
            // Case and spaces do not make a fresh key.
            let h = if i % 2 == 0 { "bob" } else { " BOB " };
            assert!(rl.allowed(login("a", h)));
            rl.record_failure(login("a", h));
        }
        assert!(!rl.allowed(login("a", "bob")));
        assert!(rl.allowed(login("a", "alice")), "a neighbour's account");
        assert!(rl.allowed(login("b", "bob")), "another client");
        assert!(rl.allowed(Attempt::Register { client: "a" }));
        clock.advance(WINDOW_SECS);
        assert!(rl.allowed(login("a", "bob")));
    }

    #[test]
    fn spraying_one_client_is_held_to_one_guess_per_account() {
        let clock = Arc::new(ManualClock::at(1_000));
        let rl = RateLimiter::new(clock, 1_000);
        for i in 0..LOGIN_PER_CLIENT {
            rl.record_failure(login("a", &format!("user{i}")));
        }
        assert!(!rl.allowed(login("a", "user0")), "failed once already");
        assert!(rl.allowed(login("a", "alice")), "first try at an account");
        rl.record_failure(login("a", "alice"));
        assert!(!rl.allowed(login("a", "alice")));
        assert!(rl.allowed(login("b", "user0")));
    }

    #[test]
    fn non_handles_share_one_key() {
        let clock = Arc::new(ManualClock::at(0));
        let rl = RateLimiter::new(clock, 100);
        for i in 0..LOGIN_PER_ACCOUNT {
            rl.record_failure(login("a", &format!("../{i}")));
        }
        assert!(!rl.allowed(login("a", "../zzz")));
        assert!(rl.allowed(login("a", "bob")));
    }

    #[test]
    fn retry_after_is_the_rest_of_the_window() {
        let clock = Arc::new(ManualClock::at(1_000));
        let rl = RateLimiter::new(clock.clone(), 100);
        assert_eq!(rl.retry_after(login("a", "bob")), 0);
        for _ in 0..LOGIN_PER_ACCOUNT {
            rl.record_failure(login("a", "bob"));
        }
        assert_eq!(rl.retry_after(login("a", "bob")), WINDOW_SECS as u64);
        clock.advance(60);
        assert_eq!(rl.retry_after(login("a", "bob")), WINDOW_SECS as u64 - 60);
        assert_eq!(rl.retry_after(login("a", "alice")), 0);
        clock.advance(WINDOW_SECS);
        assert_eq!(rl.retry_after(login("a", "bob")), 0);
    }

    #[test]
    fn run_counts_only_the_callers_faults() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(run_counts_only_the_callers_faults_async());
    }

    async fn run_counts_only_the_callers_faults_async() {
        use crate::CoreError;
        let clock = Arc::new(ManualClock::at(0));
        let rl = RateLimiter::new(clock, 100);
        let reg = Attempt::Register { client: "a" };
        for _ in 0..REGISTER_PER_CLIENT {
            let r: crate::error::CoreResult<()> = rl
                .run(reg, async { Err(CoreError::Internal("disk".into())) })
                .await;
            assert!(matches!(r, Err(CoreError::Internal(_))));
        }
        assert!(rl.allowed(reg), "internal faults are not counted");
        for _ in 0..REGISTER_PER_CLIENT {
            let _ = rl
                .run(reg, async { Err::<(), _>(CoreError::invalid("bad code")) })
                .await;
        }
        let r = rl.run(reg, async { Ok(()) }).await;
        assert!(matches!(r, Err(CoreError::RateLimited(_))));
    }

    #[test]
    fn bounded_memory() {
        let clock = Arc::new(ManualClock::at(0));
        let rl = RateLimiter::new(clock.clone(), 10);
        for i in 0..1000 {
            clock.advance(1);
            rl.record_failure(Attempt::Register {
                client: &i.to_string(),
            });
            rl.record_failure(login(&i.to_string(), "bob"));
        }
        assert!(rl.table.lock().unwrap().len() <= 10);
    }
}
