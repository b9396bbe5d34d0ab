//! Shared by the OpenAPI tests: the derived document as JSON and the app
//! with the CCIP router merged (as `bincio serve --event` builds it).
#![allow(dead_code)]

pub mod checker;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::{Clock, SystemClock};
use bincio_http::ccip::{self, CcipState};
use bincio_http::{AppState, HttpConfig};
use bincio_store_sqlite::SqliteStore;
use serde_json::Value;

pub fn document() -> Value {
    serde_json::to_value(bincio_http::openapi::document()).expect("document as JSON")
}

/// Operations of the document: `(method, path)`.
pub fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if method != "parameters" {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

// ------------------------------------------------------------------ the app

/// The app router with the CCIP router merged (as `bincio serve --event`),
/// on a fresh SQLite store and a tiny event, wearing a layer that copies
/// the matched route into the response.
pub struct Fixture {
    pub router: Router,
    pub accounts: Accounts,
    /// The fake Strava the Strava routes talk to.
    pub strava: bincio_strava::fake::FakeStrava,
    _dir: tempfile::TempDir,
}

pub const STAFF_KEY: &str = "staff-key";
pub const ADA: &str = "ada-private-token";

fn write_event(dir: &std::path::Path) {
    let files = [
        (
            "event.toml",
            "event_id = \"TESTCONF\"\nannouncement_default_role = \"audience\"\n\
             staff_key = \"staff-key\"\npuzzle_config = \"puzzle.json\"\n\
             delivery_permission = \"deliverers.json\"\n\n[roles]\naudience = \"audience.json\"\n",
        ),
        (
            "audience.json",
            r#"{"checkin": {"order": 0, "display_text": {"en-US": "Check-in", "zh-TW": "報到"},
                 "available_time": "2000/01/01 00:00 +0000", "expire_time": "2099/01/01 00:00 +0000",
                 "countdown": 0, "related_scenario": [{"id": "lunch", "unlock": true}], "deliver_puzzle": 1},
                "lunch": {"order": 1, "display_text": {"en-US": "Lunch", "zh-TW": "午餐"},
                 "available_time": "2000/01/01 00:00 +0000", "expire_time": "2099/01/01 00:00 +0000",
                 "countdown": 60, "lock_message": "Check in first",
                 "attr": [{"row_name": "diet", "attr_name": "diet"}]}}"#,
        ),
        ("puzzle.json", r#"{"ownership": 2, "borrow": 1}"#),
        ("deliverers.json", r#"{"booth-1": "Booth One"}"#),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write event file");
    }
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("store"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock.clone());
    let sources = bincio_core::sources::Sources::new(
        activities.clone(),
        store.clone(),
        store.clone(),
        dir.path().join("data"),
    );
    let event = dir.path().join("event");
    std::fs::create_dir(&event).expect("event dir");
    write_event(&event);
    let ccip_state = CcipState::from_event_dir(
        &event,
        store.clone(),
        store.clone(),
        clock,
        Some(accounts.clone()),
    )
    .await
    .expect("event");
    // The JSON API without the web pages: what the document describes.
    let state = AppState::new(accounts.clone(), activities.clone(), HttpConfig::default());
    state.set_sources(sources);
    let strava =
        bincio_strava::fake::FakeStrava::start("55", "fixture-secret", Arc::new(SystemClock)).await;
    let api = bincio_strava::HttpStravaApi::new(&strava.oauth_base(), &strava.api_base())
        .expect("strava api");
    state.set_strava(bincio_core::sync::strava::StravaSync::new(
        Arc::new(api),
        store.clone(),
        store.clone(),
        activities,
        Arc::new(bincio_core::sync::seal::KeyRing::in_data_dir(dir.path())),
        bincio_core::sync::strava::StravaConfig::new(
            Some(bincio_core::sync::strava::AppCredentials {
                client_id: "55".into(),
                client_secret: "fixture-secret".into(),
            }),
            "http://bincio.test",
        ),
    ));
    let router = bincio_http::api_router(state).merge(ccip::router(ccip_state));
    Fixture {
        router,
        accounts,
        strava,
        _dir: dir,
    }
}

pub async fn record_matched_path(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(m) = matched {
        resp.extensions_mut().insert(m);
    }
    resp
}
