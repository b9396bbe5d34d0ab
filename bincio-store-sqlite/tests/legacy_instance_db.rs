//! An `instance.db` written by BincioActivity (Python) opens: users keep
//! their bcrypt passwords (upgraded on login), sessions keep working after
//! their plaintext tokens are hashed, reset codes and invites carry over.

use std::sync::Arc;

use bincio_core::accounts::Accounts;
use bincio_core::{Clock, ManualClock};
use bincio_store_sqlite::testkit::write_legacy_db;
use bincio_store_sqlite::SqliteStore;

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
