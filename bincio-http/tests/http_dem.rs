//! `POST /api/activity/{id}/recalculate-elevation/dem` through HTTP on
//! every backend, with the real HTTP DEM client talking to a fake DEM
//! service started here on 127.0.0.1 (open-elevation's `/api/v1/lookup`):
//! 503 without a service, 200 with gain / loss and the recorded altitude
//! backed up once, 404 for another user's activity, 422 without GPS or
//! without timeseries or when the service fails.

#[macro_use]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use bincio_core::model::{ActivityTracks, Privacy};
use bincio_http::{HttpConfig, HttpElevationSource};
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::TestApp;
use support::records::record;

const ID: &str = "2024-06-01T073012Z";
const NO_GPS: &str = "2024-06-02T073012Z";
const NO_TS: &str = "2024-06-03T073012Z";
/// Samples in the GPS activity: lat = 45 + i·1e-5.
const N: usize = 1000;

/// The fake service: elevation = (lat − 45)·10⁴, i.e. 0.1 m per sample
/// index of the GPS activity (a 0 → 99.9 m ramp). Counts requests and
/// refuses batches over 512 with a 400.
async fn fake_dem() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = Router::new().route(
        "/api/v1/lookup",
        post(move |Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                let locs = body["locations"].as_array().cloned().unwrap_or_default();
                if locs.len() > 512 {
                    return (StatusCode::BAD_REQUEST, Json(json!({"error": "too many"})));
                }
                let results: Vec<Value> = locs
                    .iter()
                    .map(|l| {
                        let lat = l["latitude"].as_f64().unwrap_or(0.0);
                        json!({"latitude": lat, "longitude": l["longitude"],
                               "elevation": ((lat - 45.0) * 1e4 * 10.0).round() / 10.0})
                    })
                    .collect();
                (StatusCode::OK, Json(json!({ "results": results })))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), calls)
}

struct World {
    app: TestApp,
    alice: String,
    bob: String,
}

async fn world(b: &dyn Backend, dem_url: Option<&str>) -> World {
    let source = dem_url.map(|u| Arc::new(HttpElevationSource::new(u).unwrap()));
    let app = TestApp::with_activities(b, HttpConfig::default(), move |a| match source {
        Some(s) => a.with_elevation_source(s),
        None => a,
    })
    .await;
    let (_, [alice, bob]) = app.admin_and_members(["alice", "bob"]).await;
    let acts = &app.stores.activities;
    // A GPS activity recorded at a constant (wrong) 500 m.
    let gps = ActivityTracks {
        timeseries: Some(json!({
            "t": (0..N).collect::<Vec<_>>(),
            "lat": (0..N).map(|i| 45.0 + i as f64 * 1e-5).collect::<Vec<_>>(),
            "lon": vec![7.0; N],
            "elevation_m": vec![500.0; N],
        })),
        geojson: None,
    };
    acts.insert_activity(record("alice", ID, 100, Privacy::Public), gps)
        .await
        .unwrap();
    // Indoor: timeseries without positions.
    let indoor = ActivityTracks {
        timeseries: Some(json!({"t": [0, 1, 2], "hr_bpm": [100, 101, 102],
                                "lat": null, "lon": null})),
        geojson: None,
    };
    acts.insert_activity(record("alice", NO_GPS, 200, Privacy::Public), indoor)
        .await
        .unwrap();
    acts.insert_activity(
        record("alice", NO_TS, 300, Privacy::Public),
        ActivityTracks::default(),
    )
    .await
    .unwrap();
    World { app, alice, bob }
}

fn dem_uri(id: &str) -> String {
    format!("/api/activity/{id}/recalculate-elevation/dem")
}

async fn dem_without_service_is_503(b: &dyn Backend) {
    let w = world(b, None).await;
    let me = w.app.get("/api/me", Some(&w.alice)).await;
    assert_eq!(me.json["dem_configured"], false);
    let r = w
        .app
        .json(Method::POST, &dem_uri(ID), json!({}), Some(&w.alice))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("DEM"));
}

