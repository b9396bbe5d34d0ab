//! Page bench: server time of the web pages, in process (no network), on
//! a temporary SQLite store with 1 000 members, and the bytes each page
//! ships (HTML + the CSS and JS every page loads).
//!
//! Run: `cargo bench -p bincio-http --bench web_pages`
//! (`BENCH_ROUNDS` sets the requests per page, default 300; under
//! `cargo test` it is a 3-round smoke run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::model::{NewUser, Role};
use bincio_core::store::UserStore;
use bincio_core::{Clock, SystemClock};
use bincio_http::{AppState, HttpConfig};
use bincio_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use tower::ServiceExt;

const MEMBERS: usize = 1_000;
const PW: &str = "bench password 1";

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Under `cargo test` (no `--bench` argument) a short smoke run.
    let default_rounds = if std::env::args().any(|a| a == "--bench") {
        300
    } else {
        3
    };
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_rounds)
        .max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("sqlite"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock);
    accounts
        .create_user("admin", "Admin", PW, Role::Admin)
        .await
        .expect("admin");
    // Members straight into the store: hashing 1 000 passwords is not
    // what is measured.
    for i in 1..MEMBERS {
        store
            .create_user(NewUser {
                handle: format!("member{i:04}"),
                display_name: format!("Member number {i}"),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
                    .into(),
                role: Role::User,
                created_at: 1_767_225_600 + i as i64,
            })
            .await
            .expect("member");
    }
    let token = accounts.login("admin", PW).await.expect("login").token;
    let app = bincio_http::router(AppState::new(accounts, activities, HttpConfig::default()));
    let assets = bincio_http::web::asset_bytes(bincio_http::web::LAYOUT_ASSETS);
    println!(
        "web pages on SQLite, {MEMBERS} members, {rounds} requests per page (in process; CSS + JS per page: {} B)",
        assets
    );
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>11} {:>12}",
        "page", "mean ms", "p50 ms", "p99 ms", "HTML bytes", "+CSS+JS B"
    );
    for path in [
        "/login/",
        "/",
        "/invites/",
        "/settings/",
        "/admin/",
        "/admin/?page=20",
        "/admin/?q=member09",
        "/admin/users/member0500/",
    ] {
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            // The log-in page as an anonymous visitor sees it; the rest as
            // the admin.
            let cookie = if path == "/login/" {
                String::new()
            } else {
                format!("bincio_session={token}")
            };
            let req = Request::get(path)
                .header(header::HOST, "bench")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("request");
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.expect("infallible");
            let status = resp.status();
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            times.push(t.elapsed());
            assert_eq!(status, StatusCode::OK, "{path}");
            bytes = body.len();
        }
        times.sort();
        let mean = times.iter().sum::<Duration>().as_secs_f64() * 1000.0 / rounds as f64;
        println!(
            "{:<24} {:>9.3} {:>9.3} {:>9.3} {:>11} {:>12}",
            path,
            mean,
            pct(&times, 0.5),
            pct(&times, 0.99),
            bytes,
            bytes + assets
        );
    }
}
