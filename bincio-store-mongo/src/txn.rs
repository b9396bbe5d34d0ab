//! Multi-document transactions for event data.
//!
//! **Why transactions here.** A check-in marks a scenario used (the
//! `attendee` document) and delivers its puzzle pieces (a `puzzle_bucket`
//! document and the `puzzle_status` counters). CCIP-Server's layout, which
//! bincio keeps so a database can be handed back, has no field in which a
//! half-done step could be recorded (MongoEngine refuses documents with
//! unknown fields), so only a transaction can make those writes one
//! outcome: a process killed at any instant leaves all of them or none.
//! The same holds for a booth delivery and a revoke (bucket + counters),
//! the first `/status` (`first_use` + bucket) and a CSV import (every row).
//!
//! Transactions need a replica set (a single-node one is enough) or a
//! sharded cluster; [`MongoStore::transactions_supported`] tells, and the
//! event service refuses to start without them (see
//! `AttendeeStore::check_event_ready`).
//!
//! [`in_transaction!`] runs a body in a transaction and retries it, from a
//! fresh read, on the errors the server labels transient (write conflicts
//! with a concurrent transaction, a lost primary) and on a duplicate key
//! (two transactions inserting the same bucket: the retry finds it). A
//! commit whose result is unknown is retried as a commit, which the server
//! makes idempotent. Every body is written to be re-run from scratch: it
//! reads what it decides on inside the transaction.

use std::time::Duration;

use bincio_core::store::StoreError;
use mongodb::bson::doc;

use crate::error::{backend, has_code, is_duplicate_key};
use crate::MongoStore;

/// How long a transaction is re-run before giving up. A conflict means
/// another transaction holds the documents: usually a live one that
/// commits in milliseconds, but after a crash it can be the dead process's
/// open transaction, which the server keeps until it reaps it
/// (`transactionLifetimeLimitSeconds`, 60 s by default). The budget
/// outlasts that, so a write after a crash waits instead of failing.
pub(crate) const RETRY_BUDGET: std::time::Duration = std::time::Duration::from_secs(150);

/// Why a transaction body stopped.
#[derive(Debug)]
pub(crate) enum TxError {
    /// A driver or server error (retried when transient).
    Mongo(mongodb::error::Error),
    /// A decided failure (corrupt data, bad id): aborts, never retried.
    Store(StoreError),
    /// A compare-and-set in the body missed: re-run the body.
    Retry,
}

impl From<mongodb::error::Error> for TxError {
    fn from(e: mongodb::error::Error) -> Self {
        TxError::Mongo(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// Whether re-running the whole transaction may succeed.
pub(crate) fn is_transient(e: &mongodb::error::Error) -> bool {
    const WRITE_CONFLICT: i32 = 112;
    e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
        || is_duplicate_key(e)
        || has_code(e, WRITE_CONFLICT)
}

/// A short, growing, jittered pause before attempt `n` (no `rand` here:
/// the clock's nanoseconds are jitter enough to de-synchronise racers).
pub(crate) async fn backoff(n: u32) {
    let cap_ms = 1u64 << n.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    tokio::time::sleep(Duration::from_micros(nanos % (cap_ms * 1000) + 50)).await;
}

/// Run `$body` (an expression using `$s: &mut ClientSession`, of type
/// `Result<T, TxError>`) in a transaction on `$store`, retried as the
/// module docs say. Evaluates to `StoreResult<T>`.
macro_rules! in_transaction {
    ($store:expr, |$s:ident| $body:expr) => {{
        use $crate::txn::{backoff, is_transient, TxError, RETRY_BUDGET};
        let store: &$crate::MongoStore = $store;
        let mut session = store
            .client()
            .start_session()
            .await
            .map_err($crate::error::backend)?;
        let mut attempt: u32 = 0;
        let started = std::time::Instant::now();
        loop {
            attempt += 1;
            if started.elapsed() > RETRY_BUDGET {
                break Err(bincio_core::store::StoreError::Backend(format!(
                    "mongodb: transaction still conflicting after {} s ({attempt} attempts)",
                    RETRY_BUDGET.as_secs()
                )));
            }
            session
                .start_transaction()
                .await
                .map_err($crate::error::backend)?;
            let outcome = {
                let $s = &mut session;
                async { $body }.await
            };
            match outcome {
                Ok(value) => match $crate::txn::commit(&mut session).await {
                    Ok(()) => break Ok(value),
                    Err(e) if is_transient(&e) => backoff(attempt).await,
                    Err(e) => break Err($crate::error::backend(e)),
                },
                Err(e) => {
                    // Errors of an abort are ignored: the server aborts a
                    // failed transaction by itself, and the session's next
                    // start supersedes it.
                    let _ = session.abort_transaction().await;
                    match e {
                        TxError::Retry => backoff(attempt).await,
                        TxError::Mongo(e) if is_transient(&e) => backoff(attempt).await,
                        TxError::Mongo(e) => break Err($crate::error::backend(e)),
                        TxError::Store(e) => break Err(e),
                    }
                }
            }
        }
    }};
}
pub(crate) use in_transaction;

/// Commit, retrying while the outcome is unknown (the server makes a
/// repeated commit of the same transaction idempotent).
pub(crate) async fn commit(
    session: &mut mongodb::ClientSession,
) -> Result<(), mongodb::error::Error> {
    let mut tries = 0;
    loop {
        match session.commit_transaction().await {
            Err(e)
                if tries < 5
                    && e.contains_label(mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT) =>
            {
                tries += 1;
                backoff(tries).await;
            }
            r => return r,
        }
    }
}

impl MongoStore {
    /// Whether the server runs multi-document transactions: a replica-set
    /// member (`setName` in `hello`) or a `mongos` (`msg: "isdbgrid"`),
    /// with logical sessions.
    pub async fn transactions_supported(&self) -> Result<bool, StoreError> {
        let hello = self
            .database()
            .run_command(doc! { "hello": 1 })
            .await
            .map_err(backend)?;
        let sessions = hello.contains_key("logicalSessionTimeoutMinutes");
        let replica = hello.get_str("setName").is_ok();
        let mongos = hello.get_str("msg").is_ok_and(|m| m == "isdbgrid");
        Ok(sessions && (replica || mongos))
    }
}
