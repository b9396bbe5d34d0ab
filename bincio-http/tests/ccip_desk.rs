//! The check-in desk's API through HTTP, on SQLite and MongoDB: staff
//! scans logged with who scanned, nonces that make retries safe, offline
//! batches, undo with a reason (and its refusals), the audit log as JSON
//! and CSV, and the token check that never records a first use.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use bincio_core::model::Role;
use bincio_store_conformance::Backend;
use ccip_common::*;
use serde_json::{json, Value};

fn scenario<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {doc}"))
}

const STAFF: &[(&str, &str)] = &[("ccip", STAFF_KEY)];

async fn use_undo_and_audit(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let scan = |nonce: &str| json!({"token": FERRIS, "scenario": "staff_checkin", "nonce": nonce});
    let first = app.post_json("/api/event/use", scan("n1"), STAFF).await;
    let doc = first.ok().clone();
    assert!(scenario(&doc, "staff_checkin")["used"].is_number());
    assert!(
        scenario(&doc, "staff_shirt").get("disabled").is_none(),
        "unlocked"
    );
    // The same scan again (a retry): the same answer, no second effect.
    let again = app.post_json("/api/event/use", scan("n1"), STAFF).await;
    assert_eq!(again.text, first.text);
    app.post_json("/api/event/use", scan("n2"), STAFF)
        .await
        .assert_cs_error("has been used");
    let p = app.post_json("/api/event/use", scan("n9"), &[]).await;
    assert_eq!(p.status.as_u16(), 403);

    // Undo: back as imported, logged; twice is refused; then use again.
    let undo =
        json!({"token": FERRIS, "scenario": "staff_checkin", "reason": "scanned the wrong badge"});
    let doc = app
        .post_json("/api/event/undo", undo.clone(), STAFF)
        .await
        .ok()
        .clone();
    assert!(scenario(&doc, "staff_checkin").get("used").is_none());
    assert_eq!(scenario(&doc, "staff_shirt")["disabled"], "Check in first");
    app.post_json("/api/event/undo", undo.clone(), STAFF)
        .await
        .assert_cs_error("not used: nothing to undo");
    app.post_json(
        "/api/event/undo",
        json!({"token": FERRIS, "scenario": "staff_checkin", "reason": " "}),
        STAFF,
    )
    .await
    .assert_cs_error("reason: 1 to 500 characters");
    app.post_json("/api/event/use", scan("n3"), STAFF)
        .await
        .ok();

    // A staff account names itself; the attendee's own use is logged too;
    // a use that delivered a puzzle piece cannot be undone exactly.
    let token = app.account("marie", Role::Staff).await;
    let bearer = format!("Bearer {token}");
    app.post_json(
        "/api/event/use",
        json!({"token": ADA, "scenario": "sponsor_gift"}),
        &[("authorization", &bearer)],
    )
    .await
    .ok();
    app.get(&format!("/use/checkin?token={GRACE}")).await.ok();
    app.post_json(
        "/api/event/undo",
        json!({"token": GRACE, "scenario": "checkin", "reason": "test"}),
        STAFF,
    )
    .await
    .assert_cs_error("this use delivered puzzle pieces: it cannot be undone exactly");

    let log = app.staff_get("/api/event/audit").await.ok().clone();
    let rows: Vec<(String, String, bool, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["ok"].as_bool().unwrap(),
                e["scenario"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let r = |k: &str, a: &str, ok: bool, s: &str| (k.to_owned(), a.to_owned(), ok, s.to_owned());
    assert_eq!(
        rows,
        vec![
            r("undo", "staff-key", false, "checkin"),
            r("use", "attendee", true, "checkin"),
            r("use", "staff:marie", true, "sponsor_gift"),
            r("use", "staff-key", true, "staff_checkin"),
            r("undo", "staff-key", false, "staff_checkin"),
            r("undo", "staff-key", true, "staff_checkin"),
            r("use", "staff-key", false, "staff_checkin"),
            r("use", "staff-key", true, "staff_checkin"),
        ],
        "newest first; the replay of n1 and the blank reason wrote nothing"
    );
    let undos = app
        .staff_get("/api/event/audit?kind=undo&limit=2")
        .await
        .ok()
        .clone();
    assert_eq!(undos.as_array().unwrap().len(), 2);
    app.staff_get("/api/event/audit?kind=delete")
        .await
        .assert_cs_error("kind: use, undo, deliver, revoke, coupon, import or announcement");
    let csv = app
        .staff_get("/api/event/audit?format=csv&actor=staff%3Amarie")
        .await;
    assert_eq!(csv.status.as_u16(), 200);
    assert!(csv.content_type().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(lines[0].starts_with("id,at,kind,actor,attendee_id"));
    assert!(lines[1].contains(",use,staff:marie,") && lines[1].contains(",sponsor_gift,true,ok,"));
    assert_eq!(app.get("/api/event/audit").await.status.as_u16(), 403);
}

async fn offline_batch(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let batch = json!([
        {"token": ADA, "scenario": "sponsor_gift", "nonce": "desk1-1", "scanned_at": MORNING - 60},
        {"token": ADA, "scenario": "sponsor_gift", "nonce": "desk1-2", "scanned_at": MORNING - 50},
        {"token": FERRIS, "scenario": "staff_checkin", "nonce": "desk1-3"},
        {"token": "nope", "scenario": "sponsor_gift", "nonce": "desk1-4"},
    ]);
    let want = json!([
        {"nonce": "desk1-1", "ok": true, "message": "ok"},
        {"nonce": "desk1-2", "ok": false, "message": "has been used"},
        {"nonce": "desk1-3", "ok": true, "message": "ok"},
        {"nonce": "desk1-4", "ok": false, "message": "invalid token"},
    ]);
    let first = app
        .post_json("/api/event/scans", batch.clone(), STAFF)
        .await;
    assert_eq!(first.ok(), &want);
    let entries = |v: &Value| v.as_array().unwrap().len();
    let logged = entries(app.staff_get("/api/event/audit").await.ok());
    // Sent again (the desk did not get the answer): the same answers, each
    // scan applied once (only the unknown token's refusal is logged again:
    // a nonce belongs to an attendee).
    let again = app.post_json("/api/event/scans", batch, STAFF).await;
    assert_eq!(again.ok(), &want);
    assert_eq!(
        entries(app.staff_get("/api/event/audit").await.ok()),
        logged + 1
    );
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"token": GRACE, "scenario": "lunch", "nonce": format!("x{i}")}))
        .collect();
    app.post_json("/api/event/scans", Value::Array(many), STAFF)
        .await
        .assert_cs_error("at most 500 scans at once");
}

