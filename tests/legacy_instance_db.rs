//! An `instance.db` written by BincioActivity (Python) opens: users keep
//! their bcrypt passwords (upgraded on login), sessions keep working after
//! their plaintext tokens are hashed, reset codes and invites carry over.

use std::sync::Arc;

use bincio_core::accounts::Accounts;
use bincio_core::{Clock, ManualClock};
use bincio_store_sqlite::SqliteStore;

/// The Python original's schema and a few rows, with foreign keys on.
fn write_legacy_db(path: &std::path::Path, now: i64) {
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

#[tokio::test]
async fn old_instance_db_opens_and_users_stay_logged_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("instance.db");
    let now = 1_767_225_600;
    write_legacy_db(&path, now);

    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let clock = Arc::new(ManualClock::at(now));
    let accounts = Accounts::new(store.clone(), clock.clone() as Arc<dyn Clock>);

    // The plaintext session token still logs bob in; it is no longer stored.
    let bob = accounts
        .authenticate(&"a".repeat(64))
        .await
        .unwrap()
        .expect("session kept");
    assert_eq!(bob.handle, "bob");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let stored: String = raw
        .query_row("SELECT token FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, "a".repeat(64));
    assert_eq!(
        stored,
        bincio_core::accounts::tokens::sha256_hex(&"a".repeat(64))
    );

    // Roles, invites, settings and prefs carried over.
    let admin = accounts.require_user("admin").await.unwrap();
    assert!(admin.is_admin());
    let invites = accounts.list_invites(&admin).await.unwrap();
    assert_eq!(invites.len(), 2);
    let settings = accounts.settings().await.unwrap();
    assert_eq!(settings.max_users, Some(20));
    assert_eq!(accounts.prefs(&bob).await.unwrap()["nav_hide_feed"], "true");
    let members = accounts.community().await.unwrap();
    assert_eq!(members[1].invited_by.as_deref(), Some("admin"));

    // The pending reset code (plaintext in the old DB) still redeems once.
    accounts
        .reset_password("bob", "reset123", "brand-new-pass")
        .await
        .unwrap();
    assert!(accounts
        .authenticate(&"a".repeat(64))
        .await
        .unwrap()
        .is_none());

    // bcrypt login upgrades to argon2id.
    accounts.login("admin", "admin-password").await.unwrap();
    let h = accounts.require_user("admin").await.unwrap().password_hash;
    assert!(h.starts_with("$argon2id$"), "{h}");

    // Reopening does not re-hash (migrations run once): sessions survive.
    let kept = accounts.login("bob", "brand-new-pass").await.unwrap();
    drop(accounts);
    drop(store);
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let accounts = Accounts::new(store, clock as Arc<dyn Clock>);
    let again = accounts.authenticate(&kept.token).await.unwrap();
    assert_eq!(again.map(|u| u.handle).as_deref(), Some("bob"));
}
