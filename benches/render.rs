//! Render benchmark: `cargo bench --bench render` (release).
//!
//! Stores N synthetic activities (default 10 000; `BINCIO_BENCH_N`) in a
//! temp SQLite instance across 10 users, then times:
//! 1. a cold render (every file written),
//! 2. a re-render with nothing changed (the steady state),
//! 3. a one-user re-render after one edit (what a write triggers).
//!
//! Prints one line per figure; no assertions.

use std::sync::Arc;
use std::time::Instant;

use bincio::core::activities::render::{render, RenderTarget};
use bincio::core::model::{ActivityEdits, ActivityRecord, ActivityTracks, NewUser, Privacy, Role};
use bincio::core::store::{ActivityStore, UserStore};
use bincio::store_sqlite::SqliteStore;
use serde_json::json;

const SAMPLES: usize = 300;
const COORDS: usize = 150;

fn record(handle: &str, i: usize) -> (ActivityRecord, ActivityTracks) {
    let started_at = 1_600_000_000 + i as i64 * 3_600;
    let id = chrono::DateTime::from_timestamp(started_at, 0)
        .unwrap()
        .format("%Y-%m-%dT%H%M%SZ")
        .to_string();
    let lat0 = 45.0 + (i % 100) as f64 * 0.01;
    let coords: Vec<_> = (0..COORDS)
        .map(|k| {
            json!([
                7.0 + k as f64 * 1e-4,
                lat0 + k as f64 * 1e-4,
                300.0 + k as f64
            ])
        })
        .collect();
    let summary = json!({"id": id, "title": "Morning Ride", "sport": "cycling", "started_at": format!("{id}"),
        "distance_m": 25_000.0 + i as f64, "duration_s": 3600, "moving_time_s": 3400, "elevation_gain_m": 420.0,
        "avg_speed_kmh": 26.5, "max_speed_kmh": 55.1, "avg_hr_bpm": 141, "privacy": "public",
        "detail_url": format!("activities/{id}.json"), "track_url": format!("activities/{id}.geojson"),
        "preview_coords": (0..20).map(|k| json!([lat0 + k as f64 * 1e-3, 7.0])).collect::<Vec<_>>()});
    let mut detail = summary.clone();
    detail["laps"] = json!([{"index": 0, "started_at": id, "duration_s": 3600}]);
    detail["bbox"] = json!([7.0, lat0, 7.015, lat0 + 0.015]);
    let tracks = ActivityTracks {
        timeseries: Some(json!({
            "t": (0..SAMPLES).collect::<Vec<_>>(),
            "lat": (0..SAMPLES).map(|k| lat0 + k as f64 * 1e-5).collect::<Vec<_>>(),
            "lon": (0..SAMPLES).map(|k| 7.0 + k as f64 * 1e-5).collect::<Vec<_>>(),
            "elevation_m": (0..SAMPLES).map(|k| 300.0 + (k % 50) as f64).collect::<Vec<_>>(),
            "hr_bpm": vec![140; SAMPLES],
        })),
        geojson: Some(
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                             "properties": {"id": id, "speeds": vec![25.0; COORDS]}}),
        ),
    };
    let rec = ActivityRecord {
        handle: handle.to_owned(),
        id,
        started_at,
        source_hash: format!("sha256:{handle}-{i}"),
        privacy: Privacy::Public,
        distance_m: Some(25_000.0),
        source: Some("gpx_file".into()),
        summary,
        detail,
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: started_at,
    };
    (rec, tracks)
}

