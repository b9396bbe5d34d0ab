//! Activity page bench: server time of the Web app II pages, in process
//! (no network), on a temporary SQLite store, for a member with 1 000
//! activities (GPS, heart rate and power, spread over three years) and one
//! synthetic 14-hour ride of 50 000 one-second samples; and the weight of
//! each page: its HTML plus the CSS and JavaScript it loads.
//!
//! Baseline in the same run: the JSON API's feed page and the big ride's
//! detail + timeseries (what a client-side page would have fetched).
//!
//! Run: `cargo bench -p bincio-http --bench activity_pages`
//! (`BENCH_ROUNDS` sets the requests per page, default 200; under
//! `cargo test` it is a 2-round smoke run on 60 activities).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use bincio_core::accounts::Accounts;
use bincio_core::activities::ingest::IngestOptions;
use bincio_core::activities::Activities;
use bincio_core::model::Role;
use bincio_core::{Clock, SystemClock};
use bincio_http::web::{asset_bytes, LAYOUT_ASSETS};
use bincio_http::{AppState, HttpConfig};
use bincio_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use tower::ServiceExt;

const PW: &str = "bench password 1";

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A GPX ride: `n` samples `step` seconds apart from `start` (Unix), with
/// elevation, heart rate, cadence and power.
fn ride(start: i64, n: usize, step: i64, seed: u64) -> Vec<u8> {
    let mut out = String::with_capacity(n * 260 + 400);
    out.push_str(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"bench\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\
         <trk><name>Bench ride</name><type>cycling</type><trkseg>",
    );
    let lat0 = 45.0 + (seed % 100) as f64 * 0.01;
    let lon0 = 7.0 + (seed % 37) as f64 * 0.01;
    for i in 0..n {
        let t = chrono::DateTime::from_timestamp(start + i as i64 * step, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ");
        let a = i as f64 / 400.0;
        let lat = lat0 + a.sin() * 0.05 + i as f64 * 0.00002;
        let lon = lon0 + a.cos() * 0.05;
        let ele = 300.0 + (a * 3.0).sin() * 120.0;
        let hr = 120 + ((i / 30) % 50);
        let pw = 150 + ((i * 7 + seed as usize) % 200);
        out.push_str(&format!(
            "<trkpt lat=\"{lat:.6}\" lon=\"{lon:.6}\"><ele>{ele:.1}</ele><time>{t}</time>\
             <extensions><power>{pw}</power><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>\
             <gpxtpx:cad>{}</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>",
            80 + i % 20
        ));
    }
    out.push_str("</trkseg></trk></gpx>");
    out.into_bytes()
}

async fn get(app: &axum::Router, path: &str, cookie: &str) -> (StatusCode, usize) {
    let req = Request::get(path)
        .header(header::HOST, "bench")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, body.len())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 200 } else { 2 })
        .max(1);
    let count: usize = if bench { 1_000 } else { 60 };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("sqlite"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock);
    accounts
        .create_user("rider", "Rider", PW, Role::User)
        .await
        .expect("rider");
    accounts
        .set_setting("private", "false")
        .await
        .expect("setting");
    let rider = accounts.require_user("rider").await.expect("rider");
    let t0 = Instant::now();
    // 1 000 rides of 20 minutes at 10-second samples, one a day or so.
    let first = 1_680_000_000; // 2023-03-28
    for i in 0..count {
        let gpx = ride(first + i as i64 * 86_000, 120, 10, i as u64);
        activities
            .ingest(&rider, &format!("r{i}.gpx"), gpx, IngestOptions::default())
            .await
            .expect("ingest");
    }
    let big = ride(first - 86_400 * 10, 50_000, 1, 7);
    let big_bytes = big.len();
    let big_id = activities
        .ingest(&rider, "big.gpx", big, IngestOptions::default())
        .await
        .expect("big ride")
        .id()
        .to_owned();
    activities
        .set_athlete(
            &rider,
            &serde_json::json!({"ftp_w": 260, "max_hr": 188,
                "hr_zones": [[0, 120], [120, 145], [145, 160], [160, 175], [175, 200]],
                "power_zones": [[0, 150], [150, 210], [210, 260], [260, 320], [320, 2000]],
                "seasons": [{"name": "2024", "start": "2024-01-01", "end": "2024-12-31"}]}),
        )
        .await
        .expect("athlete");
    println!(
        "set-up: {count} activities + one {:.1} MB 50 000-sample ride ingested in {:.1} s",
        big_bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    let token = accounts.login("rider", PW).await.expect("login").token;
    let cookie = format!("bincio_session={token}");
    let config = HttpConfig {
        tiles: bincio_http::TileSource::none(),
        ..HttpConfig::default()
    };
    let editor = activities.clone();
    let app = bincio_http::router(AppState::new(accounts, activities, config));
    let activity = format!("/u/rider/activity/{big_id}/");
    let map_page: &[&str] = &[
        "leaflet.js",
        "leaflet.css",
        "uplot.js",
        "uplot.css",
        "activity.js",
    ];
    // "cold": every request follows an edit of the big ride (a new
    // generation), so nothing kept from the previous request is reused.
    let pages: Vec<(&str, String, &[&str])> = vec![
        ("feed /", "/".into(), &[]),
        ("member feed", "/u/rider/".into(), &[]),
        ("activity (50k samples)", activity.clone(), map_page),
        ("activity, cold", activity.clone(), map_page),
        ("stats", "/u/rider/stats/".into(), &[]),
        ("stats, cold", "/u/rider/stats/".into(), &[]),
        ("athlete", "/u/rider/athlete/".into(), &["athlete.js"]),
        ("athlete, cold", "/u/rider/athlete/".into(), &["athlete.js"]),
        ("community (all)", "/community/?period=all".into(), &[]),
        ("community, cold", "/community/?period=all".into(), &[]),
        ("upload", "/upload/".into(), &["upload.js"]),
        ("baseline: /api/feed", "/api/feed?handle=rider".into(), &[]),
        (
            "baseline: detail json",
            format!("/api/activity/{big_id}"),
            &[],
        ),
        (
            "baseline: timeseries",
            format!("/api/activity/{big_id}/timeseries"),
            &[],
        ),
    ];
    println!("{rounds} requests per page, as the logged-in owner; release build");
    println!(
        "{:<24} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
        "page", "mean ms", "p50 ms", "p99 ms", "HTML B", "CSS+JS B", "total B"
    );
    for (name, path, extra) in &pages {
        let (status, _) = get(&app, path, &cookie).await; // warm
        assert_eq!(status, StatusCode::OK, "{path}");
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for round in 0..rounds {
            if name.ends_with("cold") {
                let req = serde_json::from_value(
                    serde_json::json!({"title": format!("Big ride {round}")}),
                )
                .expect("edit");
                editor.edit(&rider, &big_id, req).await.expect("edit");
            }
            let t = Instant::now();
            let (status, n) = get(&app, path, &cookie).await;
            times.push(t.elapsed());
            assert_eq!(status, StatusCode::OK, "{path}");
            bytes = n;
        }
        times.sort();
        let mean = times.iter().sum::<Duration>().as_secs_f64() * 1000.0 / rounds as f64;
        let assets = if name.starts_with("baseline") {
            0
        } else {
            asset_bytes(LAYOUT_ASSETS) + asset_bytes(extra)
        };
        println!(
            "{:<24} {:>8.2} {:>8.2} {:>8.2} {:>10} {:>10} {:>10}",
            name,
            mean,
            pct(&times, 0.5),
            pct(&times, 0.99),
            bytes,
            assets,
            bytes + assets
        );
    }
}
