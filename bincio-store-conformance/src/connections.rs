//! Conformance cases of [`ConnectionStore`](bincio_core::store::ConnectionStore).

use bincio_core::model::{NewUser, Role};
use bincio_core::store::{Connection, ConnectionPatch, StoreError};

use super::{Backend, Stores};

async fn with_users(b: &dyn Backend, handles: &[&str]) -> Stores {
    let s = b.fresh().await;
    for h in handles {
        s.users
            .create_user(NewUser {
                handle: (*h).to_owned(),
                display_name: (*h).to_owned(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 1,
            })
            .await
            .unwrap();
    }
    s
}

/// Absent until patched; a patch creates the record or merges only the
/// fields it names (clearing with `Some(None)`); unknown members are
/// `NotFound`; records list by provider sorted by handle and go with
/// their member.
pub async fn connection_patch_merges_and_lifecycle(b: &dyn Backend) {
    let s = with_users(b, &["bob", "alice"]).await;
    let c = &s.connections;
    assert_eq!(c.get_connection("alice", "strava").await.unwrap(), None);
    let err = c
        .patch_connection("nobody", "strava", &ConnectionPatch::default(), 5)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(c.get_connection("nobody", "strava").await.unwrap(), None);

    let first = c
        .patch_connection(
            "alice",
            "strava",
            &ConnectionPatch {
                credentials: Some(Some(vec![1, 2, 0, 255])),
                ..ConnectionPatch::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        Connection {
            handle: "alice".into(),
            provider: "strava".into(),
            credentials: Some(vec![1, 2, 0, 255]),
            updated_at: 10,
            ..Connection::default()
        }
    );
    let full = ConnectionPatch {
        athlete_id: Some(Some(42)),
        athlete_name: Some(Some("Alice A".into())),
        scopes: Some(Some("read,activity:read_all".into())),
        tokens: Some(Some(vec![9; 80])),
        cursor: Some(Some(1_700_000_000)),
        last_sync: Some(Some(11)),
        next_sync: Some(Some(12)),
        paused_until: Some(Some(13)),
        last_error: Some(Some("boom".into())),
        oauth_state: Some(Some(("abc".into(), 99))),
        ..ConnectionPatch::default()
    };
    let after = c
        .patch_connection("alice", "strava", &full, 20)
        .await
        .unwrap();
    let mut want = first.clone();
    full.apply(&mut want);
    want.updated_at = 20;
    assert_eq!(after, want);
    assert_eq!(after.credentials, Some(vec![1, 2, 0, 255]), "kept");
    assert_eq!(
        c.get_connection("alice", "strava").await.unwrap(),
        Some(want.clone())
    );

    let cleared = c
        .patch_connection(
            "alice",
            "strava",
            &ConnectionPatch {
                tokens: Some(None),
                last_error: Some(None),
                oauth_state: Some(None),
                ..ConnectionPatch::default()
            },
            30,
        )
        .await
        .unwrap();
    assert_eq!(cleared.tokens, None);
    assert_eq!(cleared.last_error, None);
    assert_eq!(
        (cleared.oauth_state, cleared.oauth_state_expires),
        (None, None)
    );
    assert_eq!(cleared.cursor, Some(1_700_000_000));
    assert_eq!(c.get_connection("alice", "other").await.unwrap(), None);

    c.patch_connection("bob", "strava", &ConnectionPatch::default(), 40)
        .await
        .unwrap();
    c.patch_connection("bob", "other", &ConnectionPatch::default(), 40)
        .await
        .unwrap();
    let listed: Vec<String> = c
        .list_connections("strava")
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.handle)
        .collect();
    assert_eq!(listed, ["alice", "bob"]);

    assert!(c.delete_connection("bob", "other").await.unwrap());
    assert!(!c.delete_connection("bob", "other").await.unwrap());
    assert!(s.users.delete_user("alice").await.unwrap());
    assert_eq!(c.get_connection("alice", "strava").await.unwrap(), None);
    assert_eq!(c.list_connections("strava").await.unwrap().len(), 1);
}

/// Concurrent patches of different fields all survive.
pub async fn connection_concurrent_patches_of_different_fields(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let c = s.connections.clone();
    let patches = [
        ConnectionPatch {
            cursor: Some(Some(1)),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            last_sync: Some(Some(2)),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            next_sync: Some(Some(3)),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            paused_until: Some(Some(4)),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            credentials: Some(Some(vec![5])),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            tokens: Some(Some(vec![6])),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            athlete_id: Some(Some(7)),
            ..ConnectionPatch::default()
        },
        ConnectionPatch {
            last_error: Some(Some("8".into())),
            ..ConnectionPatch::default()
        },
    ];
    let tasks: Vec<_> = patches
        .into_iter()
        .map(|p| {
            let c = c.clone();
            tokio::spawn(async move { c.patch_connection("alice", "strava", &p, 1).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = c.get_connection("alice", "strava").await.unwrap().unwrap();
    assert_eq!(
        (got.cursor, got.last_sync, got.next_sync, got.paused_until),
        (Some(1), Some(2), Some(3), Some(4))
    );
    assert_eq!(got.credentials, Some(vec![5]));
    assert_eq!(got.tokens, Some(vec![6]));
    assert_eq!(got.athlete_id, Some(7));
    assert_eq!(got.last_error.as_deref(), Some("8"));
}

/// A pending OAuth state is spent once: never with another hash, never
/// after its expiry, and exactly once among concurrent callers.
pub async fn connection_oauth_state_is_single_use(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let c = s.connections.clone();
    assert!(!c.take_oauth_state("alice", "strava", "h", 0).await.unwrap());
    let arm = |exp: i64| ConnectionPatch {
        oauth_state: Some(Some(("h".into(), exp))),
        ..ConnectionPatch::default()
    };
    c.patch_connection("alice", "strava", &arm(100), 1)
        .await
        .unwrap();
    assert!(!c
        .take_oauth_state("alice", "strava", "other", 50)
        .await
        .unwrap());
    assert!(
        !c.take_oauth_state("alice", "strava", "h", 100)
            .await
            .unwrap(),
        "expired"
    );
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.take_oauth_state("alice", "strava", "h", 99).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap().unwrap());
    }
    assert_eq!(wins, 1);
    let after = c.get_connection("alice", "strava").await.unwrap().unwrap();
    assert_eq!((after.oauth_state, after.oauth_state_expires), (None, None));
}
