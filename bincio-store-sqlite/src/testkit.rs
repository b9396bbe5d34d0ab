//! Test support shared by every test crate (compiled only with the
//! `testkit` feature): the conformance [`Backend`] on SQLite, and a writer
//! of the database BincioActivity (Python) left behind, to prove it opens.

use std::sync::Arc;

use bincio_store_conformance::{Backend, Stores};

use crate::SqliteStore;

/// SQLite: a fresh database file in its own temp dir per call.
pub struct Sqlite;

#[async_trait::async_trait]
impl Backend for Sqlite {
    async fn fresh(&self) -> Stores {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("instance.db")).expect("open sqlite");
        Stores::all(Arc::new(store), Arc::new(dir))
    }
}

/// A BincioActivity (Python) `instance.db`, written as the original does:
/// its schema and a few rows, with foreign keys on.
pub fn write_legacy_db(path: &std::path::Path, now: i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;
        CREATE TABLE IF NOT EXISTS users (handle TEXT PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY,
            handle TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
            created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS invites (code TEXT PRIMARY KEY,
            created_by TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
            used_by TEXT REFERENCES users(handle) ON DELETE SET NULL,
            created_at INTEGER NOT NULL, used_at INTEGER);
        CREATE TABLE IF NOT EXISTS reset_codes (code TEXT PRIMARY KEY,
            handle TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
            created_by TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
            created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
        CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS user_prefs (handle TEXT NOT NULL REFERENCES users(handle) ON DELETE CASCADE,
            key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (handle, key));
        CREATE INDEX IF NOT EXISTS sessions_handle ON sessions(handle);
        CREATE INDEX IF NOT EXISTS invites_created_by ON invites(created_by);
        CREATE INDEX IF NOT EXISTS reset_codes_handle ON reset_codes(handle);
        CREATE INDEX IF NOT EXISTS user_prefs_handle ON user_prefs(handle);",
    )
    .unwrap();
    let admin_hash = bcrypt::hash("admin-password", 4).unwrap();
    let bob_hash = bcrypt::hash("bob-password", 4).unwrap();
    c.execute(
        "INSERT INTO users VALUES ('admin', 'The Admin', ?1, 1, ?2), ('bob', 'Bob', ?3, 0, ?4)",
        rusqlite::params![admin_hash, now - 1000, bob_hash, now - 500],
    )
    .unwrap();
    c.execute(
        "INSERT INTO invites VALUES ('ABCD1234', 'admin', 'bob', ?1, ?2), ('FREE0000', 'admin', NULL, ?1, NULL)",
        rusqlite::params![now - 900, now - 500],
    )
    .unwrap();
    c.execute(
        "INSERT INTO sessions VALUES (?1, 'bob', ?2, ?3)",
        rusqlite::params!["a".repeat(64), now - 100, now + 86_400],
    )
    .unwrap();
    c.execute(
        "INSERT INTO reset_codes VALUES ('RESET123', 'bob', 'admin', ?1, ?2, NULL)",
        rusqlite::params![now - 10, now + 3600],
    )
    .unwrap();
    c.execute_batch(
        "INSERT INTO settings VALUES ('max_users', '20'), ('store_originals', 'true');
         INSERT INTO user_prefs VALUES ('bob', 'nav_hide_feed', 'true');",
    )
    .unwrap();
}
