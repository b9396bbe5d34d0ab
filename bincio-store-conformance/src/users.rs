//! Conformance cases of [`UserStore`](bincio_core::store::UserStore).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Backend;
use bincio_core::model::{Invite, NewUser, ResetCode, Role, Session};
use bincio_core::store::{RegisterClaim, RegisterError, StoreError, UserStore};

pub(crate) fn new_user(handle: &str, created_at: i64) -> NewUser {
    NewUser {
        handle: handle.to_owned(),
        display_name: format!("{handle} name"),
        password_hash: format!("hash-of-{handle}"),
        role: Role::User,
        created_at,
    }
}

pub(crate) fn invite(code: &str, by: &str, at: i64) -> Invite {
    Invite {
        code: code.to_owned(),
        created_by: by.to_owned(),
        used_by: None,
        created_at: at,
        used_at: None,
    }
}

/// The user store of a fresh backend, keeping the backend's guard alive.
pub(crate) struct UnderTest {
    store: Arc<dyn UserStore>,
    _stores: super::Stores,
}

impl std::ops::Deref for UnderTest {
    type Target = Arc<dyn UserStore>;
    fn deref(&self) -> &Self::Target {
        &self.store
    }
}

pub(crate) async fn users(b: &dyn Backend) -> UnderTest {
    let stores = b.fresh().await;
    UnderTest {
        store: stores.users.clone(),
        _stores: stores,
    }
}

/// A created user reads back field by field; unknown handles are `None`.
pub async fn create_and_get_user(b: &dyn Backend) {
    let s = users(b).await;
    let mut nu = new_user("alice", 100);
    nu.role = Role::Admin;
    let u = s.create_user(nu).await.unwrap();
    assert_eq!(u.handle, "alice");
    let got = s.get_user("alice").await.unwrap().unwrap();
    assert_eq!(got, u);
    assert_eq!(got.role, Role::Admin);
    assert_eq!(got.display_name, "alice name");
    assert_eq!(got.password_hash, "hash-of-alice");
    assert_eq!(got.created_at, 100);
    assert!(s.get_user("bob").await.unwrap().is_none());
    assert_eq!(s.count_users().await.unwrap(), 1);
}

/// Handles are unique.
pub async fn duplicate_handle_conflicts(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("alice", 1)).await.unwrap();
    let e = s.create_user(new_user("alice", 2)).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert_eq!(s.count_users().await.unwrap(), 1);
}

/// `list_users` is oldest first, ties by handle.
pub async fn list_users_oldest_first(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("carol", 30)).await.unwrap();
    s.create_user(new_user("bob", 10)).await.unwrap();
    s.create_user(new_user("alice", 30)).await.unwrap();
    let handles: Vec<String> = s
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.handle)
        .collect();
    assert_eq!(handles, ["bob", "alice", "carol"]);
}

/// `set_password_hash` replaces; `upgrade_password_hash` only from the
/// expected old hash.
pub async fn password_hash_set_and_upgrade(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("alice", 1)).await.unwrap();
    assert!(s.set_password_hash("alice", "h2").await.unwrap());
    assert!(!s.set_password_hash("nobody", "h2").await.unwrap());
    assert!(!s
        .upgrade_password_hash("alice", "stale", "h3")
        .await
        .unwrap());
    assert_eq!(
        s.get_user("alice").await.unwrap().unwrap().password_hash,
        "h2"
    );
    assert!(s.upgrade_password_hash("alice", "h2", "h3").await.unwrap());
    assert_eq!(
        s.get_user("alice").await.unwrap().unwrap().password_hash,
        "h3"
    );
}

/// Display name and role updates.
pub async fn display_name_and_role(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("alice", 1)).await.unwrap();
    assert!(s.set_display_name("alice", "Alice Liddell").await.unwrap());
    assert!(s.set_role("alice", Role::Staff).await.unwrap());
    let u = s.get_user("alice").await.unwrap().unwrap();
    assert_eq!(u.display_name, "Alice Liddell");
    assert_eq!(u.role, Role::Staff);
    assert!(u.is_staff() && !u.is_admin());
    assert!(!s.set_display_name("nobody", "x").await.unwrap());
    assert!(!s.set_role("nobody", Role::Admin).await.unwrap());
}

