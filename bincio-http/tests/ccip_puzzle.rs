//! The puzzle routes through HTTP: delivery, dedupe, bucket view,
//! deliverers, pieces from `/use`, counters, revoke twice, coupon.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::http::Method;
use bincio_store_conformance::Backend;
use ccip_common::*;
use serde_json::{json, Value};

const PIECES: [&str; 5] = ["ownership", "borrow", "lifetime", "trait", "macro"];

fn counters(v: &Value) -> Vec<(String, i64, i64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["_id"]["$oid"].as_str().unwrap().len(), 24);
            (
                c["puzzle"].as_str().unwrap().to_owned(),
                c["quantity"].as_i64().unwrap(),
                c["currency"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn deliver_errors_and_dedupe(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let deliver = |q: &str, form: &str| {
        let uri = format!("/event/puzzle/deliver{q}");
        let form = form.to_owned();
        let app = &app;
        async move { app.post_form(&uri, &form, &[]).await }
    };
    deliver("", &format!("receiver={GRACE}"))
        .await
        .assert_cs_error("token and receiver required");
    deliver("?token=booth-7f3a", "")
        .await
        .assert_cs_error("token and receiver required");
    deliver("?token=booth-7f3a", "receiver=nope")
        .await
        .assert_cs_error("invalid receiver token");
    // The receiver is checked before the deliverer.
    deliver("?token=nope", "receiver=nope")
        .await
        .assert_cs_error("invalid receiver token");
    deliver("?token=nope", &format!("receiver={GRACE}"))
        .await
        .assert_cs_error("invalid token");
    let r = deliver("?token=booth-7f3a", &format!("receiver={GRACE}")).await;
    assert_eq!(r.text, "{\"status\":\"OK\",\"user_id\":\"Grace\"}\n");
    deliver("?token=booth-7f3a", &format!("receiver={GRACE}"))
        .await
        .assert_cs_error("Already take from this deliverer");
    // JSON and multipart bodies are accepted too (§8.4).
    app.post_json(
        "/event/puzzle/deliver?token=booth-91c2",
        json!({"receiver": GRACE}),
        &[],
    )
    .await
    .ok();
    app.post_multipart(
        "/event/puzzle/deliver?token=booth-5d0e",
        &[("receiver", GRACE)],
        &[],
    )
    .await
    .ok();
    app.post_multipart(
        "/event/puzzle/deliver?token=booth-5d0e",
        &[("receiver", GRACE)],
        &[],
    )
    .await
    .assert_cs_error("Already take from this deliverer");

    let r = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await;
    let v = r.ok().clone();
    assert_eq!(v["user_id"], "Grace");
    assert_eq!(
        (v["valid"].clone(), v["coupon"].clone()),
        (Value::Null, Value::Null)
    );
    let names: Vec<_> = v["deliverers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deliverer"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("Ferris Foundation"),
            json!("Crab Cloud"),
            json!("Tokio Team")
        ]
    );
    assert!(
        r.text.contains(&format!("\"timestamp\":{MORNING}.0")),
        "{}",
        r.text
    );
    let pieces = v["puzzles"].as_array().unwrap();
    assert_eq!(pieces.len(), 3);
    assert!(pieces.iter().all(|p| PIECES.contains(&p.as_str().unwrap())));
    // Flask encoding: keys sorted.
    assert!(r.text.starts_with(
        "{\"coupon\":null,\"deliverers\":[{\"deliverer\":\"Ferris Foundation\",\"timestamp\":"
    ));
}

async fn deliverer_routes(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let r = app.get("/event/puzzle/deliverer?token=booth-91c2").await;
    assert_eq!(r.text, "{\"slug\":\"Crab Cloud\"}\n");
    app.get("/event/puzzle/deliverer?token=nope")
        .await
        .assert_cs_error("invalid deliverer token");
    let r = app.get("/event/puzzle/deliverers").await;
    assert_eq!(
        r.ok(),
        &json!(["Ferris Foundation", "Crab Cloud", "Tokio Team"])
    );
}

async fn use_delivers_and_counters(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let r = app.get("/event/puzzle/dashboard").await;
    assert_eq!(r.content_type(), "application/json; charset=utf-8");
    let zero: Vec<_> = PIECES
        .iter()
        .chain(&["total"])
        .map(|p| (p.to_string(), 0, 0))
        .collect();
    assert_eq!(counters(r.ok()), zero);
    let first_id = r.json[0]["_id"]["$oid"].clone();
    assert!(r.text.starts_with("[{\"_id\": {\"$oid\": \""), "{}", r.text);
    assert!(
        r.text
            .contains("\"puzzle\": \"ownership\", \"quantity\": 0, \"currency\": 0}"),
        "{}",
        r.text
    );

    // checkin delivers one piece (deliver_puzzle: 1) and creates the bucket.
    app.get(&format!("/use/checkin?token={GRACE}")).await.ok();
    app.post_form(
        "/event/puzzle/deliver?token=booth-7f3a",
        &format!("receiver={GRACE}"),
        &[],
    )
    .await
    .ok();
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await
        .ok()
        .clone();
    let held: Vec<String> = bucket["puzzles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(held.len(), 2);
    assert_eq!(
        bucket["deliverers"].as_array().unwrap().len(),
        1,
        "/use has no deliverer"
    );
    let dash = app.get("/event/puzzle/dashboard").await;
    assert_eq!(
        dash.json[0]["_id"]["$oid"], first_id,
        "counters are never re-created"
    );
    let figures = counters(dash.ok());
    assert_eq!(figures.last().unwrap(), &("total".to_owned(), 2, 2));
    for (name, q, c) in &figures[..5] {
        let n = held.iter().filter(|h| h == &name).count() as i64;
        assert_eq!((*q, *c), (n, n), "{name}");
    }
    // A used scenario does not deliver again.
    app.get(&format!("/use/checkin?token={GRACE}"))
        .await
        .assert_cs_error("has been used");
    assert_eq!(
        counters(&app.get("/event/puzzle/dashboard").await.json)[5],
        ("total".to_owned(), 2, 2)
    );
}

async fn revoke_twice_and_coupon(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let key = [("ccip", STAFF_KEY)];
    app.send(Method::GET, "/event/puzzle/revoke", None, &key)
        .await
        .assert_cs_error("token required");
    app.send(Method::GET, "/event/puzzle/revoke?token=nope", None, &key)
        .await
        .assert_cs_error("invalid token");
    // No bucket yet.
    app.send(
        Method::GET,
        &format!("/event/puzzle/revoke?token={GRACE}"),
        None,
        &key,
    )
    .await
    .assert_cs_error("invalid token");
    app.send(
        Method::GET,
        &format!("/event/puzzle/coupon?token={GRACE}"),
        None,
        &key,
    )
    .await
    .assert_cs_error("invalid token");
    for booth in ["booth-7f3a", "booth-91c2", "booth-5d0e"] {
        app.post_form(
            &format!("/event/puzzle/deliver?token={booth}"),
            &format!("receiver={GRACE}"),
            &[],
        )
        .await
        .ok();
    }
    app.clock.advance(10);
    let r = app
        .send(
            Method::GET,
            &format!("/event/puzzle/revoke?token={GRACE}"),
            None,
            &key,
        )
        .await;
    assert_eq!(r.text, "{\"status\":\"OK\"}\n");
    let after_first = counters(&app.get("/event/puzzle/dashboard").await.json);
    assert_eq!(after_first[5], ("total".to_owned(), 3, 0));
    assert!(after_first.iter().all(|(_, _, c)| *c == 0));
    let v = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await
        .ok()
        .clone();
    assert_eq!(
        (v["valid"].clone(), v["coupon"].clone()),
        (json!(MORNING + 10), json!(0))
    );
    assert_eq!(v["puzzles"].as_array().unwrap().len(), 3, "pieces are kept");
    // Coupon (POST works too), then a second revoke changes nothing.
    app.clock.advance(10);
    app.send(
        Method::POST,
        &format!("/event/puzzle/coupon?token={GRACE}"),
        None,
        &key,
    )
    .await
    .ok();
    app.clock.advance(10);
    let r = app
        .send(
            Method::PUT,
            &format!("/event/puzzle/revoke?token={GRACE}"),
            None,
            &key,
        )
        .await;
    assert_eq!(r.ok(), &json!({"status": "OK"}));
    assert_eq!(
        counters(&app.get("/event/puzzle/dashboard").await.json),
        after_first
    );
    let v = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await
        .ok()
        .clone();
    assert_eq!(
        (v["valid"].clone(), v["coupon"].clone()),
        (json!(MORNING + 10), json!(MORNING + 20))
    );
}

async fn puzzle_off_without_config(b: &dyn Backend) {
    let dir = event_dir(|d| {
        let p = d.join("event.toml");
        let s = std::fs::read_to_string(&p).unwrap();
        let s: String = s
            .lines()
            .filter(|l| !l.starts_with("puzzle_config") && !l.starts_with("delivery_permission"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(p, s).unwrap();
    });
    let app = CcipApp::with_dir(b, dir).await;
    app.import("audience", "attendees.csv").await;
    assert_eq!(app.get("/event/puzzle/dashboard").await.text, "[]");
    assert_eq!(app.get("/event/puzzle/deliverers").await.text, "[]\n");
    app.get("/event/puzzle/deliverer?token=booth-7f3a")
        .await
        .assert_cs_error("invalid deliverer token");
    app.post_form(
        "/event/puzzle/deliver?token=booth-7f3a",
        &format!("receiver={GRACE}"),
        &[],
    )
    .await
    .assert_cs_error("invalid token");
    app.get(&format!("/use/checkin?token={GRACE}")).await.ok();
    app.status(GRACE).await;
    let v = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await
        .ok()
        .clone();
    assert_eq!(v["puzzles"], json!([]));
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! ccip_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            deliver_errors_and_dedupe,
            deliverer_routes,
            use_delivers_and_counters,
            revoke_twice_and_coupon,
            puzzle_off_without_config,
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
