//! Named schema migrations, applied once each, in list order, each in its own
//! transaction together with its bookkeeping row.
//!
//! The statements are the files `migrations/<id>.sql` of this crate
//! (compiled in with `include_str!`); a step SQL cannot express (hashing
//! BincioActivity's clear-text tokens) is a Rust function run right after
//! its file in the same transaction.
//!
//! Named (not numbered) so that features developed in parallel can each add
//! theirs without renumbering. The ids are recorded in `bincio_migrations`,
//! so they never change. Never edit an applied migration: add a new one.

use bincio_core::accounts::tokens::sha256_hex;
use rusqlite::{params, Connection, Transaction};

/// One migration: an id, its SQL, and a data step SQL cannot express.
pub struct Migration {
    /// Unique, stable id (the name of its file in `migrations/`).
    pub id: &'static str,
    /// The statements of `migrations/<id>.sql`.
    pub sql: &'static str,
    /// Run after `sql` in the same transaction, when SQL alone cannot do it.
    pub data: Option<fn(&Transaction<'_>) -> rusqlite::Result<()>>,
}

/// A migration that is its SQL file only.
macro_rules! sql {
    ($id:literal) => {
        Migration {
            id: $id,
            sql: include_str!(concat!("../migrations/", $id, ".sql")),
            data: None,
        }
    };
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    sql!("0001_bincio_activity_schema"),
    Migration {
        data: Some(hash_legacy_secrets),
        ..sql!("0002_accounts_hash_secrets_roles")
    },
    sql!("0100_event_attendees"),
    sql!("0101_event_puzzle"),
    Migration {
        data: Some(crate::attendee::fill_search_text),
        ..sql!("0102_event_audit")
    },
    sql!("0200_activities"),
    sql!("0210_activity_generations"),
    sql!("0300_athlete_config"),
    sql!("0400_strava"),
    sql!("0410_sources"),
    sql!("0500_coord"),
    sql!("0510_coord_staged"),
];

/// BincioActivity stored session tokens and reset codes in clear: replace
/// them by their SHA-256 (clients keep their tokens, so users stay logged
/// in).
fn hash_legacy_secrets(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    for (table, col) in [("sessions", "token"), ("reset_codes", "code")] {
        let old: Vec<String> = tx
            .prepare(&format!("SELECT {col} FROM {table}"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut up = tx.prepare(&format!("UPDATE {table} SET {col} = ?1 WHERE {col} = ?2"))?;
        for t in old {
            up.execute(params![sha256_hex(&t), t])?;
        }
    }
    Ok(())
}

/// The ids of [`MIGRATIONS`] not recorded as applied in `conn`'s database
/// (all of them when it has no bookkeeping table): what a readiness check
/// reports.
pub fn missing(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bincio_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(MIGRATIONS.iter().map(|m| m.id).collect());
    }
    let mut q =
        conn.prepare_cached("SELECT EXISTS(SELECT 1 FROM bincio_migrations WHERE id = ?1)")?;
    let mut out = Vec::new();
    for m in MIGRATIONS {
        if !q.query_row(params![m.id], |r| r.get::<_, bool>(0))? {
            out.push(m.id);
        }
    }
    Ok(out)
}

/// Apply pending migrations. Errors carry the migration id.
pub fn apply(conn: &Connection) -> Result<(), (String, String)> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bincio_migrations (
             id TEXT PRIMARY KEY,
             applied_at INTEGER NOT NULL)",
    )
    .map_err(|e| ("bookkeeping".to_owned(), e.to_string()))?;
    for m in MIGRATIONS {
        let run = || -> rusqlite::Result<bool> {
            let tx = rusqlite::Transaction::new_unchecked(
                conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            let done: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM bincio_migrations WHERE id = ?1)",
                params![m.id],
                |r| r.get(0),
            )?;
            if done {
                return Ok(false);
            }
            tx.execute_batch(m.sql)?;
            if let Some(data) = m.data {
                data(&tx)?;
            }
            tx.execute(
                "INSERT INTO bincio_migrations (id, applied_at) VALUES (?1, strftime('%s','now'))",
                params![m.id],
            )?;
            tx.commit()?;
            Ok(true)
        };
        run().map_err(|e| (m.id.to_owned(), e.to_string()))?;
    }
    Ok(())
}