/// Deleting a user removes their sessions, prefs, reset codes and created
/// invites; invites they redeemed lose `used_by`.
pub async fn delete_user_cascades(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("AAAAAAAA", "admin", 2), None)
        .await
        .unwrap();
    s.register(RegisterClaim::Invite("AAAAAAAA".into()), new_user("bob", 3))
        .await
        .unwrap();
    s.create_invite(invite("BBBBBBBB", "bob", 4), Some(3))
        .await
        .unwrap();
    s.create_session(Session {
        token_hash: "t-bob".into(),
        handle: "bob".into(),
        created_at: 5,
        expires_at: 1000,
    })
    .await
    .unwrap();
    let mut prefs = BTreeMap::new();
    prefs.insert("k".to_owned(), "v".to_owned());
    s.set_prefs("bob", &prefs).await.unwrap();
    s.replace_reset_code(ResetCode {
        code_hash: "rc-bob".into(),
        handle: "bob".into(),
        created_by: "admin".into(),
        created_at: 6,
        expires_at: 1000,
        used_at: None,
    })
    .await
    .unwrap();

    assert!(s.delete_user("bob").await.unwrap());
    assert!(!s.delete_user("bob").await.unwrap());
    assert!(s.get_user("bob").await.unwrap().is_none());
    assert!(s.session_user("t-bob", 10).await.unwrap().is_none());
    assert!(s.get_prefs("bob").await.unwrap().is_empty());
    assert!(s.get_invite("BBBBBBBB").await.unwrap().is_none());
    assert!(!s.redeem_reset_code("rc-bob", "bob", 10, "h").await.unwrap());
    let used = s.get_invite("AAAAAAAA").await.unwrap().unwrap();
    assert_eq!(used.used_by, None);
    // A new "bob" can register later without inheriting anything.
    s.create_user(new_user("bob", 20)).await.unwrap();
    assert!(s.get_prefs("bob").await.unwrap().is_empty());
}

/// An invite registers exactly one account; it is marked used with time.
pub async fn register_with_invite_is_one_time(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("CODE1234", "admin", 2), None)
        .await
        .unwrap();
    let u = s
        .register(
            RegisterClaim::Invite("CODE1234".into()),
            new_user("bob", 50),
        )
        .await
        .unwrap();
    assert_eq!(u.handle, "bob");
    assert_eq!(u.role, Role::User);
    let inv = s.get_invite("CODE1234").await.unwrap().unwrap();
    assert_eq!(inv.used_by.as_deref(), Some("bob"));
    assert_eq!(inv.used_at, Some(50));
    let again = s
        .register(
            RegisterClaim::Invite("CODE1234".into()),
            new_user("carol", 60),
        )
        .await;
    assert!(
        matches!(again, Err(RegisterError::InvalidClaim)),
        "{again:?}"
    );
    let missing = s
        .register(
            RegisterClaim::Invite("NOPE0000".into()),
            new_user("dave", 60),
        )
        .await;
    assert!(matches!(missing, Err(RegisterError::InvalidClaim)));
    assert_eq!(s.count_users().await.unwrap(), 2);
}

/// Deleting the user who redeemed an invite clears `used_by`, but the
/// invite stays spent: it never becomes usable again.
pub async fn invite_stays_spent_after_user_deleted(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("CODE1234", "admin", 2), None)
        .await
        .unwrap();
    s.register(
        RegisterClaim::Invite("CODE1234".into()),
        new_user("bob", 50),
    )
    .await
    .unwrap();
    assert!(s.delete_user("bob").await.unwrap());
    let inv = s.get_invite("CODE1234").await.unwrap().unwrap();
    assert_eq!(inv.used_by, None, "the deleted user is forgotten");
    assert_eq!(inv.used_at, Some(50), "but the invite stays used");
    let again = s
        .register(
            RegisterClaim::Invite("CODE1234".into()),
            new_user("carol", 60),
        )
        .await;
    assert!(
        matches!(again, Err(RegisterError::InvalidClaim)),
        "{again:?}"
    );
    assert!(s.get_user("carol").await.unwrap().is_none());
    assert_eq!(s.count_users().await.unwrap(), 1);
    let inv = s.get_invite("CODE1234").await.unwrap().unwrap();
    assert_eq!((inv.used_by, inv.used_at), (None, Some(50)));
}

/// Handle taken ⇒ `HandleTaken` (invite stays unused); `max_users` ⇒
/// `UserLimit(n)`.
pub async fn register_checks_handle_and_limit(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("INV00001", "admin", 2), None)
        .await
        .unwrap();
    s.create_invite(invite("INV00002", "admin", 2), None)
        .await
        .unwrap();
    let taken = s
        .register(
            RegisterClaim::Invite("INV00001".into()),
            new_user("admin", 3),
        )
        .await;
    assert!(
        matches!(taken, Err(RegisterError::HandleTaken)),
        "{taken:?}"
    );
    assert!(s
        .get_invite("INV00001")
        .await
        .unwrap()
        .unwrap()
        .used_by
        .is_none());
    s.set_setting("max_users", "2").await.unwrap();
    s.register(RegisterClaim::Invite("INV00001".into()), new_user("bob", 4))
        .await
        .unwrap();
    let full = s
        .register(
            RegisterClaim::Invite("INV00002".into()),
            new_user("carol", 5),
        )
        .await;
    assert!(matches!(full, Err(RegisterError::UserLimit(2))), "{full:?}");
    assert!(s
        .get_invite("INV00002")
        .await
        .unwrap()
        .unwrap()
        .used_by
        .is_none());
    s.set_setting("max_users", "0").await.unwrap();
    s.register(
        RegisterClaim::Invite("INV00002".into()),
        new_user("carol", 6),
    )
    .await
    .unwrap();
    assert_eq!(s.count_users().await.unwrap(), 3);
}

