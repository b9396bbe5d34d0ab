//! MongoDB-specific behaviour that the shared conformance suite cannot see:
//! connect-time set-up, URL validation, the users counter on pre-existing
//! data. Needs `BINCIO_TEST_MONGO_URL` (see `bincio_store_mongo::testkit`).

use bincio_core::model::{Invite, NewUser, Role};
use bincio_core::store::{
    ActivityStore, AttendeeStore, PuzzleStore, RegisterClaim, RegisterError, UserStore,
};
use bincio_store_mongo::mongodb::bson::doc;
use bincio_store_mongo::testkit::{base_url, fresh_store, url_with_db};
use bincio_store_mongo::{ConnectError, MongoStore};

fn user(handle: &str) -> NewUser {
    NewUser {
        handle: handle.to_owned(),
        display_name: String::new(),
        password_hash: "h".to_owned(),
        role: Role::User,
        created_at: 1,
    }
}

#[tokio::test]
async fn connect_is_idempotent_and_names_the_backend() {
    let Some(base) = base_url("connect_is_idempotent_and_names_the_backend") else {
        return;
    };
    let (store, guard) = fresh_store(&base).await;
    store.create_user(user("alice")).await.unwrap();
    // A second process connecting to the same database: indexes and
    // counters are created again without error and data is kept.
    let again = MongoStore::connect(&url_with_db(&base, db_name(&store)))
        .await
        .unwrap();
    assert_eq!(again.count_users().await.unwrap(), 1);
    assert_eq!(UserStore::backend_name(&again), "mongodb");
    assert_eq!(ActivityStore::backend_name(&again), "mongodb");
    assert_eq!(AttendeeStore::backend_name(&again), "mongodb");
    assert_eq!(PuzzleStore::backend_name(&again), "mongodb");
    drop(guard);
}

fn db_name(store: &MongoStore) -> &str {
    store.database().name()
}

#[tokio::test]
async fn url_without_database_is_refused() {
    let Some(base) = base_url("url_without_database_is_refused") else {
        return;
    };
    let e = MongoStore::connect(&base).await.unwrap_err();
    assert!(matches!(e, ConnectError::MissingDatabase), "{e}");
    let e = MongoStore::connect(&url_with_db(&base, "bad$name"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ConnectError::InvalidDatabase { .. } | ConnectError::InvalidUrl(_)
        ),
        "{e}"
    );
}

/// Users written before the counter existed (another tool, an older
/// version): the counter is rebuilt from the real count at connect, so
/// `max_users` holds.
#[tokio::test]
async fn user_counter_is_rebuilt_from_existing_users() {
    let Some(base) = base_url("user_counter_is_rebuilt_from_existing_users") else {
        return;
    };
    let (store, guard) = fresh_store(&base).await;
    store.create_user(user("admin")).await.unwrap();
    store.create_user(user("bob")).await.unwrap();
    let counters = store
        .database()
        .collection::<bincio_store_mongo::mongodb::bson::Document>("counters");
    counters.delete_many(doc! {}).await.unwrap();
    let store = MongoStore::connect(&url_with_db(&base, db_name(&store)))
        .await
        .unwrap();
    let c = counters
        .find_one(doc! { "_id": "users" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.get_i64("n").unwrap(), 2);
    store.set_setting("max_users", "3").await.unwrap();
    for code in ["CNT00001", "CNT00002"] {
        store
            .create_invite(
                Invite {
                    code: code.into(),
                    created_by: "admin".into(),
                    used_by: None,
                    created_at: 1,
                    used_at: None,
                },
                None,
            )
            .await
            .unwrap();
    }
    store
        .register(RegisterClaim::Invite("CNT00001".into()), user("carol"))
        .await
        .unwrap();
    let full = store
        .register(RegisterClaim::Invite("CNT00002".into()), user("dave"))
        .await;
    assert!(matches!(full, Err(RegisterError::UserLimit(3))), "{full:?}");
    // Deleting an account gives its slot back.
    assert!(store.delete_user("carol").await.unwrap());
    store
        .register(RegisterClaim::Invite("CNT00002".into()), user("dave"))
        .await
        .unwrap();
    drop(guard);
}

/// Two independent clients (as two `bincio serve` processes would have) on
/// one database: the race-prone steps are decided by the server, not by
/// either process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_on_one_database_stay_exact() {
    let Some(base) = base_url("two_clients_on_one_database_stay_exact") else {
        return;
    };
    let (a, guard) = fresh_store(&base).await;
    let b = MongoStore::connect(&url_with_db(&base, db_name(&a)))
        .await
        .unwrap();
    let stores = [a, b];
    stores[0].create_user(user("admin")).await.unwrap();
    stores[0].set_setting("max_users", "6").await.unwrap();
    let invite = |code: String| Invite {
        code,
        created_by: "admin".into(),
        used_by: None,
        created_at: 1,
        used_at: None,
    };
    // One invite, 40 registrations split across the clients: one account.
    stores[1]
        .create_invite(invite("ONE00001".into()), None)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move {
                s.register(
                    RegisterClaim::Invite("ONE00001".into()),
                    user(&format!("one{i}")),
                )
                .await
                .is_ok()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 1);
    // 30 invites, max_users 6 (2 exist): exactly 4 more accounts.
    for i in 0..30 {
        stores[i % 2]
            .create_invite(invite(format!("MAX{i:05}")), None)
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move {
                s.register(
                    RegisterClaim::Invite(format!("MAX{i:05}")),
                    user(&format!("max{i}")),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(RegisterError::UserLimit(6)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 4);
    assert_eq!(stores[0].count_users().await.unwrap(), 6);
    // Invite limit 3 per user, 20 attempts split across the clients.
    // (`create_user` is the admin path and ignores `max_users`.)
    stores[1].create_user(user("inviter")).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move {
                let mut inv = invite(format!("LIM{i:05}"));
                inv.created_by = "inviter".into();
                s.create_invite(inv, Some(3)).await.is_ok()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += usize::from(t.await.unwrap());
    }
    assert_eq!(ok, 3);
    assert_eq!(stores[0].list_invites("inviter").await.unwrap().len(), 3);
    drop(guard);
}
