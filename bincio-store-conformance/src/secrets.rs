//! Conformance cases of [`UserStore`](bincio_core::store::UserStore): the
//! secrets (sessions, invites, reset codes): expiry, one-time use and the
//! limits decided atomically under concurrency.

use super::users::{invite, new_user, users};
use super::Backend;
use bincio_core::model::{ResetCode, Session};
use bincio_core::store::StoreError;

/// Sessions resolve to their user until `expires_at`, then are gone;
/// deletion of one / all-but-one / expired.
pub async fn sessions_expire_and_revoke(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("alice", 1)).await.unwrap();
    for (t, exp) in [("t1", 100), ("t2", 200), ("t3", 300)] {
        s.create_session(Session {
            token_hash: t.into(),
            handle: "alice".into(),
            created_at: 1,
            expires_at: exp,
        })
        .await
        .unwrap();
    }
    let (sess, u) = s.session_user("t1", 99).await.unwrap().unwrap();
    assert_eq!(sess.expires_at, 100);
    assert_eq!(u.handle, "alice");
    assert!(
        s.session_user("t1", 100).await.unwrap().is_none(),
        "dead at expires_at"
    );
    assert!(
        s.session_user("t1", 50).await.unwrap().is_none(),
        "expired row deleted"
    );
    assert!(s.session_user("nope", 1).await.unwrap().is_none());
    assert_eq!(s.delete_sessions_of("alice", Some("t2")).await.unwrap(), 1);
    assert!(s.session_user("t2", 150).await.unwrap().is_some());
    assert!(s.session_user("t3", 150).await.unwrap().is_none());
    assert!(s.delete_session("t2").await.unwrap());
    assert!(!s.delete_session("t2").await.unwrap());
    s.create_session(Session {
        token_hash: "t4".into(),
        handle: "alice".into(),
        created_at: 1,
        expires_at: 10,
    })
    .await
    .unwrap();
    assert_eq!(s.purge_expired_sessions(10).await.unwrap(), 1);
}

/// Invite limit counts every invite ever created; listing is newest first.
pub async fn invites_limit_and_order(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("bob", 1)).await.unwrap();
    for (i, code) in ["AAAA0001", "AAAA0002", "AAAA0003"].iter().enumerate() {
        s.create_invite(invite(code, "bob", 10 + i as i64), Some(3))
            .await
            .unwrap();
    }
    let e = s
        .create_invite(invite("AAAA0004", "bob", 20), Some(3))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::LimitReached(_)), "{e:?}");
    // Unlimited (admins) still works; duplicate codes conflict.
    s.create_invite(invite("AAAA0005", "bob", 21), None)
        .await
        .unwrap();
    let dup = s
        .create_invite(invite("AAAA0005", "bob", 22), None)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
    let codes: Vec<String> = s
        .list_invites("bob")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, ["AAAA0005", "AAAA0003", "AAAA0002", "AAAA0001"]);
    assert!(s.list_invites("nobody").await.unwrap().is_empty());
    let orphan = s.create_invite(invite("AAAA0009", "nobody", 1), None).await;
    assert!(matches!(orphan, Err(StoreError::NotFound(_))), "{orphan:?}");
}

/// 20 concurrent invite creations with limit 3 ⇒ exactly 3 exist.
pub async fn concurrent_invite_creation_respects_limit(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("bob", 1)).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.create_invite(invite(&format!("CONC{i:04}"), "bob", 5), Some(3))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(s.list_invites("bob").await.unwrap().len(), 3);
}

fn reset(code: &str, handle: &str, expires_at: i64) -> ResetCode {
    ResetCode {
        code_hash: code.to_owned(),
        handle: handle.to_owned(),
        created_by: "admin".to_owned(),
        created_at: 0,
        expires_at,
        used_at: None,
    }
}

/// Reset codes: bound to the handle, one-time, expire, a new one replaces
/// the unused old one; redeeming sets the password and kills all sessions.
pub async fn reset_codes_are_one_time_and_expire(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_user(new_user("alice", 1)).await.unwrap();
    s.create_session(Session {
        token_hash: "sa".into(),
        handle: "alice".into(),
        created_at: 1,
        expires_at: 1_000_000,
    })
    .await
    .unwrap();
    s.replace_reset_code(reset("old", "alice", 500))
        .await
        .unwrap();
    s.replace_reset_code(reset("new", "alice", 500))
        .await
        .unwrap();
    assert!(
        !s.redeem_reset_code("old", "alice", 10, "h").await.unwrap(),
        "replaced"
    );
    assert!(
        !s.redeem_reset_code("new", "admin", 10, "h").await.unwrap(),
        "wrong handle"
    );
    assert!(
        !s.redeem_reset_code("new", "alice", 500, "h").await.unwrap(),
        "expired at ttl"
    );
    assert!(s
        .redeem_reset_code("new", "alice", 499, "newhash")
        .await
        .unwrap());
    assert!(
        !s.redeem_reset_code("new", "alice", 499, "h2")
            .await
            .unwrap(),
        "one-time"
    );
    assert_eq!(
        s.get_user("alice").await.unwrap().unwrap().password_hash,
        "newhash"
    );
    assert!(
        s.session_user("sa", 10).await.unwrap().is_none(),
        "sessions revoked"
    );
}

/// 50 concurrent redemptions of one code ⇒ exactly one succeeds.
pub async fn concurrent_reset_code_redemption(b: &dyn Backend) {
    let s = users(b).await;
    s.create_user(new_user("admin", 1)).await.unwrap();
    s.create_user(new_user("alice", 1)).await.unwrap();
    s.replace_reset_code(reset("rc", "alice", 500))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.redeem_reset_code("rc", "alice", 10, &format!("h{i}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
}