async fn dem_corrects_elevation_and_backs_up_once(b: &dyn Backend) {
    let (url, calls) = fake_dem().await;
    let w = world(b, Some(&url)).await;
    let me = w.app.get("/api/me", Some(&w.alice)).await;
    assert_eq!(me.json["dem_configured"], true);

    let r = w
        .app
        .json(Method::POST, &dem_uri(ID), json!({}), Some(&w.alice))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Indices 0, 10, …, 990 and the last (999).
    assert_eq!(r.json["points_queried"], 101);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one batch of ≤ 512");
    let gain = r.json["elevation_gain_m"].as_f64().unwrap();
    // A 0 → 99.9 m ramp; the median window flattens ~3 m at each end and
    // the 10 m hysteresis may leave the last < 10 m uncounted.
    assert!((80.0..=100.0).contains(&gain), "{}", r.text);
    assert_eq!(r.json["elevation_loss_m"], 0.0);

    let ts = w
        .app
        .get(&format!("/api/activity/{ID}/timeseries"), Some(&w.alice))
        .await
        .json;
    assert_eq!(ts["elevation_m_original"], json!(vec![500.0; N]));
    let ele = ts["elevation_m"].as_array().unwrap();
    assert_eq!(ele.len(), N);
    assert_eq!(ele[500], json!(50.0), "interior of the ramp is kept");
    let d = w
        .app
        .get(&format!("/api/activity/{ID}"), Some(&w.alice))
        .await
        .json;
    assert_eq!(d["elevation_gain_m"], r.json["elevation_gain_m"]);
    assert_eq!(d["elevation_loss_m"], 0.0);
    let feed = w.app.get("/api/feed", Some(&w.alice)).await.json;
    let s = feed["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ID)
        .unwrap()
        .clone();
    assert_eq!(s["elevation_gain_m"], r.json["elevation_gain_m"]);

    // Again: same result, and the backup is still the recorded altitude.
    let again = w
        .app
        .json(Method::POST, &dem_uri(ID), json!({}), Some(&w.alice))
        .await;
    assert_eq!(again.json, r.json);
    let ts = w
        .app
        .get(&format!("/api/activity/{ID}/timeseries"), Some(&w.alice))
        .await
        .json;
    assert_eq!(ts["elevation_m_original"], json!(vec![500.0; N]));
}

async fn dem_refusals(b: &dyn Backend) {
    let (url, _) = fake_dem().await;
    let w = world(b, Some(&url)).await;
    let post = |id: &'static str, who: &str| {
        let who = who.to_owned();
        let app = &w.app;
        async move {
            app.json(Method::POST, &dem_uri(id), json!({}), Some(&who))
                .await
        }
    };
    // Another user's activity, or none: 404.
    assert_eq!(post(ID, &w.bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        post("2000-01-01T000000Z", &w.alice).await.status,
        StatusCode::NOT_FOUND
    );
    // No GPS / no timeseries: 422.
    let r = post(NO_GPS, &w.alice).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("GPS"));
    let r = post(NO_TS, &w.alice).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("timeseries"));
    // Anonymous: 401.
    let r = w
        .app
        .json(Method::POST, &dem_uri(ID), json!({}), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn dem_service_failure_is_422_and_changes_nothing(b: &dyn Backend) {
    let (url, calls) = fake_dem().await;
    // Wrong base path: every batch gets a 404 from the fake server.
    let w = world(b, Some(&format!("{url}/missing"))).await;
    let r = w
        .app
        .json(Method::POST, &dem_uri(ID), json!({}), Some(&w.alice))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("fewer than 2"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let ts = w
        .app
        .get(&format!("/api/activity/{ID}/timeseries"), Some(&w.alice))
        .await
        .json;
    assert!(ts.get("elevation_m_original").is_none());
    assert_eq!(ts["elevation_m"], json!(vec![500.0; N]));
}

macro_rules! dem_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            dem_without_service_is_503,
            dem_corrects_elevation_and_backs_up_once,
            dem_refusals,
            dem_service_failure_is_422_and_changes_nothing,
        );
    };
}

mod sqlite {
    dem_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    dem_cases!(crate::mongo_backend!());
}
