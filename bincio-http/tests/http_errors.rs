//! Every client error answers in the API's format: axum's own rejections
//! (bad path parameter, query, body, content type, multipart framing, size)
//! are `{"detail": …}` on the app's routes and CCIP's `{"message": …}` on
//! the CCIP routes — never `text/plain`. One body per case, run on every
//! backend.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_store_conformance::Backend;
use ccip_common::{CcipApp, ADA, STAFF_KEY};
use serde_json::Value;
use support::http::{Resp, TestApp};

/// A 4xx whose body is `{"detail": "<non-empty text>"}` (or FastAPI's
/// validation list for JSON bodies), served as JSON.
#[track_caller]
fn assert_detail(r: &Resp, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    let ct = r.headers["content-type"].to_str().unwrap_or("");
    assert!(ct.starts_with("application/json"), "{what}: {ct}");
    let detail = &r.json["detail"];
    let ok = detail.as_str().is_some_and(|s| !s.is_empty())
        || detail.as_array().is_some_and(|a| !a.is_empty());
    assert!(ok, "{what}: {}", r.text);
    assert_eq!(
        r.json.as_object().map(|o| o.len()),
        Some(1),
        "{what}: {}",
        r.text
    );
}

async fn api_rejections_answer_detail(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let cookie = format!("bincio_session={admin}");
    let auth = [("cookie", cookie.as_str())];

    // Invalid UTF-8 in a path parameter.
    let r = app.get("/api/activity/%FF%FE", Some(&admin)).await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "path utf-8");
    let r = app
        .send(Method::DELETE, "/api/activity/x/images/%C3%28", None, &auth)
        .await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "path utf-8 (two parameters)");
    // A query value of the wrong type.
    let r = app.get("/api/feed?limit=many", Some(&admin)).await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "query");
    let r = app.get("/api/feed?limit=%FF", Some(&admin)).await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "query utf-8");
    // A JSON body that is not JSON, lacks a field, has the wrong content
    // type, or is over the route's limit (2 MiB by default).
    for (ct, body, status, what) in [
        ("application/json", b"{".to_vec(), 422, "bad json"),
        (
            "application/json",
            br#"{"handle": "a"}"#.to_vec(),
            422,
            "missing field",
        ),
        (
            "text/plain",
            b"{}".to_vec(),
            422,
            "wrong content type (json)",
        ),
        ("application/json", vec![b' '; 3 << 20], 413, "too large"),
    ] {
        let r = app
            .send_bytes(Method::POST, "/api/auth/login", ct, body, None)
            .await;
        let status = StatusCode::from_u16(status).expect("status");
        assert_detail(&r, status, what);
    }
    // Multipart: wrong content type, no boundary, a broken body, no file.
    for (ct, body, what) in [
        ("application/json", b"{}".to_vec(), "wrong content type (multipart)"),
        ("multipart/form-data", b"--x--\r\n".to_vec(), "no boundary"),
        (
            "multipart/form-data; boundary=abc",
            b"--abc\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.gpx\"\r\n\r\nno end".to_vec(),
            "broken multipart body",
        ),
    ] {
        let r = app
            .send_bytes(Method::POST, "/api/upload", ct, body, Some(&admin))
            .await;
        assert_detail(&r, StatusCode::BAD_REQUEST, what);
    }
    let r = app.multipart("/api/upload", &[], Some(&admin)).await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "missing form field");
    // Wrong method and unknown path.
    let r = app.send(Method::PATCH, "/api/me", None, &auth).await;
    assert_detail(&r, StatusCode::METHOD_NOT_ALLOWED, "method");
    let r = app.get("/api/nope", None).await;
    assert_detail(&r, StatusCode::NOT_FOUND, "path");
    // The /data tree speaks the same format.
    let r = app.get("/data/%FF/index.json", Some(&admin)).await;
    assert_detail(&r, StatusCode::BAD_REQUEST, "data path utf-8");
}

/// A CCIP error: `status` with `{"message": m}` in Flask's encoding.
#[track_caller]
fn assert_message(r: &ccip_common::Resp, status: StatusCode, m: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type(), "application/json");
    assert!(r.text.ends_with("}\n"), "{:?}", r.text);
    let obj = r.json.as_object().expect("object");
    assert_eq!(obj.len(), 1, "{}", r.text);
    let got = obj["message"].as_str().expect("message");
    match m {
        Some(m) => assert_eq!(got, m),
        None => assert!(!got.is_empty()),
    }
}

async fn ccip_rejections_answer_message(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let key = [("ccip", STAFF_KEY)];
    // Invalid UTF-8 in the path: decoded as Werkzeug does (lossy), so CS's
    // own messages answer.
    let r = app.get(&format!("/use/%FF%FE?token={ADA}")).await;
    r.assert_cs_error("invalid scenario_id");
    let r = app.get("/use/%FF").await;
    r.assert_cs_error("token required");
    let r = app.staff_get("/dashboard/%C3%28").await;
    r.assert_cs_error("role required");
    // A bad multipart boundary or a foreign content type carries no field.
    for ct in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "text/plain",
    ] {
        let r = app
            .send(
                Method::POST,
                "/announcement",
                Some((ct, b"msg_en=hello".to_vec())),
                &key,
            )
            .await;
        r.assert_cs_error("msg_zh or msg_en required");
        let r = app
            .send(
                Method::POST,
                "/event/puzzle/deliver?token=booth-91c2",
                Some((ct, format!("receiver={ADA}").into_bytes())),
                &[],
            )
            .await;
        r.assert_cs_error("token and receiver required");
    }
    // A CSV import over its body limit.
    let r = app
        .send(
            Method::POST,
            "/api/event/attendees?role=staff",
            Some(("text/csv", vec![b'a'; bincio_http::ccip::IMPORT_LIMIT + 1])),
            &key,
        )
        .await;
    assert_message(&r, StatusCode::PAYLOAD_TOO_LARGE, None);
    // Wrong method.
    let r = app.send(Method::DELETE, "/announcement", None, &key).await;
    assert_message(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        Some("method not allowed"),
    );
    // Nothing was stored by any of it.
    assert_eq!(app.get("/announcement").await.text, "[]");
    let v: Value = app.status(ADA).await;
    assert!(v["scenarios"].is_array());
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! error_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            api_rejections_answer_detail,
            ccip_rejections_answer_message,
        );
    };
}

mod sqlite {
    error_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    error_cases!(crate::mongo_backend!());
}
