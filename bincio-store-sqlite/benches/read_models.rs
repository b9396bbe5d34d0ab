//! Read-model bench: server time of the core read models the web pages
//! call (feed pages with and without filters, facets, member stats,
//! leaderboard, season curves, the athlete page) for a member with 1 000
//! activities on SQLite, as the owner and as an anonymous visitor.
//!
//! Run: `cargo bench -p bincio-store-sqlite --bench read_models`
//! (`BENCH_ROUNDS` sets the calls per line, default 200; under
//! `cargo test` it is a 2-round smoke run).
//!
//! Measured 2026-11-30 on the shared 2-core development VM under load
//! from another build (load average ~4.6), release, 50 calls, mean ms:
//! `store.summaries` of 1 000 records 48 (lean: 17), feed page 1.9,
//! year-filtered page 2.6, sport filter matching 1/4 of the records 18,
//! sport filter matching none (scans all 1 000) 43, facets 19, member
//! stats 24 (anonymous) / 30 (owner), leaderboard week 0.2 / all 20,
//! season curves 25, athlete page 27. The cost is the store read and the
//! JSON parse of each summary (lean reads skip the track preview); the
//! pages' 10 ms for 1 000 activities is not met on this loaded machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bincio_core::accounts::settings::PRIVATE;
use bincio_core::activities::{Activities, FeedFilter, Period};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, AthleteConfig, AthletePatch, NewUser, Privacy,
    Role, Season,
};
use bincio_core::store::{ActivityStore, SummaryQuery, UserStore};
use bincio_core::ManualClock;
use bincio_store_sqlite::SqliteStore;
use serde_json::json;

const ACTIVITIES: usize = 1_000;
const NOW: i64 = 1_778_068_800; // 2026-05-06T12:00:00Z
const SPORTS: [&str; 4] = ["cycling", "running", "hiking", "swimming"];

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A summary the size extraction writes: preview track, mmp, best efforts.
fn record(handle: &str, i: usize) -> ActivityRecord {
    let started_at = NOW - (i as i64) * 86_400 * 3 / 2 - 3600;
    let id = format!("a{i:05}");
    let sport = SPORTS[i % SPORTS.len()];
    let preview: Vec<[f64; 2]> = (0..120)
        .map(|k| [46.0 + k as f64 * 1e-3, 7.0 + (i + k) as f64 * 1e-3])
        .collect();
    let mmp: Vec<[i64; 2]> = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600]
        .iter()
        .map(|d| [*d, 900 - (*d as f64).ln() as i64 * 80 + (i % 50) as i64])
        .collect();
    let summary = json!({
        "id": id, "title": format!("Ride number {i}"), "sport": sport, "sub_sport": null,
        "started_at": "2026-05-04T07:00:00+02:00", "distance_m": 30_000.0 + i as f64,
        "duration_s": 4000, "moving_time_s": 3600, "elevation_gain_m": 420.5,
        "avg_speed_kmh": 27.3, "max_speed_kmh": 61.2, "avg_hr_bpm": 141, "max_hr_bpm": 178,
        "avg_cadence_rpm": 86, "avg_power_w": 201, "mmp": mmp,
        "best_efforts": [[1.0, 120.0], [5.0, 640.0], [10.0, 1300.0], [20.0, 2700.0]],
        "best_climb_m": 310.0, "source": "gpx_file", "privacy": "public",
        "detail_url": format!("activities/{id}.json"), "track_url": format!("activities/{id}.geojson"),
        "preview_coords": preview,
    });
    // A detail much larger than the summary (laps, zones, full stats).
    let detail = json!({"id": id, "laps": vec![json!({"distance_m": 1000.0, "time_s": 200}); 200]});
    ActivityRecord {
        handle: handle.to_owned(),
        id,
        started_at,
        source_hash: format!("sha256:{i}"),
        privacy: if i.is_multiple_of(10) {
            Privacy::Unlisted
        } else {
            Privacy::Public
        },
        distance_m: Some(30_000.0),
        source: Some("gpx_file".into()),
        summary,
        detail,
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: 1,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let default_rounds = if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        2
    };
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_rounds)
        .max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("sqlite"));
    for h in ["rider", "other"] {
        store
            .create_user(NewUser {
                handle: h.into(),
                display_name: h.into(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 1,
            })
            .await
            .expect("user");
    }
    for i in 0..ACTIVITIES {
        store
            .insert_activity(record("rider", i), ActivityTracks::default())
            .await
            .expect("insert");
    }
    store.set_setting(PRIVATE, "false").await.expect("setting");
    let seasons = (2023..=2026)
        .map(|y| Season {
            name: format!("{y}"),
            start: format!("{y}-01-01"),
            end: format!("{y}-12-31"),
        })
        .collect();
    store
        .patch_athlete(
            "rider",
            &AthletePatch {
                set: AthleteConfig {
                    seasons: Some(seasons),
                    ..Default::default()
                },
                clear: Vec::new(),
            },
        )
        .await
        .expect("seasons");
    let svc = Activities::new(store.clone(), store.clone(), Arc::new(ManualClock::at(NOW)));
    let owner = store.get_user("rider").await.expect("get").expect("rider");

    println!(
        "core read models on SQLite, one member with {ACTIVITIES} activities, {rounds} calls per line"
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "call", "mean ms", "p50 ms", "p99 ms"
    );
    macro_rules! line {
        ($name:expr, $call:expr) => {{
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                let r = $call.await;
                times.push(t.elapsed());
                assert!(r.is_ok(), "{}: {:?}", $name, r.err());
            }
            times.sort();
            let mean = times.iter().sum::<Duration>().as_secs_f64() * 1000.0 / rounds as f64;
            println!(
                "{:<34} {:>9.2} {:>9.2} {:>9.2}",
                $name,
                mean,
                pct(&times, 0.5),
                pct(&times, 0.99)
            );
        }};
    }
    let rare = FeedFilter {
        sport: Some("swimming".into()),
        year: None,
    };
    let absent = FeedFilter {
        sport: Some("skiing".into()),
        year: None,
    };
    let year = FeedFilter {
        sport: None,
        year: Some(2025),
    };
    let all = |lean| SummaryQuery {
        handle: Some("rider".into()),
        limit: ACTIVITIES,
        lean,
        ..SummaryQuery::default()
    };
    line!("store.summaries 1 000", store.summaries(all(false)));
    line!("store.summaries 1 000 lean", store.summaries(all(true)));
    line!("feed (50)", svc.feed(None, Some("rider"), None, 50));
    line!(
        "feed_filtered year (50)",
        svc.feed_filtered(None, Some("rider"), &year, None, 50)
    );
    line!(
        "feed_filtered sport 1/4 (50)",
        svc.feed_filtered(None, Some("rider"), &rare, None, 50)
    );
    line!(
        "feed_filtered sport absent (50)",
        svc.feed_filtered(None, Some("rider"), &absent, None, 50)
    );
    line!(
        "feed_facets (anonymous)",
        svc.feed_facets(None, Some("rider"))
    );
    line!(
        "member_stats (owner)",
        svc.member_stats(Some(&owner), "rider")
    );
    line!("member_stats (anonymous)", svc.member_stats(None, "rider"));
    line!("leaderboard week", svc.leaderboard(None, Period::Week));
    line!("leaderboard all", svc.leaderboard(None, Period::All));
    line!(
        "season_curves (anonymous)",
        svc.season_curves(None, "rider")
    );
    line!("athlete_page (anonymous)", svc.athlete_page(None, "rider"));
    line!("athlete (owner)", svc.athlete(Some(&owner), "rider"));
}
