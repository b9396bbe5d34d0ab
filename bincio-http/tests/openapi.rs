//! The derived OpenAPI document against the real routers:
//!
//! * it validates as OpenAPI 3.1 (the OpenAPI Initiative's JSON Schema,
//!   vendored in `tests/data/`);
//! * the routers — the app's and the CCIP one, walked through their own
//!   route tables — serve exactly the documented operations;
//! * every response of every operation has a schema;
//! * real responses of every documented operation (successes and errors,
//!   JSON bodies and each server-sent event) validate against the schema
//!   the document gives for their status and content type.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::model::Role;
use bincio_core::{Clock, SystemClock};
use bincio_http::ccip::{self, CcipState};
use bincio_http::{AppState, HttpConfig};
use bincio_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn document() -> Value {
    serde_json::to_value(bincio_http::openapi::document()).expect("document as JSON")
}

/// Operations of the document: `(method, path)`.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
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
struct Fixture {
    router: Router,
    accounts: Accounts,
    _dir: tempfile::TempDir,
}

const STAFF_KEY: &str = "staff-key";
const ADA: &str = "ada-private-token";

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

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("store"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock.clone());
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
    let router = bincio_http::router(AppState::new(
        accounts.clone(),
        activities,
        HttpConfig::default(),
    ))
    .merge(ccip::router(ccip_state));
    Fixture {
        router,
        accounts,
        _dir: dir,
    }
}

async fn record_matched_path(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(m) = matched {
        resp.extensions_mut().insert(m);
    }
    resp
}

// --------------------------------------------------------------- the tests

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

// ------------------------------------------- real bodies against the schemas

/// Sends requests through the router and validates every answer against
/// the document; remembers which operations it exercised.
struct Checker {
    router: Router,
    doc: Value,
    exercised: BTreeSet<(String, String)>,
    failures: Vec<String>,
    /// JSON bodies (or events) validated.
    validated: usize,
}

struct Answer {
    json: Value,
}

impl Checker {
    fn new(f: &Fixture) -> Self {
        Self {
            router: f
                .router
                .clone()
                .layer(middleware::from_fn(record_matched_path)),
            doc: document(),
            exercised: BTreeSet::new(),
            failures: Vec::new(),
            validated: 0,
        }
    }

