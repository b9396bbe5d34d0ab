//! Named schema migrations, applied once each, in list order, each in its own
//! transaction together with its bookkeeping row.
//!
//! Named (not numbered) so that features developed in parallel can each add
//! theirs without renumbering. Never edit an applied migration: add a new one.

use rusqlite::{params, Connection};

/// One migration: an id and the function that applies it.
pub struct Migration {
    /// Unique, stable id.
    pub id: &'static str,
    /// Applies the change inside the migration's transaction.
    pub apply: fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        id: "0001_bincio_activity_schema",
        apply: crate::user::migrate_base_schema,
    },
    Migration {
        id: "0002_accounts_hash_secrets_roles",
        apply: crate::user::migrate_hash_secrets_and_roles,
    },
    Migration {
        id: "0100_event_attendees",
        apply: crate::attendee::migrate,
    },
    Migration {
        id: "0101_event_puzzle",
        apply: crate::puzzle::migrate,
    },
    Migration {
        id: "0200_activities",
        apply: crate::activity::migrate_activities,
    },
    Migration {
        id: "0210_activity_generations",
        apply: crate::activity::migrate_generations,
    },
    Migration {
        id: "0300_athlete_config",
        apply: crate::athlete::migrate,
    },
];

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
            (m.apply)(&tx)?;
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
