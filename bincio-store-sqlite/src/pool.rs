//! Connections and the blocking bridge.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bincio_core::store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};

use crate::{migrations, OpenError};

/// The SQLite store: implements every store trait of `bincio-core`.
/// Cheap to clone (shared connections).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

pub(crate) fn open(path: &Path, readers: usize) -> Result<SqliteStore, OpenError> {
    let name = path.display().to_string();
    let err = |source| OpenError::Sqlite {
        path: name.clone(),
        source,
    };
    let writer = Connection::open(path).map_err(err)?;
    writer
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    configure(&writer).map_err(err)?;
    migrations::apply(&writer).map_err(|(id, message)| OpenError::Migration {
        path: name.clone(),
        id,
        message,
    })?;
    let mut rs = Vec::with_capacity(readers);
    for _ in 0..readers {
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        configure(&c).map_err(err)?;
        rs.push(Mutex::new(c));
    }
    Ok(SqliteStore {
        inner: Arc::new(Inner {
            writer: Mutex::new(writer),
            readers: rs,
            next: AtomicUsize::new(0),
        }),
    })
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// True when `e` is a UNIQUE / PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

impl SqliteStore {
    /// Run `f` on a reader connection on the blocking pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            if inner.readers.is_empty() {
                let c = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
                return f(&c);
            }
            let n = inner.readers.len();
            let start = inner.next.fetch_add(1, Ordering::Relaxed);
            for i in 0..n {
                if let Ok(c) = inner.readers[(start + i) % n].try_lock() {
                    return f(&c);
                }
            }
            let c = inner.readers[start % n]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            f(&c)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("blocking task: {e}")))?
    }

    /// Run a *point read* — one row by a unique key (an attendee by token,
    /// a session by token hash, a user by handle) — inline on the calling
    /// task when a reader connection is free, else like [`Self::read`].
    ///
    /// Why: such a lookup costs tens of microseconds, less than the two
    /// thread hand-offs of the blocking pool, which dominated `/status`
    /// (over half the CPU in the kernel at 64 connections). The inline path
    /// never waits for a lock (`try_lock` only), so the executor is held
    /// for one indexed lookup at most; anything that could take longer —
    /// scans, writes, waiting for a connection — still goes to the blocking
    /// pool.
    pub(crate) async fn read_point<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let n = self.inner.readers.len();
        if n > 0 {
            let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
            for i in 0..n {
                if let Ok(c) = self.inner.readers[(start + i) % n].try_lock() {
                    return f(&c);
                }
            }
        }
        self.read(f).await
    }

    /// Run `f` inside a `BEGIN IMMEDIATE` transaction on the writer; commits
    /// when `f` returns `Ok`, rolls back otherwise.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| E::from(backend(e)))?;
            let out = f(&tx)?;
            tx.commit().map_err(|e| E::from(backend(e)))?;
            Ok(out)
        })
        .await
        .map_err(|e| E::from(StoreError::Backend(format!("blocking task: {e}"))))?
    }
}
