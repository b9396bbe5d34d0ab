// Over 600 lines on purpose: one HTTP suite per file, its cases kept
// byte-identical across the issue-11 restructuring (the routes they pin are
// being retyped under them); split by route group once that has landed.

//! CCIP routes through HTTP: shapes (whole documents), CS error strings,
//! StaffQuery, time windows, import-time rules, related scenarios,
//! dashboards, announcements, staff-only access, CORS and fallbacks.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::model::Role;
use bincio_store_conformance::Backend;
use ccip_common::*;
use serde_json::{json, Value};

fn ada_doc(id: &str, first_use: Option<i64>) -> Value {
    let mut doc = json!({
        "_id": {"$oid": id}, "event_id": "DEMOCONF2030", "token": ADA, "user_id": "Ada",
        "attr": {"title": "speaker"}, "role": "audience",
        "scenarios": [
            {"order": 0, "display_text": {"en-US": "Check-in", "zh-TW": "報到"},
             "available_time": 1_903_824_000, "expire_time": 1_903_860_000, "countdown": 0,
             "attr": {}, "id": "checkin"},
            {"order": 1, "display_text": {"en-US": "Welcome kit", "zh-TW": "迎賓袋"},
             "available_time": 1_903_824_000, "expire_time": 1_903_860_000, "disabled": "Check in first",
             "countdown": 30, "attr": {"shirt": "S"}, "id": "welcome_kit"},
            {"order": 2, "display_text": {"en-US": "Lunch", "zh-TW": "午餐"},
             "available_time": 1_903_836_600, "expire_time": 1_903_845_600, "disabled": "Check in first",
             "countdown": 60, "attr": {"diet": "vegetarian"}, "id": "lunch"},
            {"order": 3, "display_text": {"en-US": "Sponsor gift", "zh-TW": "贊助禮"},
             "available_time": 1_903_824_000, "expire_time": 1_903_946_400, "countdown": 0,
             "attr": {}, "id": "sponsor_gift"},
            {"order": 4, "display_text": {"en-US": "Speaker dinner", "zh-TW": "講者晚宴"},
             "available_time": 1_903_860_000, "expire_time": 1_903_874_400, "countdown": 0,
             "attr": {}, "id": "speaker_dinner"},
        ]
    });
    if let Some(t) = first_use {
        doc["first_use"] = json!(t);
    }
    doc
}

fn scenario<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or(&Value::Null)
}

async fn status_shape_first_use_and_staff_query(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    // StaffQuery (any non-empty value) writes nothing.
    let r = app
        .get(&format!("/status?token={ADA}&StaffQuery=false"))
        .await;
    let id = r.ok()["_id"]["$oid"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert_eq!(r.json, ada_doc(&id, None));
    app.get(&format!("/event/puzzle?token={}", public(ADA)))
        .await
        .assert_cs_error("Invalid token, please try again after checkin.");
    // Empty StaffQuery is falsy: first use is recorded, the bucket created.
    let r = app.get(&format!("/status?token={ADA}&StaffQuery=")).await;
    assert_eq!(r.ok(), &ada_doc(&id, Some(MORNING)));
    assert_eq!(r.content_type(), "application/json; charset=utf-8");
    assert!(
        r.text.starts_with(&format!(
            "{{\"_id\": {{\"$oid\": \"{id}\"}}, \"event_id\": \"DEMOCONF2030\", \"token\": \"{ADA}\", \"user_id\": \"Ada\", \"attr\": {{\"title\": \"speaker\"}}, \"first_use\": {MORNING}, \"role\": \"audience\", \"scenarios\": [{{\"order\": 0, \"display_text\": {{\"en-US\": \"Check-in\", \"zh-TW\": \"\\u5831\\u5230\"}}"
        )),
        "{}",
        r.text
    );
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(ADA)))
        .await;
    assert_eq!(
        bucket.ok(),
        &json!({"coupon": null, "deliverers": [], "puzzles": [], "user_id": "Ada", "valid": null})
    );
    // Later calls keep the first value.
    app.clock.advance(100);
    assert_eq!(app.status(ADA).await["first_use"], json!(MORNING));
    // The id is stable.
    assert_eq!(app.status(ADA).await["_id"]["$oid"], json!(id));
}

