//! The derived OpenAPI document against the real routers:
//!
//! * it validates as OpenAPI 3.1 (the OpenAPI Initiative's JSON Schema,
//!   vendored in `tests/data/`);
//! * the routers — the app's and the CCIP one, walked through their own
//!   route tables — serve exactly the documented operations;
//! * every response of every operation has a schema, errors in their
//!   router's shape;
//! * CCIP's "absent, never null" is what the schemas say.
//!
//! Real bodies against these schemas: `wire_schemas.rs`.

mod openapi_support;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::Router;
use openapi_support::{document, documented, fixture};
use serde_json::{json, Value};
use tower::ServiceExt;

#[test]
fn document_validates_as_openapi_3_1() {
    let meta: Value = serde_json::from_str(include_str!("data/openapi-3.1-schema.json"))
        .expect("vendored schema");
    let validator = jsonschema::validator_for(&meta).expect("meta-schema compiles");
    let doc = document();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not OpenAPI 3.1: {errors:#?}");
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn every_response_has_a_schema() {
    let doc = document();
    let mut missing = Vec::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let responses = op["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{method} {path}: no responses");
        for (status, r) in responses {
            let content = r["content"].as_object();
            let ok = content
                .is_some_and(|c| !c.is_empty() && c.values().all(|m| m["schema"].is_object()));
            if !ok {
                missing.push(format!("{method} {path} {status}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "responses without a schema: {missing:#?}"
    );
}

/// The paths of a router, read from its own route table (`Router`'s
/// `Debug` lists the path router's paths first).
fn routed_paths(router: &Router) -> BTreeSet<String> {
    let text = format!("{router:?}");
    let start = text
        .find("paths: {")
        .expect("axum's Router Debug lists its paths");
    // `{RouteId(1): "/healthz", RouteId(2): "/api/activity/{id}", …}`
    let mut rest = &text[start + "paths: {".len()..];
    let mut paths = BTreeSet::new();
    while let Some((head, tail)) = rest.split_once(": \"") {
        if head.contains('}') {
            break; // the end of the map comes before the next entry
        }
        let end = tail.find('"').expect("end of a path");
        paths.insert(tail[..end].to_owned());
        rest = &tail[end + 1..];
    }
    assert!(
        paths.contains("/healthz"),
        "route table not read: {paths:?}"
    );
    paths
}

/// The methods a router serves on `path`: a method routed nowhere answers
/// the path's 405 fallback, whose `Allow` lists them (HEAD comes with GET
/// and stays implicit in OpenAPI).
async fn routed_methods(router: &Router, path: &str) -> BTreeSet<String> {
    let uri: Vec<&str> = path
        .split('/')
        .map(|seg| if seg.starts_with('{') { "probe" } else { seg })
        .collect();
    let req = Request::builder()
        .method(Method::from_bytes(b"PROBE").expect("method"))
        .uri(uri.join("/"))
        .body(Body::empty())
        .expect("request");
    let resp = router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    resp.headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{path}: 405 without Allow"))
        .split(',')
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty() && m != "head")
        .collect()
}

#[tokio::test]
async fn routers_serve_exactly_the_documented_operations() {
    let f = fixture().await;
    let mut routed = BTreeSet::new();
    for path in routed_paths(&f.router) {
        for method in routed_methods(&f.router, &path).await {
            routed.insert((method, path.clone()));
        }
    }
    let documented = documented(&document());
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "served but not documented: {undocumented:?}; documented but not served: {unrouted:?}"
    );
}

/// The bytes of the documents the CCIP routes send are CS's; this checks
/// nothing about bytes, only that the error bodies documented for them are
/// `{"message"}` and the app's `{"detail"}`.
#[test]
fn error_shapes_by_router() {
    let doc = document();
    let mut seen = BTreeMap::new();
    for (method, path) in documented(&doc) {
        let op = &doc["paths"][&path][&method];
        let ccip = op["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("ccip")));
        for (status, r) in op["responses"].as_object().expect("responses") {
            if !(status.starts_with('4') || status.starts_with('5') || status == "default") {
                continue;
            }
            for media in r["content"].as_object().expect("content").values() {
                let want = if ccip {
                    "#/components/schemas/Message"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                let got = media["schema"]["$ref"].as_str().unwrap_or("inline");
                // `/healthz` and `/readyz` answer 503 with their own body.
                if path != "/healthz" && path != "/readyz" {
                    assert_eq!(got, want, "{method} {path} {status}");
                }
                *seen.entry(ccip).or_insert(0) += 1;
            }
        }
    }
    assert!(seen[&true] > 0 && seen[&false] > 0, "{seen:?}");
}

/// The document says what the CCIP writers do: unset fields are optional
/// and never `null`; a bucket's `valid` / `coupon` are always there and
/// may be `null`.
#[test]
fn ccip_absent_is_not_null() {
    let doc = document();
    let s = &doc["components"]["schemas"];
    for (schema, field) in [
        ("Attendee", "first_use"),
        ("Scenario", "used"),
        ("Scenario", "disabled"),
        ("Announcement", "msg_zh"),
        ("ScenarioUse", "used"),
    ] {
        let required = s[schema]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            !required.contains(&json!(field)),
            "{schema}.{field} required"
        );
        let text = s[schema]["properties"][field].to_string();
        assert!(!text.contains("null"), "{schema}.{field} nullable: {text}");
    }
    for field in ["valid", "coupon"] {
        let required = s["PuzzleBucket"]["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            required.contains(&json!(field)),
            "PuzzleBucket.{field} not required"
        );
        let text = s["PuzzleBucket"]["properties"][field].to_string();
        assert!(
            text.contains("null"),
            "PuzzleBucket.{field} not nullable: {text}"
        );
    }
}
