//! Mount bincio's routers inside an existing axum app, under prefixes, next
//! to the app's own routes and state.
//!
//! The host app here has its own state (`Shop`, a visit counter) and its
//! own route `/`. It nests:
//! * the accounts / activities router (`bincio_http::router`, built from an
//!   `AppState` over the services) under `/bincio`, so its API answers at
//!   `/bincio/api/…` and its health check at `/bincio/healthz`;
//! * the CCIP check-in router (`bincio_http::ccip::router`, built from a
//!   `CcipState` over the event service) under `/ccip`, so the OPass routes
//!   answer at `/ccip/status`, `/ccip/use/{scenario}`, ….
//!
//! Both bincio routers come with their state applied (`Router<()>`), so
//! they nest into any app whatever its own state type. Stores are one
//! SQLite file in a temp dir; the event is the repository's fixture (or
//! `--event DIR`).
//!
//! Run: `cargo run --example mount_routers` (prints a few in-process
//! requests), or `cargo run --example mount_routers -- --serve
//! 127.0.0.1:8080` to serve it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use bincio::core::accounts::Accounts;
use bincio::core::activities::Activities;
use bincio::core::{Clock, SystemClock};
use bincio::http::ccip::{self, CcipState};
use bincio::http::{AppState, HttpConfig};
use bincio::store_sqlite::SqliteStore;

/// The host app's own state.
#[derive(Default)]
struct Shop {
    visits: AtomicU64,
}

async fn home(State(shop): State<Arc<Shop>>) -> String {
    let n = shop.visits.fetch_add(1, Ordering::Relaxed) + 1;
    format!("the host app's own page, visit {n}\n")
}

/// The host app with bincio mounted: `/` is the app's, `/bincio/…` the
/// accounts / activities API, `/ccip/…` the check-in routes.
async fn app(
    data_dir: &std::path::Path,
    event_dir: &std::path::Path,
    clock: Arc<dyn Clock>,
) -> Result<Router, Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::open(data_dir.join("instance.db"))?);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock.clone());
    let config = HttpConfig {
        data_dir: Some(data_dir.to_path_buf()),
        ..HttpConfig::default()
    };
    let bincio = bincio::http::router(AppState::new(accounts.clone(), activities, config));
    let event = CcipState::from_event_dir(
        event_dir,
        store.clone(),
        store.clone(),
        clock,
        Some(accounts),
    )
    .await?;
    let checkin = ccip::router(event);

    Ok(Router::new()
        .route("/", get(home))
        .with_state(Arc::new(Shop::default()))
        .nest("/bincio", bincio)
        .nest("/ccip", checkin))
}

fn fixture_event() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/event")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let event_dir = flag("--event").map_or_else(fixture_event, PathBuf::from);
    let data = tempfile::tempdir()?;
    let router = app(data.path(), &event_dir, Arc::new(SystemClock)).await?;

    if let Some(addr) = flag("--serve") {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("serving on http://{addr}/ (bincio under /bincio and /ccip)");
        axum::serve(listener, router).await?;
        return Ok(());
    }
    for uri in ["/", "/bincio/healthz", "/ccip/roles", "/nothing-here"] {
        let (status, body) = get_text(&router, uri).await;
        println!("GET {uri} -> {status} {}", body.trim_end());
    }
    Ok(())
}

/// One in-process GET (no socket): status and body text.
async fn get_text(router: &Router, uri: &str) -> (axum::http::StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::get(uri)
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::StatusCode;
    use bincio::core::ManualClock;

    use super::{app, fixture_event, get_text};

    /// `2030/05/01 09:00 +0800`: inside the fixture event's check-in window.
    const MORNING: i64 = 1_903_827_600;

    #[tokio::test]
    async fn each_router_answers_under_its_prefix() {
        let data = tempfile::tempdir().unwrap();
        let router = app(
            data.path(),
            &fixture_event(),
            Arc::new(ManualClock::at(MORNING)),
        )
        .await
        .unwrap();
        let (status, body) = get_text(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("visit 1"), "{body}");
        let (status, body) = get_text(&router, "/bincio/healthz").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"sqlite\""), "{body}");
        let (status, body) = get_text(&router, "/ccip/roles").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("audience"), "{body}");
        // Unprefixed bincio paths are not the app's.
        let (status, _) = get_text(&router, "/healthz").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
