//! `bincio sync strava --handle H` against the fake Strava: a member who
//! connected (through the service, as the settings page does) gets their
//! activities synced by the command, once; mistakes are one clear line.

use std::sync::Arc;

use assert_cmd::Command;
use bincio_core::activities::Activities;
use bincio_core::model::{NewUser, Role};
use bincio_core::store::{SummaryQuery, UserStore};
use bincio_core::sync::seal::KeyRing;
use bincio_core::sync::strava::{
    AppCredentials, CallbackQuery, ConnectOutcome, StravaConfig, StravaSync,
};
use bincio_core::{Clock, SystemClock};
use bincio_store_sqlite::SqliteStore;
use bincio_strava::fake::FakeStrava;
use predicates::prelude::*;

fn bincio(dir: &std::path::Path, fake: &FakeStrava) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn")
        .env("STRAVA_CLIENT_ID", "9")
        .env("STRAVA_CLIENT_SECRET", "cli-secret")
        .env("BINCIO_STRAVA_OAUTH_BASE", fake.oauth_base())
        .env("BINCIO_STRAVA_API_BASE", fake.api_base());
    c
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url.split_once('?')
        .map_or("", |(_, q)| q)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2C", ",").replace("%3A", ":")))
        .collect()
}

fn sync(dir: &std::path::Path, fake: &FakeStrava, handle: &str, secret: bool) -> Command {
    let mut c = bincio(dir, fake);
    if !secret {
        c.env_remove("STRAVA_CLIENT_SECRET");
    }
    c.args(["sync", "strava", "--handle", handle]);
    c
}

async fn run(cmd: Command) -> std::process::Output {
    let mut cmd = cmd;
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_strava_imports_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let fake = FakeStrava::start("9", "cli-secret", clock.clone()).await;
    {
        let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).unwrap());
        store
            .create_user(NewUser {
                handle: "alice".into(),
                display_name: "Alice".into(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 1,
            })
            .await
            .unwrap();
        let svc = StravaSync::new(
            Arc::new(
                bincio_strava::HttpStravaApi::new(&fake.oauth_base(), &fake.api_base()).unwrap(),
            ),
            store.clone(),
            store.clone(),
            Activities::new(store.clone(), store.clone(), clock.clone()),
            Arc::new(KeyRing::in_data_dir(dir.path())),
            StravaConfig::new(
                Some(AppCredentials {
                    client_id: "9".into(),
                    client_secret: "cli-secret".into(),
                }),
                "http://127.0.0.1:4041",
            ),
        );
        let user = store.get_user("alice").await.unwrap().unwrap();
        let url = svc.auth_url(&user, "session").await.unwrap();
        let q = query(&fake.approve(&url, "read,activity:read_all"));
        let out = svc
            .callback(
                &user,
                "session",
                CallbackQuery {
                    code: q.get("code").cloned(),
                    scope: q.get("scope").cloned(),
                    state: q.get("state").cloned(),
                    error: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(out, ConnectOutcome::Connected);
    }
    let now = clock.unix();
    for k in 0..3 {
        fake.add_ride(10 + k, &format!("CLI ride {k}"), now - 86_400 * (k + 1), 60);
    }
    fake.add_manual(20, "CLI manual", now - 3600);

    let out = run(sync(dir.path(), &fake, "alice", true)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 imported, 0 updated, 0 already up to date, 0 failed"),
        "{stdout}"
    );

    let out = run(sync(dir.path(), &fake, "alice", true)).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("0 imported, 0 updated, 4 already up to date"));

    let store = SqliteStore::open(dir.path().join("instance.db")).unwrap();
    let recs = bincio_core::store::ActivityStore::summaries(
        &store,
        SummaryQuery {
            handle: Some("alice".into()),
            limit: 100,
            ..SummaryQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(recs.len(), 4);

    // Mistakes: one line each, non-zero exit.
    let out = run(sync(dir.path(), &fake, "nobody", true)).await;
    assert!(!out.status.success());
    let out = run(sync(dir.path(), &fake, "alice", false)).await;
    assert!(!out.status.success());
    assert!(predicate::str::contains("go together").eval(&String::from_utf8_lossy(&out.stderr)));
}