async fn token_errors(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    for path in [
        "/status",
        "/landing",
        "/use/checkin",
        "/event/puzzle",
        "/event/puzzle/deliverer",
    ] {
        app.get(path).await.assert_cs_error("token required");
    }
    for path in [
        "/status?token=nope",
        "/landing?token=",
        "/use/checkin?token=nope",
    ] {
        app.get(path).await.assert_cs_error("invalid token");
    }
    app.get("/event/puzzle?token=nope")
        .await
        .assert_cs_error("Invalid token, please try again after checkin.");
    let r = app.get(&format!("/landing?token={GRACE}")).await;
    assert_eq!(r.ok(), &json!({"nickname": "Grace"}));
    assert_eq!(r.text, "{\"nickname\":\"Grace\"}\n");
    assert_eq!(r.content_type(), "application/json");
}

async fn use_checks_in_order(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    app.get(&format!("/use/nope?token={GRACE}"))
        .await
        .assert_cs_error("invalid scenario_id");
    // Hidden by show_rule (Grace is no speaker): not bound at all.
    app.get(&format!("/use/speaker_dinner?token={GRACE}"))
        .await
        .assert_cs_error("invalid scenario_id");
    // Locked by lock_message.
    app.get(&format!("/use/welcome_kit?token={GRACE}"))
        .await
        .assert_cs_error("disabled scenario");
    // not_lock_rule: Grace is no sponsor.
    app.get(&format!("/use/sponsor_gift?token={GRACE}"))
        .await
        .assert_cs_error("disabled scenario");
    // Window edges: before available_time, and at expire_time (exclusive).
    app.clock.set(OPEN - 1);
    app.get(&format!("/use/checkin?token={GRACE}"))
        .await
        .assert_cs_error("link expired/not available now");
    app.clock.set(CLOSE);
    app.get(&format!("/use/checkin?token={GRACE}"))
        .await
        .assert_cs_error("link expired/not available now");
    // At available_time (inclusive).
    app.clock.set(OPEN);
    let doc = app
        .get(&format!("/use/checkin?token={GRACE}"))
        .await
        .ok()
        .clone();
    assert_eq!(scenario(&doc, "checkin")["used"], json!(OPEN));
    assert!(doc.get("first_use").is_none(), "/use never sets first_use");
    app.get(&format!("/use/checkin?token={GRACE}"))
        .await
        .assert_cs_error("has been used");
    // Used and outside the window: the window is reported first.
    app.clock.set(CLOSE + 10);
    app.get(&format!("/use/checkin?token={GRACE}"))
        .await
        .assert_cs_error("link expired/not available now");
    // Ada is a sponsor: sponsor_gift works.
    app.clock.set(MORNING);
    let doc = app
        .get(&format!("/use/sponsor_gift?token={ADA}"))
        .await
        .ok()
        .clone();
    assert_eq!(scenario(&doc, "sponsor_gift")["used"], json!(MORNING));
}