    async fn send(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::builder().method(method.clone()).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some((ct, bytes)) => b.header(header::CONTENT_TYPE, ct).body(Body::from(bytes)),
            None => b.body(Body::empty()),
        }
        .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let template = resp
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_else(|| panic!("{method} {uri}: no route matched"));
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let method = method.as_str().to_ascii_lowercase();
        self.exercised.insert((method.clone(), template.clone()));
        let what = format!("{method} {uri} ({template}) -> {status} {ctype}");
        let bodies: Vec<Value> = if ctype.starts_with("text/event-stream") {
            text.split("\n\n")
                .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data:")))
                .map(|d| serde_json::from_str(d.trim()).expect("event JSON"))
                .collect()
        } else if ctype.starts_with("application/json") {
            vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"))]
        } else {
            Vec::new()
        };
        match self.schema(&method, &template, status, &ctype) {
            Err(e) => self.failures.push(format!("{what}: {e}")),
            Ok(schema) => {
                for body in &bodies {
                    self.validate(&what, &schema, body);
                }
            }
        }
        Answer {
            json: bodies.into_iter().next().unwrap_or(Value::Null),
        }
    }

    /// The documented schema of a response (status, else `default`; the
    /// content type as sent, else the only one documented).
    fn schema(
        &self,
        method: &str,
        template: &str,
        status: StatusCode,
        ctype: &str,
    ) -> Result<Value, String> {
        let op = &self.doc["paths"][template][method];
        if !op.is_object() {
            return Err("operation not documented".into());
        }
        let responses = &op["responses"];
        let r = match &responses[status.as_str()] {
            Value::Null => &responses["default"],
            r => r,
        };
        let content = r["content"]
            .as_object()
            .ok_or_else(|| format!("status {status} not documented"))?;
        let media = content
            .get(ctype)
            .or_else(|| {
                let base = ctype.split(';').next().unwrap_or("");
                content
                    .iter()
                    .find(|(k, _)| {
                        let k = k.split(';').next().unwrap_or("");
                        k == base
                            || k.strip_suffix("/*")
                                .is_some_and(|range| base.starts_with(&format!("{range}/")))
                    })
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("content type {ctype:?} not documented: {content:?}"))?;
        Ok(media["schema"].clone())
    }

    fn validate(&mut self, what: &str, schema: &Value, body: &Value) {
        self.validated += 1;
        let mut root = schema.clone();
        if let Value::Object(m) = &mut root {
            m.insert("components".into(), self.doc["components"].clone());
        }
        let validator = match jsonschema::validator_for(&root) {
            Ok(v) => v,
            Err(e) => {
                self.failures
                    .push(format!("{what}: schema does not compile: {e}"));
                return;
            }
        };
        for e in validator.iter_errors(body) {
            self.failures
                .push(format!("{what}: {e} at {} in {body}", e.instance_path()));
        }
    }

    /// A Bearer token of `handle` (through `/api/auth/token`).
    async fn token(&mut self, handle: &str, password: &str) -> String {
        let creds = json!({"handle": handle, "password": password});
        let r = self
            .json(Method::POST, "/api/auth/token", creds, None)
            .await;
        r.json["token"].as_str().expect("token").to_owned()
    }

    async fn get(&mut self, uri: &str, cookie: Option<&str>) -> Answer {
        let h = cookie_header(cookie);
        let h: Vec<(&str, &str)> = h.iter().map(|c| ("cookie", c.as_str())).collect();
        self.send(Method::GET, uri, None, &h).await
    }

    async fn json(
        &mut self,
        method: Method,
        uri: &str,
        body: Value,
        cookie: Option<&str>,
    ) -> Answer {
        let h = cookie_header(cookie);
        let h: Vec<(&str, &str)> = h.iter().map(|c| ("cookie", c.as_str())).collect();
        let body = Some(("application/json", body.to_string().into_bytes()));
        self.send(method, uri, body, &h).await
    }

    async fn multipart(
        &mut self,
        uri: &str,
        parts: &[(&str, &str, &[u8])],
        cookie: &str,
    ) -> Answer {
        let boundary = "openapi-test-boundary";
        let mut body = Vec::new();
        for (field, file, bytes) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                     filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        let c = format!("bincio_session={cookie}");
        self.send(Method::POST, uri, Some((&ct, body)), &[("cookie", &c)])
            .await
    }

    async fn form(&mut self, uri: &str, form: &str, headers: &[(&str, &str)]) -> Answer {
        let body = Some((
            "application/x-www-form-urlencoded",
            form.as_bytes().to_vec(),
        ));
        self.send(Method::POST, uri, body, headers).await
    }
}

fn cookie_header(token: Option<&str>) -> Option<String> {
    token.map(|t| format!("bincio_session={t}"))
}

