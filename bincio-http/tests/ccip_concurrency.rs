//! Races through HTTP: the store decides, so concurrent requests never
//! double-use a scenario, lose a piece or beat the deliverer dedupe.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bincio_store_conformance::Backend;
use ccip_common::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn run(app: &CcipApp, reqs: Vec<Request<Body>>) -> Vec<(StatusCode, String)> {
    let tasks: Vec<_> = reqs
        .into_iter()
        .map(|req| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn deliver(booth: &str, receiver: &str) -> Request<Body> {
    Request::post(format!("/event/puzzle/deliver?token={booth}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("receiver={receiver}")))
        .unwrap()
}

async fn concurrent_use_exactly_once(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let reqs = (0..500)
        .map(|_| {
            Request::get(format!("/use/checkin?token={GRACE}"))
                .body(Body::empty())
                .unwrap()
        })
        .collect();
    let res = run(&app, reqs).await;
    let ok = res.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let used = res
        .iter()
        .filter(|(s, b)| *s == StatusCode::BAD_REQUEST && b == "{\"message\":\"has been used\"}\n")
        .count();
    assert_eq!((ok, used), (1, 499));
    // Exactly one checkin piece was delivered.
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await;
    assert_eq!(bucket.ok()["puzzles"].as_array().unwrap().len(), 1);
}

async fn concurrent_distinct_deliverers(b: &dyn Backend) {
    let dir = event_dir(|d| {
        let perms: serde_json::Map<String, serde_json::Value> = (0..200)
            .map(|i| {
                (
                    format!("booth-{i}"),
                    serde_json::Value::String(format!("Booth {i}")),
                )
            })
            .collect();
        std::fs::write(
            d.join("delivery-permission.json"),
            serde_json::to_string(&perms).unwrap(),
        )
        .unwrap();
    });
    let app = CcipApp::with_dir(b, dir).await;
    app.import("audience", "attendees.csv").await;
    let reqs = (0..200)
        .map(|i| deliver(&format!("booth-{i}"), GRACE))
        .collect();
    let res = run(&app, reqs).await;
    assert!(res.iter().all(|(s, _)| *s == StatusCode::OK), "{res:?}");
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await;
    assert_eq!(bucket.ok()["puzzles"].as_array().unwrap().len(), 200);
    assert_eq!(bucket.json["deliverers"].as_array().unwrap().len(), 200);
    let dash = app.get("/event/puzzle/dashboard").await;
    let total = dash.ok().as_array().unwrap().last().unwrap().clone();
    assert_eq!(total["puzzle"], "total");
    assert_eq!(
        (total["quantity"].as_i64(), total["currency"].as_i64()),
        (Some(200), Some(200))
    );
    let sum: i64 = dash.json.as_array().unwrap()[..5]
        .iter()
        .map(|c| c["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 200);
}

async fn concurrent_same_deliverer_once(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let reqs = (0..50).map(|_| deliver("booth-7f3a", GRACE)).collect();
    let res = run(&app, reqs).await;
    let ok = res.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let dup = res
        .iter()
        .filter(|(_, b)| b == "{\"message\":\"Already take from this deliverer\"}\n")
        .count();
    assert_eq!((ok, dup), (1, 49));
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await;
    assert_eq!(bucket.ok()["puzzles"].as_array().unwrap().len(), 1);
}

async fn concurrent_first_status_one_bucket(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let reqs = (0..100)
        .map(|_| {
            Request::get(format!("/status?token={ADA}"))
                .body(Body::empty())
                .unwrap()
        })
        .collect();
    let res = run(&app, reqs).await;
    assert!(res.iter().all(|(s, _)| *s == StatusCode::OK));
    let firsts: std::collections::BTreeSet<_> = res
        .iter()
        .map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap()["first_use"].as_i64())
        .collect();
    assert_eq!(firsts.len(), 1);
    app.get(&format!("/event/puzzle?token={}", public(ADA)))
        .await
        .ok();
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! ccip_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            concurrent_use_exactly_once,
            concurrent_distinct_deliverers,
            concurrent_same_deliverer_once,
            concurrent_first_status_one_bucket,
        );
    };
}

mod sqlite {
    ccip_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    ccip_cases!(crate::mongo_backend!());
}