/// Upload-to-stored throughput: the 20 fixture files ingested for each of
/// `users` users (distinct owners, so nothing is a duplicate), 2 at a time.
async fn ingest_throughput(users: usize) {
    use bincio::core::activities::ingest::IngestOptions;
    use bincio::core::activities::Activities;
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).unwrap());
    let acts = Activities::new(
        store.clone(),
        store.clone(),
        Arc::new(bincio::core::SystemClock),
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/activities");
    let mut files = Vec::new();
    for who in ["brut", "dave"] {
        for e in std::fs::read_dir(root.join(who)).unwrap().flatten() {
            files.push((
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    let mut owners = Vec::new();
    for u in 0..users {
        let user = store
            .create_user(NewUser {
                handle: format!("up{u}"),
                display_name: String::new(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 0,
            })
            .await
            .unwrap();
        owners.push(user);
    }
    let jobs: Vec<_> = owners
        .iter()
        .flat_map(|u| files.iter().map(move |f| (u.clone(), f.clone())))
        .collect();
    let bytes: usize = jobs.iter().map(|(_, (_, b))| b.len()).sum();
    let n = jobs.len();
    let t = Instant::now();
    let stored = futures::stream::iter(jobs)
        .map(|(u, (name, b))| {
            let acts = acts.clone();
            async move {
                acts.ingest(&u, &name, b, IngestOptions::default())
                    .await
                    .is_ok()
            }
        })
        .buffer_unordered(2)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let s = t.elapsed().as_secs_f64();
    println!(
        "ingest: {stored}/{n} files ({:.1} MB as uploaded) stored in {s:.2} s: {:.1} files/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        n as f64 / s,
        bytes as f64 / 1e6 / s
    );
}

#[tokio::main]
async fn main() {
    // Under `cargo test` (no `--bench` argument) a small smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    ingest_throughput(if full { 10 } else { 1 }).await;
    let n: usize = std::env::var("BINCIO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 10_000 } else { 200 });
    // BINCIO_BENCH_DIR: where the instance and the tree go (default: the
    // system temp dir), e.g. /dev/shm to take the disk out of the figure.
    let dir = match std::env::var_os("BINCIO_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).unwrap());
    let users: Arc<dyn UserStore> = store.clone();
    let acts: Arc<dyn ActivityStore> = store.clone();
    for u in 0..10 {
        users
            .create_user(NewUser {
                handle: format!("user{u}"),
                display_name: format!("User {u}"),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 0,
            })
            .await
            .unwrap();
    }
    let t = Instant::now();
    for i in 0..n {
        let (r, tr) = record(&format!("user{}", i % 10), i);
        acts.insert_activity(r, tr).await.unwrap();
    }
    println!(
        "store: inserted {n} activities in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let out = RenderTarget::new(dir.path().join("site"), dir.path());
    // Process CPU seconds (user + system, Linux; 0 elsewhere): shows how
    // much of the wall time both cores were busy.
    let cpu = || -> f64 {
        let st = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let f: Vec<&str> = st
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        (tick(11) + tick(12)) as f64 / 100.0
    };
    let c0 = cpu();
    let t = Instant::now();
    let s = render(&acts, &users, &out, None, 0).await.unwrap();
    let (wall, used) = (t.elapsed().as_secs_f64(), cpu() - c0);
    println!(
        "render cold: {} activities, {} files in {wall:.2} s ({used:.2} s CPU)",
        s.activities, s.written
    );
    let t = Instant::now();
    let s = render(&acts, &users, &out, None, 0).await.unwrap();
    println!(
        "render unchanged: {} activities, {} written, {} unchanged in {:.2} s",
        s.activities,
        s.written,
        s.unchanged,
        t.elapsed().as_secs_f64()
    );
    let (r, _) = record("user3", 3);
    acts.patch_edits(
        "user3",
        &r.id,
        ActivityEdits {
            title: Some("Edited".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = Instant::now();
    let s = render(&acts, &users, &out, Some("user3"), 0).await.unwrap();
    println!(
        "render one user after one edit: {} activities, {} written in {:.3} s",
        s.activities,
        s.written,
        t.elapsed().as_secs_f64()
    );
    // What `serve --render-dir` does after a write: a full render in which
    // one user changed (the others are skipped, the combined feed rebuilt).
    acts.patch_edits(
        "user5",
        &record("user5", 5).0.id,
        ActivityEdits {
            title: Some("Edited too".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = Instant::now();
    let s = render(&acts, &users, &out, None, 0).await.unwrap();
    println!(
        "render all after one edit: {} activities, {} written in {:.3} s",
        s.activities,
        s.written,
        t.elapsed().as_secs_f64()
    );
}
