//! The Strava sync through its routes, against the stateful fake Strava
//! (`bincio_strava::fake`), on every backend: connect (approve, deny,
//! missing scope, spent state), pages of 0 / 200 / 201, the overlap
//! catching a late upload, a rename updating in place, a manual activity
//! without streams, token expiry and rotation, a rate-limit pause (near
//! the limit and on 429) then resume, a failing activity retried without
//! the cursor passing it, racing syncs not duplicating, revoked access →
//! disconnected, disconnect, a lost key. No token appears in clear in the
//! database, the data dir or the logs.
//!
//! Over 600 lines: one harness (the app, the fake, the key dir) and the
//! cases of the issue's list, which share it.

#[macro_use]
mod support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use bincio_core::store::SummaryQuery;
use bincio_core::sync::seal::KeyRing;
use bincio_core::sync::strava::{AppCredentials, StravaConfig, StravaSync};
use bincio_core::Clock;
use bincio_http::{AppState, HttpConfig};
use bincio_store_conformance::Backend;
use bincio_strava::fake::FakeStrava;
use bincio_strava::HttpStravaApi;
use serde_json::{json, Value};
use support::http::{services, Resp, TestApp, T0};

const DAY: i64 = 86_400;

/// Every log line of this test binary (all levels), to grep for tokens.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        #[derive(Clone)]
        struct W(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for W {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let w = W(buf.clone());
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || w.clone())
                .with_ansi(false)
                .finish(),
        );
        buf
    })
}

struct Strava {
    app: TestApp,
    fake: FakeStrava,
    data: tempfile::TempDir,
    alice: String,
    bob: String,
}

fn service(app: &TestApp, fake: &FakeStrava, data: &std::path::Path) -> StravaSync {
    let api = HttpStravaApi::new(&fake.oauth_base(), &fake.api_base()).unwrap();
    let mut config = StravaConfig::new(
        Some(AppCredentials {
            client_id: "1234".into(),
            client_secret: "instance-secret-xyz".into(),
        }),
        "http://bincio.test",
    );
    config.pause_poll = Duration::from_millis(20);
    StravaSync::new(
        Arc::new(api),
        app.stores.connections.clone(),
        app.stores.users.clone(),
        app.activities.clone(),
        Arc::new(KeyRing::in_data_dir(data)),
        config,
    )
}

impl Strava {
    async fn new(b: &dyn Backend) -> Self {
        logs();
        let mut app = TestApp::new(b).await;
        let fake = FakeStrava::start("1234", "instance-secret-xyz", app.clock.clone()).await;
        // Budgets no case reaches unless it lowers them.
        fake.set_overall_limit([100_000, 1_000_000]);
        fake.set_read_limit([100_000, 1_000_000]);
        let data = tempfile::tempdir().unwrap();
        let (accounts, activities) = services(&app.stores, &app.clock);
        let state = AppState::new(accounts, activities, HttpConfig::default());
        app.activities = state.activities().clone();
        state.set_strava(service(&app, &fake, data.path()));
        app.router = bincio_http::router(state);
        let (_, [alice, bob]) = app.admin_and_members(["alice", "bob"]).await;
        Strava {
            app,
            fake,
            data,
            alice,
            bob,
        }
    }

    async fn status(&self, who: &str) -> Value {
        self.app
            .get("/api/strava/status", Some(who))
            .await
            .ok()
            .clone()
    }