/// The set-up code creates the first admin once, and only while empty.
pub async fn register_with_setup_code_makes_admin(b: &dyn Backend) {
    let s = users(b).await;
    s.set_setting("setup_code_sha256", "abc").await.unwrap();
    let wrong = s
        .register(RegisterClaim::Setup("zzz".into()), new_user("root", 1))
        .await;
    assert!(matches!(wrong, Err(RegisterError::InvalidClaim)));
    let u = s
        .register(RegisterClaim::Setup("abc".into()), new_user("root", 1))
        .await
        .unwrap();
    assert_eq!(u.role, Role::Admin);
    assert_eq!(s.get_user("root").await.unwrap().unwrap().role, Role::Admin);
    assert!(s.get_setting("setup_code_sha256").await.unwrap().is_none());
    s.set_setting("setup_code_sha256", "abc").await.unwrap();
    let again = s
        .register(RegisterClaim::Setup("abc".into()), new_user("root2", 2))
        .await;
    assert!(
        matches!(again, Err(RegisterError::InvalidClaim)),
        "non-empty instance"
    );
}

/// 100 concurrent registrations racing for one invite ⇒ exactly one account.
pub async fn concurrent_registrations_one_invite(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("RACE0001", "admin", 2), None)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.register(
                    RegisterClaim::Invite("RACE0001".into()),
                    new_user(&format!("u{i}"), 10),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(RegisterError::InvalidClaim) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(s.count_users().await.unwrap(), 2);
}

/// Concurrent registrations with distinct invites never exceed `max_users`.
pub async fn concurrent_registrations_respect_max_users(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.set_setting("max_users", "5").await.unwrap();
    for i in 0..30 {
        s.create_invite(invite(&format!("MAX{i:05}"), "admin", 2), None)
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.register(
                    RegisterClaim::Invite(format!("MAX{i:05}")),
                    new_user(&format!("u{i}"), 10),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(RegisterError::UserLimit(5)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 4);
    assert_eq!(s.count_users().await.unwrap(), 5);
}

/// Settings: upsert, list, delete, set-if-absent.
pub async fn settings_roundtrip(b: &dyn Backend) {
    let s = users(b).await;
    assert!(s.get_setting("max_users").await.unwrap().is_none());
    s.set_setting("max_users", "3").await.unwrap();
    s.set_setting("max_users", "4").await.unwrap();
    assert_eq!(
        s.get_setting("max_users").await.unwrap().as_deref(),
        Some("4")
    );
    assert!(s
        .set_setting_if_absent("store_originals", "true")
        .await
        .unwrap());
    assert!(!s
        .set_setting_if_absent("store_originals", "false")
        .await
        .unwrap());
    let all = s.list_settings().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all["store_originals"], "true");
    assert!(s.delete_setting("max_users").await.unwrap());
    assert!(!s.delete_setting("max_users").await.unwrap());
}

/// Prefs upsert per key; other keys are kept; per user.
pub async fn prefs_upsert(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("alice", 1)).await.unwrap();
    s.create_user(new_user("bob", 1)).await.unwrap();
    let mut p = BTreeMap::new();
    p.insert("nav_hide_feed".to_owned(), "true".to_owned());
    p.insert("theme".to_owned(), "dark".to_owned());
    s.set_prefs("alice", &p).await.unwrap();
    let mut p2 = BTreeMap::new();
    p2.insert("theme".to_owned(), "light".to_owned());
    s.set_prefs("alice", &p2).await.unwrap();
    let got = s.get_prefs("alice").await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["theme"], "light");
    assert_eq!(got["nav_hide_feed"], "true");
    assert!(s.get_prefs("bob").await.unwrap().is_empty());
}

/// Members: oldest first with the creator of the invite they redeemed.
pub async fn members_with_inviter(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_invite(invite("MEMB0001", "admin", 2), None)
        .await
        .unwrap();
    s.register(RegisterClaim::Invite("MEMB0001".into()), new_user("bob", 3))
        .await
        .unwrap();
    s.create_invite(invite("MEMB0002", "bob", 4), Some(3))
        .await
        .unwrap();
    s.register(
        RegisterClaim::Invite("MEMB0002".into()),
        new_user("carol", 5),
    )
    .await
    .unwrap();
    let m = s.list_members().await.unwrap();
    let got: Vec<(String, Option<String>, i64)> = m
        .into_iter()
        .map(|m| (m.handle, m.invited_by, m.created_at))
        .collect();
    assert_eq!(
        got,
        [
            ("admin".to_owned(), None, 1),
            ("bob".to_owned(), Some("admin".to_owned()), 3),
            ("carol".to_owned(), Some("bob".to_owned()), 5),
        ]
    );
}
