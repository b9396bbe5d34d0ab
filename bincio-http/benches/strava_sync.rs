//! `cargo bench -p bincio-http --bench strava_sync`: one Strava sync of
//! 1 000 activities with streams (30 min at 1 Hz each: GPS, altitude,
//! distance, heart rate, cadence, power, temperature, speed) from the fake
//! Strava over loopback HTTP into SQLite. Prints activities/s and the
//! process CPU per activity (the fake's JSON generation included: it runs
//! in the same process).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::model::{NewUser, Role};
use bincio_core::store::{ConnectionPatch, ConnectionStore, UserStore};
use bincio_core::sync::seal::KeyRing;
use bincio_core::sync::strava::{AppCredentials, StravaConfig, StravaSync};
use bincio_core::{Clock, ManualClock};
use bincio_store_sqlite::SqliteStore;
use bincio_strava::fake::FakeStrava;
use bincio_strava::HttpStravaApi;

const N: i64 = 1000;
const POINTS: usize = 1800;

/// User + system CPU of this process (s), from /proc/self/stat.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("sqlite"));
        let t0 = 1_767_225_600;
        let clock = Arc::new(ManualClock::at(t0));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        store
            .create_user(NewUser {
                handle: "alice".into(),
                display_name: "Alice".into(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 1,
            })
            .await
            .expect("user");
        let _ = Accounts::new(store.clone(), dyn_clock.clone());
        let activities = Activities::new(store.clone(), store.clone(), dyn_clock.clone());
        let fake = FakeStrava::start("1", "s", dyn_clock.clone()).await;
        fake.set_overall_limit([u32::MAX / 2, u32::MAX / 2]);
        fake.set_read_limit([u32::MAX / 2, u32::MAX / 2]);
        for k in 0..N {
            fake.add_ride(
                k + 1,
                &format!("Ride {k}"),
                t0 - 2000 * 3600 + k * 3600,
                POINTS,
            );
        }
        let api = HttpStravaApi::new(&fake.oauth_base(), &fake.api_base()).expect("api");
        let keys = Arc::new(KeyRing::in_data_dir(dir.path()));
        let svc = StravaSync::new(
            Arc::new(api),
            store.clone(),
            store.clone(),
            activities,
            keys.clone(),
            StravaConfig::new(
                Some(AppCredentials {
                    client_id: "1".into(),
                    client_secret: "s".into(),
                }),
                "http://127.0.0.1",
            ),
        );
        // Connect through the fake's OAuth, as a member would.
        connect(&svc, &fake, &store).await;
        let (wall, cpu) = (Instant::now(), cpu_s());
        let report = svc.sync("alice", &mut |_| {}).await.expect("sync");
        let (secs, cpu) = (wall.elapsed().as_secs_f64(), cpu_s() - cpu);
        assert_eq!(report.imported as i64, N, "{report:?}");
        println!(
            "strava sync: {N} activities × {POINTS} points in {secs:.1} s = {:.1} activities/s; \
             CPU {cpu:.1} s = {:.1} ms per activity ({} cores)",
            N as f64 / secs,
            cpu * 1000.0 / N as f64,
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        let _ = clock;
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
}

async fn connect(svc: &StravaSync, fake: &FakeStrava, store: &SqliteStore) {
    let user = store.get_user("alice").await.expect("get").expect("alice");
    let url = svc.auth_url(&user, "session").await.expect("auth url");
    let back = fake.approve(&url, "read,activity:read_all");
    let q: std::collections::HashMap<String, String> = back
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%2C", ",").replace("%3A", ":")))
        .collect();
    let out = svc
        .callback(
            &user,
            "session",
            bincio_core::sync::strava::CallbackQuery {
                code: q.get("code").cloned(),
                scope: q.get("scope").cloned(),
                state: q.get("state").cloned(),
                error: None,
            },
        )
        .await
        .expect("callback");
    assert_eq!(out, bincio_core::sync::strava::ConnectOutcome::Connected);
    let c = store.get_connection("alice", "strava").await.expect("conn");
    assert!(c.is_some_and(|c| c.tokens.is_some()));
    let _ = ConnectionPatch::default();
}