    /// Ask for a link, let the fake decide, follow the callback.
    async fn round_trip(&self, who: &str, decide: impl Fn(&str) -> String) -> Resp {
        let r = self.app.get("/api/strava/auth-url", Some(who)).await;
        let url = r.ok()["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&self.fake.oauth_base()), "{url}");
        assert!(url.contains("scope=read%2Cactivity%3Aread_all"), "{url}");
        self.app.get(&decide(&url), Some(who)).await
    }

    async fn connect(&self, who: &str) {
        let r = self
            .round_trip(who, |u| self.fake.approve(u, "read,activity:read_all"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(r.headers["location"], "/settings/?strava=connected");
    }

    async fn sync(&self, who: &str) -> Resp {
        self.app
            .send_bytes(
                Method::POST,
                "/api/strava/sync",
                "application/json",
                vec![],
                Some(who),
            )
            .await
    }

    async fn synced(&self, who: &str) -> Value {
        let r = self.sync(who).await;
        r.ok().clone()
    }

    async fn activities(&self, handle: &str) -> Vec<bincio_core::model::ActivityRecord> {
        self.app
            .stores
            .activities
            .summaries(SummaryQuery {
                handle: Some(handle.into()),
                limit: 5000,
                ..SummaryQuery::default()
            })
            .await
            .unwrap()
    }
}

fn outcome(r: &Resp) -> &str {
    r.headers["location"].to_str().unwrap()
}

async fn strava_connect_approve_deny_scope(b: &dyn Backend) {
    let s = Strava::new(b).await;
    let st = s.status(&s.alice).await;
    assert_eq!(
        (st["configured"].clone(), st["connected"].clone()),
        (json!(true), json!(false))
    );

    let r = s.round_trip(&s.alice, |u| s.fake.deny(u)).await;
    assert_eq!(outcome(&r), "/settings/?strava=denied");
    assert_eq!(
        s.status(&s.alice).await["last_error"],
        json!("You declined access at Strava")
    );

    let r = s.round_trip(&s.alice, |u| s.fake.approve(u, "read")).await;
    assert_eq!(outcome(&r), "/settings/?strava=scope");
    let st = s.status(&s.alice).await;
    assert_eq!(st["connected"], json!(false));
    assert!(st["last_error"]
        .as_str()
        .unwrap()
        .contains("without permission to read activities"));

    // A link used by another session (bob's) or used twice does nothing.
    let url = s.app.get("/api/strava/auth-url", Some(&s.alice)).await.ok()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let back = s.fake.approve(&url, "read,activity:read_all");
    assert_eq!(
        outcome(&s.app.get(&back, Some(&s.bob)).await),
        "/settings/?strava=expired"
    );
    assert_eq!(
        outcome(&s.app.get(&back, None).await),
        "/settings/?strava=expired"
    );
    // … and expires after 10 minutes.
    s.app.clock.advance(601);
    assert_eq!(
        outcome(&s.app.get(&back, Some(&s.alice)).await),
        "/settings/?strava=expired"
    );

    s.connect(&s.alice).await;
    let st = s.status(&s.alice).await;
    assert_eq!(st["connected"], json!(true));
    assert_eq!(st["athlete_name"], json!("Fay Kerr"));
    assert_eq!(st["athlete_id"], json!(4242));
    assert_eq!(st["last_error"], Value::Null);
    assert_eq!(s.status(&s.bob).await["connected"], json!(false));
    // Not connected: a sync is refused with a clear message.
    let r = s.sync(&s.bob).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["detail"], json!("Not connected to Strava"));
}

async fn strava_pages_overlap_rename_manual(b: &dyn Backend) {
    let s = Strava::new(b).await;
    s.connect(&s.alice).await;
    let r = s.synced(&s.alice).await;
    assert_eq!(
        r,
        json!({"imported": 0, "updated": 0, "skipped": 0, "error_count": 0, "errors": []})
    );

    // 200 rides: exactly one full page (then an empty one).
    let start = T0 - 400 * DAY;
    for k in 0..200 {
        s.fake
            .add_ride(1000 + k, &format!("Ride {k}"), start + k * DAY, 20);
    }
    let r = s.synced(&s.alice).await;
    assert_eq!(
        (r["imported"].clone(), r["error_count"].clone()),
        (json!(200), json!(0))
    );
    assert_eq!(s.activities("alice").await.len(), 200);

    // 201 listed (a hard reset lists everything): 200 skipped, the new one
    // imported.
    s.fake.add_ride(2000, "Ride 201", start + 201 * DAY, 20);
    let r = s
        .app
        .json(
            Method::POST,
            "/api/strava/reset",
            json!({"mode": "hard"}),
            Some(&s.alice),
        )
        .await;
    assert_eq!(r.ok()["last_sync_at"], Value::Null);
    let r = s.synced(&s.alice).await;
    assert_eq!(
        (r["imported"].clone(), r["skipped"].clone()),
        (json!(1), json!(200))
    );

    // The documents: detail, streams, laps, gear, description.
    let recs = s.activities("alice").await;
    let newest = &recs[0];
    let d = s
        .app
        .get(&format!("/api/activity/{}", newest.id), Some(&s.alice))
        .await;
    let d = d.ok();
    assert_eq!(d["title"], json!("Ride 201"));
    assert_eq!(d["description"], json!("description of Ride 201"));
    assert_eq!(d["gear"], json!("Fake Bike"));
    assert_eq!(d["strava_id"], json!("2000"));
    assert_eq!(d["source"], json!("strava"));
    assert_eq!(d["laps"].as_array().unwrap().len(), 1);
    assert!(d["avg_power_w"].as_i64().is_some());
    assert!(s
        .app
        .get(
            &format!("/api/activity/{}/timeseries", newest.id),
            Some(&s.alice)
        )
        .await
        .status
        .is_success());

    // A late upload (started 3 days before the newest) is caught by the
    // overlap; a manual activity keeps its summary figures.
    s.fake
        .add_ride(2001, "Late one", start + 198 * DAY + 3600, 20);
    s.fake
        .add_manual(2002, "Treadmill", start + 201 * DAY + 7200);
    let r = s.synced(&s.alice).await;
    assert_eq!(r["imported"], json!(2), "{r}");
    let recs = s.activities("alice").await;
    assert_eq!(recs.len(), 203);
    let manual = recs
        .iter()
        .find(|r| r.summary["title"] == json!("Treadmill"))
        .unwrap();
    assert_eq!(manual.distance_m, Some(12_000.0));
    assert_eq!(manual.summary["moving_time_s"], json!(1800));
    assert!(s
        .app
        .stores
        .activities
        .get_tracks("alice", &manual.id)
        .await
        .unwrap()
        .is_some());

    // A rename updates in place: same id, new title, no new activity.
    s.fake.rename(2000, "Ride 201 (renamed)");
    let r = s.synced(&s.alice).await;
    assert_eq!(
        (r["updated"].clone(), r["imported"].clone()),
        (json!(1), json!(0)),
        "{r}"
    );
    let again = s.activities("alice").await;
    assert_eq!(again.len(), 203);
    let renamed = again.iter().find(|r| r.id == newest.id).unwrap();
    assert_eq!(renamed.summary["title"], json!("Ride 201 (renamed)"));
}

async fn strava_tokens_rotate_revoke_and_stay_secret(b: &dyn Backend) {
    let s = Strava::new(b).await;
    s.connect(&s.alice).await;
    s.fake.add_ride(1, "First", T0 - DAY, 30);
    assert_eq!(s.synced(&s.alice).await["imported"], json!(1));
    assert_eq!(s.fake.refreshes(), 0);
    let refresh_tokens_before: Vec<String> = s.fake.issued_tokens();

    // Six hours later the access token has expired: refreshed (rotated),
    // the old refresh token is dead, and the new one was kept: a second
    // expiry refreshes again.
    for round in 1..=2 {
        s.app.clock.advance(6 * 3600 + 60);
        s.fake.add_ride(
            1 + round,
            &format!("Next {round}"),
            s.app.clock.unix() - 3600,
            30,
        );
        let r = s.synced(&s.alice).await;
        assert_eq!(r["imported"], json!(1), "{r}");
        assert_eq!(s.fake.refreshes(), round as u32);
    }
    assert!(!s.fake.refresh_token_valid(&refresh_tokens_before[1]));

    // Own app credentials: the secret is never shown.
    let r = s
        .app
        .json(
            Method::PUT,
            "/api/me/strava-credentials",
            json!({"client_id": "777", "client_secret": "member-secret-abc"}),
            Some(&s.bob),
        )
        .await;
    r.ok();
    let r = s.app.get("/api/me/strava-credentials", Some(&s.bob)).await;
    assert_eq!(
        r.ok().clone(),
        json!({"own": true, "client_id": "777", "instance": true})
    );
    let bad = s
        .app
        .json(
            Method::PUT,
            "/api/me/strava-credentials",
            json!({"client_id": "abc", "client_secret": "x"}),
            Some(&s.bob),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // No token or secret in clear: the stored records, the database files
    // (SQLite), the data dir and the logs.
    let mut secrets = s.fake.issued_tokens();
    secrets.push("instance-secret-xyz".into());
    secrets.push("member-secret-abc".into());
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for h in ["alice", "bob"] {
        let c = s
            .app
            .stores
            .connections
            .get_connection(h, "strava")
            .await
            .unwrap()
            .unwrap();
        haystacks.push((format!("{h} record"), format!("{c:?}").into_bytes()));
        for b in [c.tokens, c.credentials].into_iter().flatten() {
            haystacks.push((format!("{h} blob"), b));
        }
    }
    let mut dirs = vec![s.data.path().to_path_buf()];
    if let Some(d) = s
        .app
        .stores
        .guard
        .as_ref()
        .and_then(|g| g.downcast_ref::<tempfile::TempDir>())
    {
        dirs.push(d.path().to_path_buf());
    }
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                haystacks.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    haystacks.push(("logs".into(), logs().lock().unwrap().clone()));
    for (what, hay) in &haystacks {
        for t in &secrets {
            assert!(
                !hay.windows(t.len()).any(|w| w == t.as_bytes()),
                "{t} in clear in {what}"
            );
        }
    }
    let key = s.data.path().join("keys/secrets.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Revoked at Strava: the sync stops with a clear message and the
    // connection shows as disconnected.
    s.fake.revoke();
    s.fake
        .add_ride(9, "After revoke", s.app.clock.unix() - 60, 30);
    let r = s.sync(&s.alice).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let st = s.status(&s.alice).await;
    assert_eq!(st["connected"], json!(false));
    assert!(st["last_error"].as_str().unwrap().contains("connect again"));

    // Connect again, then disconnect: revoked at Strava.
    s.connect(&s.alice).await;
    let r = s
        .app
        .send_bytes(
            Method::POST,
            "/api/strava/disconnect",
            "application/json",
            vec![],
            Some(&s.alice),
        )
        .await;
    r.ok();
    assert_eq!(s.fake.deauthorized(), 1);
    assert_eq!(s.status(&s.alice).await["connected"], json!(false));

    // A lost key only forces a re-connect.
    s.connect(&s.alice).await;
    std::fs::remove_file(&key).unwrap();
    let other = service(&s.app, &s.fake, s.data.path());
    let user = s.app.accounts.require_user("alice").await.unwrap();
    let st = other.status(&user).await.unwrap();
    assert!(!st.connected);
    assert!(st.last_error.unwrap().contains("connect again"));
}

async fn strava_rate_limit_pause_and_retry(b: &dyn Backend) {
    let s = Arc::new(Strava::new(b).await);
    s.connect(&s.alice).await;
    // A failing activity 10 days older than the newest: retried next time,
    // and the cursor stays before it (a cursor at the newest would list
    // from 7 days before it and miss it).
    s.fake.add_ride(1, "Old", T0 - 20 * DAY, 20);
    s.fake.add_ride(2, "Fails once", T0 - 10 * DAY, 20);
    s.fake.add_ride(3, "New", T0 - DAY, 20);
    s.fake.fail_once(2);
    let r = s.synced(&s.alice).await;
    assert_eq!(
        (r["imported"].clone(), r["error_count"].clone()),
        (json!(2), json!(1)),
        "{r}"
    );
    assert!(s.status(&s.alice).await["last_error"]
        .as_str()
        .unwrap()
        .contains("retried"));
    let r = s.synced(&s.alice).await;
    assert_eq!(
        (r["imported"].clone(), r["skipped"].clone()),
        (json!(1), json!(2)),
        "{r}"
    );
    assert_eq!(s.status(&s.alice).await["last_error"], Value::Null);

    // Near the 15-minute read limit, then a 429: the sync pauses, says so
    // (status, job, stream), and resumes when the window resets.
    s.fake.set_read_limit([8, 1000]);
    for k in 0..6 {
        s.fake
            .add_ride(10 + k, &format!("Batch {k}"), T0 - 3600 + k * 60, 20);
    }
    let bg = {
        let s = s.clone();
        tokio::spawn(async move {
            s.app
                .get("/api/strava/sync/stream", Some(&s.alice))
                .await
                .text
        })
    };
    let mut paused = None;
    for _ in 0..500 {
        let st = s.status(&s.alice).await;
        if let Some(t) = st["paused_until"].as_i64() {
            paused = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let until = paused.expect("the sync paused");
    assert_eq!(until % 900, 0, "a quarter hour");
    let admin = s.app.login("admin", "admin-password").await;
    let jobs = s.app.get("/api/admin/jobs", Some(&admin)).await;
    let text = jobs.ok().to_string();
    assert!(
        text.contains("strava-sync") && text.contains("paused until"),
        "{text}"
    );
    // Another process of the same app spends the next window too: a 429.
    s.app.clock.set(until);
    s.fake.spend_reads(8);
    let body = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let st = s.status(&s.alice).await;
            if st["paused_until"].as_i64().is_some_and(|t| t > until) {
                s.app.clock.set(st["paused_until"].as_i64().unwrap());
            }
            if bg.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bg.await.unwrap()
    })
    .await
    .expect("the sync resumed and finished");
    assert!(body.contains(r#""type":"fetching""#), "{body}");
    assert!(body.matches(r#""type":"paused""#).count() >= 2, "{body}");
    assert!(body.contains(r#""type":"done","imported":6"#), "{body}");
    assert_eq!(s.activities("alice").await.len(), 9);
}

async fn strava_racing_syncs_do_not_duplicate(b: &dyn Backend) {
    let s = Strava::new(b).await;
    s.connect(&s.alice).await;
    for k in 0..12 {
        s.fake
            .add_ride(100 + k, &format!("R{k}"), T0 - DAY + k * 600, 20);
    }
    // Two processes (two services over the same stores and key).
    let one = service(&s.app, &s.fake, s.data.path());
    let two = service(&s.app, &s.fake, s.data.path());
    let (mut quiet1, mut quiet2) = (|_| {}, |_| {});
    let (a, b2) = tokio::join!(
        one.sync("alice", &mut quiet1),
        two.sync("alice", &mut quiet2)
    );
    // One sync per member across processes (the member's lease): a sync
    // that finds the other running is refused, never run twice at once.
    let reports: Vec<_> = [a, b2]
        .into_iter()
        .filter_map(|r| match r {
            Ok(r) => Some(r),
            Err(bincio_core::CoreError::Conflict(_)) => None,
            Err(e) => panic!("{e}"),
        })
        .collect();
    assert!(!reports.is_empty(), "one of them synced");
    assert_eq!(reports.iter().map(|r| r.error_count).sum::<usize>(), 0);
    let recs = s.activities("alice").await;
    assert_eq!(recs.len(), 12);
    let mut ids: Vec<_> = recs.iter().map(|r| r.source_hash.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    // One process runs one sync per member at a time.
    let r = s.synced(&s.alice).await;
    assert_eq!(r["skipped"], json!(12));
}

/// `serve --sync-interval`: connected members are synced in turn in the
/// background, each sync a job; the status shows the next one.
async fn strava_scheduler_syncs_connected_members(b: &dyn Backend) {
    let s = Strava::new(b).await;
    s.connect(&s.alice).await;
    s.fake.add_ride(5, "Scheduled", T0 - DAY, 20);
    let svc = service(&s.app, &s.fake, s.data.path());
    let jobs = bincio_core::jobs::JobRegistry::new(s.app.stores.users.clone(), s.app.clock.clone());
    let task = tokio::spawn(svc.schedule(Duration::from_secs(600), jobs));
    let mut done = false;
    for _ in 0..500 {
        let st = s.status(&s.alice).await;
        if st["next_sync"].as_i64() == Some(s.app.clock.unix() + 600) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(done, "the round ran");
    assert_eq!(s.activities("alice").await.len(), 1);
    assert_eq!(s.status(&s.bob).await["next_sync"], Value::Null);
}

macro_rules! strava_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            strava_connect_approve_deny_scope,
            strava_pages_overlap_rename_manual,
            strava_tokens_rotate_revoke_and_stay_secret,
            strava_rate_limit_pause_and_retry,
            strava_racing_syncs_do_not_duplicate,
            strava_scheduler_syncs_connected_members,
        );
    };
}

mod sqlite {
    strava_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    strava_cases!(crate::mongo_backend!());
}