async fn related_scenarios_self_checkin(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    // Before the lunch cut-off: kit and lunch unlocked, kit not used.
    let id = app.status(ADA).await["_id"]["$oid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get(&format!("/use/checkin?token={ADA}")).await;
    let mut expected = ada_doc(&id, Some(MORNING));
    expected["scenarios"][0]["used"] = json!(MORNING);
    expected["scenarios"][1]
        .as_object_mut()
        .unwrap()
        .remove("disabled");
    expected["scenarios"][2]
        .as_object_mut()
        .unwrap()
        .remove("disabled");
    assert_eq!(r.ok(), &expected);
    assert_eq!(r.content_type(), "application/json; charset=utf-8");
    // The response is what is stored.
    let again = app.get(&format!("/status?token={ADA}&StaffQuery=1")).await;
    assert_eq!(again.json, expected);
    // The kit can be picked up now.
    let doc = app
        .get(&format!("/use/welcome_kit?token={ADA}"))
        .await
        .ok()
        .clone();
    assert_eq!(scenario(&doc, "welcome_kit")["used"], json!(MORNING));

    // After the cut-off: lunch unlocked then disabled with the late message.
    app.clock.set(LUNCH_CUTOFF + 1);
    let doc = app
        .get(&format!("/use/checkin?token={GRACE}"))
        .await
        .ok()
        .clone();
    assert!(scenario(&doc, "welcome_kit").get("disabled").is_none());
    assert_eq!(
        scenario(&doc, "lunch")["disabled"],
        json!("Too late to check in for lunch")
    );
    // Exactly at the cut-off it is not "after" yet (CS: now > disable_time).
    app.clock.set(LUNCH_CUTOFF);
    let doc = app
        .get("/use/checkin?token=81e74ef5e8e25d940ed904759531985d")
        .await
        .ok()
        .clone();
    assert!(scenario(&doc, "lunch").get("disabled").is_none());
}

async fn related_scenarios_staff_query(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let doc = app
        .get(&format!("/use/checkin?token={GRACE}&StaffQuery=true"))
        .await
        .ok()
        .clone();
    // Kit handed over at the desk: unlocked and used.
    assert_eq!(scenario(&doc, "welcome_kit")["used"], json!(MORNING));
    assert!(scenario(&doc, "welcome_kit").get("disabled").is_none());
    // Lunch unlocked, then disabled with the staff message.
    assert_eq!(
        scenario(&doc, "lunch")["disabled"],
        json!("Show your badge at the counter")
    );
    assert!(scenario(&doc, "lunch").get("used").is_none());
    // StaffQuery does not bypass the checks.
    app.get(&format!("/use/checkin?token={GRACE}&StaffQuery=true"))
        .await
        .assert_cs_error("has been used");
    // Staff role: its own scenarios and related unlock.
    let doc = app
        .get(&format!("/use/staff_checkin?token={FERRIS}"))
        .await
        .ok()
        .clone();
    assert!(scenario(&doc, "staff_shirt").get("disabled").is_none());
    assert_eq!(scenario(&doc, "staff_shirt")["attr"], json!({"size": "M"}));
}

async fn roles_scenarios_and_dashboards(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let r = app.get("/roles").await;
    assert_eq!(r.text, "[\"audience\",\"staff\"]\n");
    let r = app.get("/scenarios?role=audience").await;
    assert_eq!(
        r.ok(),
        &json!([
            "checkin",
            "welcome_kit",
            "lunch",
            "sponsor_gift",
            "speaker_dinner"
        ])
    );
    app.get("/scenarios").await.assert_cs_error("role required");
    app.get("/scenarios?role=nope")
        .await
        .assert_cs_error("role required");

    app.status(ADA).await;
    app.get(&format!("/use/checkin?token={ADA}")).await.ok();
    let r = app.staff_get("/dashboard").await;
    assert_eq!(
        r.ok(),
        &json!([
            {"role": "audience", "total": 20, "logged": 1, "scenarios": [
                {"scenario": "checkin", "enabled": 20, "used": 1},
                {"scenario": "welcome_kit", "enabled": 1, "used": 0},
                {"scenario": "lunch", "enabled": 1, "used": 0},
                {"scenario": "sponsor_gift", "enabled": 5, "used": 0},
                {"scenario": "speaker_dinner", "enabled": 4, "used": 0}]},
            {"role": "staff", "total": 3, "logged": 0, "scenarios": [
                {"scenario": "staff_checkin", "enabled": 3, "used": 0},
                {"scenario": "staff_shirt", "enabled": 0, "used": 0}]}
        ])
    );
    let r = app.staff_get("/dashboard/staff").await;
    let list = r.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    let id = list[0]["_id"]["$oid"].as_str().unwrap();
    assert_eq!(
        list[0],
        json!({"_id": {"$oid": id}, "event_id": "DEMOCONF2030", "user_id": "Ferris",
               "attr": {"title": "crew"},
               "scenario": {"staff_checkin": {"attr": {}}, "staff_shirt": {"attr": {"size": "M"}}}})
    );
    let r = app.staff_get("/dashboard/audience").await;
    let ada = &r.ok()[0];
    assert_eq!(
        ada["scenario"]["checkin"],
        json!({"used": MORNING, "attr": {}})
    );
    assert!(ada.get("token").is_none());
    assert!(ada["scenario"]["welcome_kit"].get("used").is_none());
    let grace = &r.json[1];
    assert!(grace["scenario"].get("speaker_dinner").is_none());
    app.staff_get("/dashboard/nope")
        .await
        .assert_cs_error("role required");
}

async fn staff_only_routes(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    app.status(ADA).await;
    let forbidden = json!({"message": "staff only"});
    let user = app.account("member", Role::User).await;
    let staff = app.account("crew", Role::Staff).await;
    let admin = app.account("boss", Role::Admin).await;
    let cookie = |t: &str| format!("bincio_session={t}");
    let bearer = |t: &str| format!("Bearer {t}");
    let denied: Vec<Vec<(String, String)>> = vec![
        vec![],
        vec![("ccip".into(), "wrong".into())],
        vec![("cookie".into(), cookie(&user))],
        vec![("authorization".into(), bearer(&user))],
        vec![("authorization".into(), bearer("forged"))],
    ];
    let allowed: Vec<Vec<(String, String)>> = vec![
        vec![("ccip".into(), STAFF_KEY.into())],
        vec![("cookie".into(), cookie(&staff))],
        vec![("authorization".into(), bearer(&staff))],
        vec![("authorization".into(), bearer(&admin))],
    ];
    let routes: Vec<(Method, String)> = vec![
        (Method::GET, "/dashboard".into()),
        (Method::GET, "/dashboard/audience".into()),
        (Method::GET, format!("/event/puzzle/coupon?token={ADA}")),
        (Method::POST, format!("/event/puzzle/coupon?token={ADA}")),
        (Method::GET, format!("/event/puzzle/revoke?token={ADA}")),
        (Method::PUT, format!("/event/puzzle/revoke?token={ADA}")),
        (Method::POST, "/announcement".into()),
        (Method::POST, "/api/event/attendees?role=staff".into()),
    ];
    for (m, uri) in &routes {
        for h in &denied {
            let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = app.send(m.clone(), uri, None, &hs).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {uri} {h:?}");
            assert_eq!(r.json, forbidden);
        }
        for h in &allowed {
            let hs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body = if uri.starts_with("/api/") {
                Some(("text/csv", fixture_csv("staff.csv")))
            } else if uri == "/announcement" {
                // An announcement needs a text (`announcement_bounds`).
                Some(("application/x-www-form-urlencoded", b"msg_en=hi".to_vec()))
            } else {
                None
            };
            let r = app.send(m.clone(), uri, body, &hs).await;
            assert_eq!(r.status, StatusCode::OK, "{m} {uri} {h:?}: {}", r.text);
        }
    }
}

async fn announcements_per_role(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let key = [("ccip", STAFF_KEY)];
    assert_eq!(app.get("/announcement").await.text, "[]");
    // urlencoded, as CCIP-Admin sends it.
    let r = app
        .post_form(
            "/announcement",
            "role%5B%5D=audience&role%5B%5D=staff&msg_zh=%E5%A4%A7%E5%AE%B6%E5%A5%BD&msg_en=Hello&uri=https%3A%2F%2Fex.org",
            &key,
        )
        .await;
    assert_eq!(r.text, "{\"status\":\"OK\"}\n");
    app.clock.advance(60);
    // JSON with `role` as a list; no uri.
    app.post_json(
        "/announcement",
        json!({"msg_en": "Staff only", "msg_zh": "工作人員", "role": ["staff"]}),
        &key,
    )
    .await
    .ok();
    app.clock.advance(60);
    // multipart with role[].
    app.post_multipart(
        "/announcement",
        &[("msg_en", "Lunch"), ("role[]", "audience")],
        &key,
    )
    .await
    .ok();
    // Empty role list: visible to nobody.
    app.post_form("/announcement", "msg_en=nobody", &key)
        .await
        .ok();

    let r = app.get("/announcement").await;
    assert_eq!(r.content_type(), "application/json; charset=utf-8");
    let list = r.ok().as_array().unwrap().clone();
    let strip = |v: &Value| {
        let mut v = v.clone();
        assert_eq!(v["_id"]["$oid"].as_str().unwrap().len(), 24);
        v.as_object_mut().unwrap().remove("_id");
        v
    };
    let hello = json!({"datetime": MORNING, "msg_zh": "大家好", "msg_en": "Hello", "uri": "https://ex.org",
                       "role": ["audience", "staff"]});
    let lunch = json!({"datetime": MORNING + 120, "msg_en": "Lunch", "role": ["audience"]});
    let staff_only = json!({"datetime": MORNING + 60, "msg_zh": "工作人員", "msg_en": "Staff only", "role": ["staff"]});
    assert_eq!(
        list.iter().map(strip).collect::<Vec<_>>(),
        vec![lunch.clone(), hello.clone()]
    );
    // Key order as CS stored it.
    assert!(r.text.starts_with("[{\"_id\": {\"$oid\": "), "{}", r.text);
    assert!(
        r.text
            .contains("\"datetime\": 1903827720, \"msg_en\": \"Lunch\", \"role\": [\"audience\"]}"),
        "{}",
        r.text
    );
    // A staff token sees the staff role's list; unknown or empty token: default role.
    let r = app.get(&format!("/announcement?token={FERRIS}")).await;
    let list: Vec<_> = r.ok().as_array().unwrap().iter().map(strip).collect();
    assert_eq!(list, vec![staff_only, hello.clone()]);
    for uri in [
        "/announcement?token=",
        "/announcement?token=nope",
        &format!("/announcement?token={ADA}"),
    ] {
        let list: Vec<_> = app
            .get(uri)
            .await
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .map(strip)
            .collect();
        assert_eq!(list, vec![lunch.clone(), hello.clone()], "{uri}");
    }
}

/// `POST /announcement` bounds (`bincio_core::event::announcement`): CS's
/// error shape, nothing stored on refusal; the limits themselves pass.
async fn announcement_bounds(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let key = [("ccip", STAFF_KEY)];
    let long = |c: &str, n: usize| c.repeat(n);
    let refused: Vec<(String, String)> = vec![
        (String::new(), "msg_zh or msg_en required".into()),
        (
            "msg_en=%20%20&msg_zh=&uri=https%3A%2F%2Fex.org&role[]=audience".into(),
            "msg_zh or msg_en required".into(),
        ),
        (
            format!("msg_en={}", long("a", 10_001)),
            "msg_en too long (max 10000 characters)".into(),
        ),
        (
            format!("msg_en=ok&msg_zh={}", long("%E5%AD%97", 10_001)),
            "msg_zh too long (max 10000 characters)".into(),
        ),
        (
            "msg_en=x&uri=javascript%3Aalert(1)".into(),
            "uri must be an http(s) URL of at most 2048 characters".into(),
        ),
        (
            "msg_en=x&uri=https%3A%2F%2F".into(),
            "uri must be an http(s) URL of at most 2048 characters".into(),
        ),
        (
            format!("msg_en=x&uri=https%3A%2F%2Fex.org%2F{}", long("a", 2_048)),
            "uri must be an http(s) URL of at most 2048 characters".into(),
        ),
        (
            "msg_en=x&role[]=audience&role[]=nope".into(),
            "unknown role: nope".into(),
        ),
        (
            "msg_en=x&role[]=staff&role[]=staff".into(),
            "role listed twice: staff".into(),
        ),
    ];
    for (form, message) in &refused {
        let r = app.post_form("/announcement", form, &key).await;
        r.assert_cs_error(message);
    }
    // 100 000 roles as JSON: refused at the first unknown one.
    let roles: Vec<String> = (0..100_000).map(|i| format!("r{i}")).collect();
    app.post_json("/announcement", json!({"msg_en": "x", "role": roles}), &key)
        .await
        .assert_cs_error("unknown role: r0");
    for uri in [
        "/announcement".to_owned(),
        format!("/announcement?token={FERRIS}"),
    ] {
        assert_eq!(app.get(&uri).await.text, "[]", "nothing stored");
    }
    // Exactly at the limits (characters, not bytes), empty uri, every role.
    let r = app
        .post_form(
            "/announcement",
            &format!(
                "msg_zh={}&msg_en={}&uri=&role[]=audience&role[]=staff",
                long("%E5%AD%97", 10_000),
                long("a", 10_000)
            ),
            &key,
        )
        .await;
    assert_eq!(r.text, "{\"status\":\"OK\"}\n");
    let r = app
        .post_form(
            "/announcement",
            &format!(
                "msg_en=link&uri=https%3A%2F%2Fex.org%2F{}",
                long("a", 2_048 - "https://ex.org/".len())
            ),
            &key,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = app.get(&format!("/announcement?token={FERRIS}")).await;
    assert_eq!(list.ok().as_array().map(Vec::len), Some(1));
}

async fn cors_fallbacks_and_head(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let r = app
        .send(
            Method::GET,
            "/roles",
            None,
            &[("origin", "https://app.example")],
        )
        .await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let r = app
        .send(
            Method::OPTIONS,
            "/announcement",
            None,
            &[
                ("origin", "https://admin.example"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "ccip,content-type"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let methods = r.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        methods.contains("GET") && methods.contains("POST"),
        "{methods}"
    );
    let allowed = r.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allowed.contains("ccip"), "{allowed}");
    // Wrong method: JSON, never HTML.
    let r = app.send(Method::DELETE, "/status", None, &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.json.is_object(), "{}", r.text);
    let r = app.get("/event/puzzle/deliver").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.json["message"].is_string());
    // Unknown path and strict slashes: the app's JSON 404.
    for uri in ["/nope", "/status/", "/use/a/b"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(r.json.is_object(), "{uri}: {}", r.text);
    }
    // HEAD behaves as GET (same side effect: first_use).
    let r = app
        .send(Method::HEAD, &format!("/status?token={GRACE}"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = app
        .get(&format!("/status?token={GRACE}&StaffQuery=1"))
        .await;
    assert_eq!(doc.json["first_use"], json!(MORNING));
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! ccip_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            status_shape_first_use_and_staff_query,
            token_errors,
            use_checks_in_order,
            related_scenarios_self_checkin,
            related_scenarios_staff_query,
            roles_scenarios_and_dashboards,
            staff_only_routes,
            announcements_per_role,
            announcement_bounds,
            cors_fallbacks_and_head,
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