/// A small GPX track (5 minutes, 6 points).
fn gpx(start_min: u32, lon0: f64) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Loop</name><trkseg>"#,
    );
    for i in 0..6u32 {
        let lon = lon0 + f64::from(i) * 0.001;
        let ele = 100.0 + f64::from(i % 3) * 5.0;
        s.push_str(&format!(
            r#"<trkpt lat="45.0" lon="{lon}"><ele>{ele}</ele><time>2024-05-01T08:{:02}:00Z</time></trkpt>"#,
            start_min + i
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    s.into_bytes()
}

fn strava_zip() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("activities.csv", opts).expect("zip");
    w.write_all(b"Activity ID,Activity Name,Filename\n1,Ride,activities/1.gpx\n")
        .expect("zip");
    w.start_file("activities/1.gpx", opts).expect("zip");
    w.write_all(&gpx(30, 8.0)).expect("zip");
    w.start_file("activities/2.gpx", opts).expect("zip");
    w.write_all(b"<gpx>").expect("zip");
    w.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn app_bodies_match_their_schemas() {
    let f = fixture().await;
    f.accounts
        .create_user("admin", "Admin", "admin-password", Role::Admin)
        .await
        .expect("admin");
    let mut c = Checker::new(&f);
    let creds = |h: &str, p: &str| json!({"handle": h, "password": p});

    c.get("/healthz", None).await;
    c.get("/api/me", None).await;
    c.get("/api/stats", None).await;
    c.get("/data/index.json", None).await;
    c.json(
        Method::POST,
        "/api/auth/login",
        creds("admin", "wrong-password"),
        None,
    )
    .await;
    c.send(
        Method::POST,
        "/api/auth/login",
        Some(("application/json", b"{".to_vec())),
        &[],
    )
    .await;
    let admin = c.token("admin", "admin-password").await;
    let a = Some(admin.as_str());
    let code = c
        .json(Method::POST, "/api/invites", json!({}), a)
        .await
        .json["code"]
        .as_str()
        .expect("code")
        .to_owned();
    c.get("/api/invites", a).await;
    c.json(
        Method::POST,
        "/api/register",
        json!({"code": code, "handle": "alice", "password": "alice-password"}),
        None,
    )
    .await;
    let alice = c.token("alice", "alice-password").await;
    let u = Some(alice.as_str());
    c.json(
        Method::POST,
        "/api/auth/login",
        creds("alice", "alice-password"),
        None,
    )
    .await;
    c.get("/api/me", u).await;
    c.get("/api/stats", u).await;
    c.json(
        Method::PUT,
        "/api/me/display-name",
        json!({"display_name": "Alice"}),
        u,
    )
    .await;
    c.json(
        Method::PUT,
        "/api/me/prefs",
        json!({"nav_hide_feed": true}),
        u,
    )
    .await;
    c.json(Method::PUT, "/api/me/prefs", json!([1]), u).await;
    c.get("/api/me/prefs", u).await;
    c.json(
        Method::PUT,
        "/api/me/password",
        json!({"current_password": "nope-nope", "new_password": "whatever-long"}),
        u,
    )
    .await;
    c.json(
        Method::PUT,
        "/api/me/password",
        json!({"current_password": "alice-password", "new_password": "alice-password2"}),
        u,
    )
    .await;
    c.get("/api/admin/users", u).await;
    c.get("/api/admin/users", a).await;
    let reset = c
        .json(
            Method::POST,
            "/api/admin/users/alice/reset-password-code",
            json!({}),
            a,
        )
        .await
        .json["code"]
        .as_str()
        .expect("reset code")
        .to_owned();
    c.json(
        Method::POST,
        "/api/auth/reset-password",
        json!({"handle": "alice", "code": reset, "password": "alice-password3"}),
        None,
    )
    .await;
    c.get("/api/admin/jobs", a).await;
    // The reset revoked every session of alice.
    let alice = c.token("alice", "alice-password3").await;
    let u = Some(alice.as_str());

    // Uploads.
    let done = c
        .multipart(
            "/api/upload?stream=false",
            &[
                ("files", "a.gpx", &gpx(0, 7.0)),
                ("files", "bad.gpx", b"<gpx>"),
            ],
            &alice,
        )
        .await;
    let id = done.json["results"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("uploaded id: {}", done.json))
        .to_owned();
    c.multipart("/api/upload", &[("files", "a.gpx", &gpx(0, 7.0))], &alice)
        .await;
    c.multipart(
        "/api/upload/strava-zip",
        &[("file", "x.zip", &strava_zip())],
        &alice,
    )
    .await;
    c.multipart("/api/upload/strava-zip", &[("file", "x.txt", b"x")], &alice)
        .await;
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(gpx(10, 9.0));
        c.json(
            Method::POST,
            "/api/upload/raw",
            json!({"filename": "b.gpx", "base64": b64}),
            u,
        )
        .await;
    }
    c.json(
        Method::POST,
        "/api/upload/raw",
        json!({"filename": "b.gpx", "base64": "!!"}),
        u,
    )
    .await;
    let bas = json!({"activity": {"bas_version": "1.0", "id": "2025-05-04T081500Z-lake",
        "title": "Lake", "sport": "cycling", "started_at": "2025-05-04T08:15:00+02:00",
        "distance_m": 2280.4, "duration_s": 600, "privacy": "public"}});
    c.json(Method::POST, "/api/upload/bas", bas, u).await;
    c.json(Method::POST, "/api/upload/bas", json!({"activity": {}}), u)
        .await;

    // Activities.
    let act = format!("/api/activity/{id}");
    c.get(&act, u).await;
    c.get("/api/activity/-bad", u).await;
    c.json(
        Method::POST,
        &act,
        json!({"title": "T", "private": true}),
        u,
    )
    .await;
    c.json(Method::POST, &act, json!({"nope": 1}), u).await;
    for sub in ["geojson", "timeseries", "gpx", "images"] {
        c.get(&format!("{act}/{sub}"), u).await;
    }
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake".to_vec();
    let name = c
        .multipart(&format!("{act}/images"), &[("file", "p.png", &png)], &alice)
        .await
        .json["filename"]
        .as_str()
        .expect("image name")
        .to_owned();
    c.get(&format!("{act}/images/{name}"), u).await;
    c.get(&format!("/data/alice/activities/images/{id}/{name}"), u)
        .await;
    c.json(
        Method::DELETE,
        &format!("{act}/images/{name}"),
        json!(null),
        u,
    )
    .await;
    c.json(
        Method::DELETE,
        &format!("{act}/images/{name}"),
        json!(null),
        u,
    )
    .await;
    for kind in ["hysteresis", "dem"] {
        c.json(
            Method::POST,
            &format!("{act}/recalculate-elevation/{kind}"),
            json!({}),
            u,
        )
        .await;
    }
    c.get("/api/feed?limit=1", u).await;
    c.get("/api/feed?before=x", u).await;
    c.get("/api/athlete", u).await;
    c.json(Method::POST, "/api/athlete", json!({"max_hr": 190}), u)
        .await;
    c.json(Method::POST, "/api/athlete", json!({"max_hr": "x"}), u)
        .await;
    c.get("/api/me/storage", u).await;
    c.get("/api/admin/disk", a).await;

    // The live tree.
    for path in [
        "/data/index.json".to_owned(),
        "/data/feed.json".to_owned(),
        "/data/feed-9.json".to_owned(),
        "/data/alice/index.json".to_owned(),
        "/data/alice/_merged/index.json".to_owned(),
        "/data/alice/_merged/index-2024.json".to_owned(),
        "/data/alice/athlete.json".to_owned(),
        "/data/alice/_merged/athlete.json".to_owned(),
        format!("/data/alice/activities/{id}.json"),
        format!("/data/alice/activities/{id}.geojson"),
        format!("/data/alice/activities/{id}.timeseries.json"),
        "/data/nobody/index.json".to_owned(),
    ] {
        c.get(&path, u).await;
    }

    // Docs.
    for path in [
        "/api/openapi.json",
        "/api/docs",
        "/api/docs/swagger-ui.css",
        "/api/docs/nope.js",
        "/api/redoc",
        "/api/redoc/redoc.standalone.js",
    ] {
        c.get(path, None).await;
    }

    // Deletions.
    c.json(Method::DELETE, &act, json!(null), u).await;
    c.json(Method::DELETE, &act, json!(null), u).await;
    c.json(Method::DELETE, "/api/me/originals", json!(null), u)
        .await;
    c.json(
        Method::DELETE,
        "/api/me/activities",
        json!({"password": "wrong-password"}),
        u,
    )
    .await;
    c.json(
        Method::DELETE,
        "/api/me/activities",
        json!({"password": "alice-password3"}),
        u,
    )
    .await;
    c.json(
        Method::DELETE,
        "/api/admin/users/alice/activities",
        json!(null),
        a,
    )
    .await;
    c.json(
        Method::DELETE,
        "/api/admin/users/nobody/activities",
        json!(null),
        a,
    )
    .await;
    c.json(
        Method::DELETE,
        "/api/me",
        json!({"password": "alice-password3"}),
        u,
    )
    .await;
    c.json(Method::POST, "/api/auth/logout", json!({}), a).await;

    assert!(c.failures.is_empty(), "{:#?}", c.failures);
    assert!(c.validated > 80, "only {} bodies validated", c.validated);
    let not_ccip: BTreeSet<_> = documented(&c.doc)
        .into_iter()
        .filter(|(_, p)| {
            p.starts_with("/api/") && p != "/api/event/attendees"
                || p.starts_with("/data")
                || p == "/healthz"
        })
        .collect();
    let missed: Vec<_> = not_ccip.difference(&c.exercised).collect();
    assert!(missed.is_empty(), "operations not exercised: {missed:?}");
}

#[tokio::test]
async fn ccip_bodies_match_their_schemas() {
    let f = fixture().await;
    let mut c = Checker::new(&f);
    let staff = [("ccip", STAFF_KEY)];
    let csv = format!("token,display_name,title,diet\n{ADA},Ada,speaker,veg\n");
    c.send(
        Method::POST,
        "/api/event/attendees?role=audience",
        Some(("text/csv", csv.clone().into_bytes())),
        &staff,
    )
    .await;
    c.send(
        Method::POST,
        "/api/event/attendees",
        Some(("text/csv", csv.into_bytes())),
        &staff,
    )
    .await;
    let t = format!("token={ADA}");
    c.get(&format!("/landing?{t}"), None).await;
    c.get("/landing", None).await;
    c.get(&format!("/status?{t}&StaffQuery=true"), None).await;
    c.get(&format!("/status?{t}"), None).await;
    c.get("/status?token=nope", None).await;
    c.get(&format!("/use/checkin?{t}"), None).await;
    c.get(&format!("/use/checkin?{t}"), None).await;
    c.get(&format!("/use/nope?{t}"), None).await;
    let public = bincio_core::event::model::public_token(ADA);
    c.get(&format!("/event/puzzle?token={public}"), None).await;
    c.get("/event/puzzle?token=nope", None).await;
    c.get("/event/puzzle/deliverer?token=booth-1", None).await;
    c.get("/event/puzzle/deliverer?token=nope", None).await;
    c.get("/event/puzzle/deliverers", None).await;
    c.form(
        "/event/puzzle/deliver?token=booth-1",
        &format!("receiver={ADA}"),
        &[],
    )
    .await;
    c.form(
        "/event/puzzle/deliver?token=booth-1",
        &format!("receiver={ADA}"),
        &[],
    )
    .await;
    c.get("/event/puzzle/dashboard", None).await;
    for m in [Method::GET, Method::POST, Method::PUT] {
        c.send(
            m.clone(),
            &format!("/event/puzzle/coupon?{t}"),
            None,
            &staff,
        )
        .await;
        c.send(m, &format!("/event/puzzle/revoke?{t}"), None, &staff)
            .await;
    }
    c.get(&format!("/event/puzzle/revoke?{t}"), None).await;
    c.form(
        "/announcement",
        "role[]=audience&msg_zh=hi&msg_en=hello&uri=https://example.org",
        &staff,
    )
    .await;
    c.form("/announcement", "role[]=audience", &staff).await;
    c.form("/announcement", "role[]=audience", &[]).await;
    c.get(&format!("/announcement?{t}"), None).await;
    c.get("/announcement", None).await;
    c.send(Method::GET, "/dashboard", None, &staff).await;
    c.send(Method::GET, "/dashboard/audience", None, &staff)
        .await;
    c.send(Method::GET, "/dashboard/nope", None, &staff).await;
    c.get("/dashboard", None).await;
    c.get("/roles", None).await;
    c.get("/scenarios?role=audience", None).await;
    c.get("/scenarios", None).await;

    assert!(c.failures.is_empty(), "{:#?}", c.failures);
    assert!(c.validated > 30, "only {} bodies validated", c.validated);
    let ccip: BTreeSet<_> = documented(&c.doc)
        .into_iter()
        .filter(|(m, p)| {
            c.doc["paths"][p][m]["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("ccip")))
        })
        .collect();
    let missed: Vec<_> = ccip.difference(&c.exercised).collect();
    assert!(
        missed.is_empty(),
        "CCIP operations not exercised: {missed:?}"
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
                // `/healthz` answers 503 with its own body.
                if path != "/healthz" {
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