async fn token_check_never_writes(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    for _ in 0..2 {
        let v = app
            .get(&format!("/api/event/token?token={GRACE}"))
            .await
            .ok()
            .clone();
        assert_eq!(v["valid"], true);
        assert_eq!(v["role"], "audience");
        assert!(v["display_name"].is_string());
    }
    let a = app.service.show(GRACE).await.unwrap();
    assert_eq!(a.first_use, None, "never a first use");
    let v = app.get("/api/event/token?token=nope").await.ok().clone();
    assert_eq!(
        v,
        json!({"valid": false, "role": null, "display_name": null})
    );
    let v = app.get("/api/event/token").await.ok().clone();
    assert_eq!(v["valid"], false);
}

async fn import_dry_run_writes_nothing(b: &dyn Backend) {
    let app = CcipApp::new(b).await;
    let post = |q: &str, csv: &str| {
        let uri = format!("/api/event/attendees?role=audience{q}");
        let body = csv.as_bytes().to_vec();
        let app = &app;
        async move {
            app.send(
                axum::http::Method::POST,
                &uri,
                Some(("text/csv", body)),
                STAFF,
            )
            .await
        }
    };
    let header = "token,display_name,title,diet,sponsor,shirt_size\n";
    let bad = format!("{header}tok-aaaa-1,Ann,,veg,Y,S\n,Bo,,veg,N,M\n");
    let r = post("&dry_run=true", &bad).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("line 3"),
        "{}",
        r.text
    );
    let good = format!("{header}tok-aaaa-1,Ann,,veg,Y,S\ntok-aaaa-2,Bo,,meat,N,M\n");
    let r = post("&dry_run=true", &good).await;
    assert_eq!(r.ok(), &json!({"rows": 2, "new": 2, "existing": 0}));
    assert_eq!(
        app.service.search("", None, 0, 10).await.unwrap().total,
        0,
        "nothing written"
    );
    let r = post("", &good).await;
    assert_eq!(r.ok(), &json!({"inserted": 2, "updated": 0}));
    let r = post("&dry_run=1", &good).await;
    assert_eq!(r.ok(), &json!({"rows": 2, "new": 0, "existing": 2}));
}

macro_rules! desk_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            use_undo_and_audit,
            offline_batch,
            token_check_never_writes,
            import_dry_run_writes_nothing,
        );
    };
}

mod sqlite {
    desk_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    desk_cases!(crate::mongo_backend!());
}
