//! Real responses of every documented operation — successes and errors,
//! JSON bodies and each server-sent event, on the app's routes and the
//! CCIP ones — validate against the schema the derived OpenAPI document
//! gives for their status and content type, and every operation is
//! exercised.

mod openapi_support;

use std::collections::BTreeSet;

use axum::http::Method;
use bincio_core::model::Role;
use openapi_support::checker::{gpx, strava_zip, Checker};
use openapi_support::{documented, fixture, ADA, STAFF_KEY};
use serde_json::json;

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
    c.get("/readyz", None).await;
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
    c.get("/api/me/drop", Some(alice.as_str())).await;
    c.json(
        Method::POST,
        "/api/me/drop/scan",
        json!({}),
        Some(alice.as_str()),
    )
    .await;
    c.get("/api/me/sync-history?limit=5", Some(alice.as_str()))
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
    // Strava: credentials, connect, sync (JSON and events), reset,
    // disconnect, and their errors.
    c.get("/api/strava/status", u).await;
    c.get("/api/strava/status", None).await;
    c.get("/api/me/strava-credentials", u).await;
    c.json(
        Method::PUT,
        "/api/me/strava-credentials",
        json!({"client_id": "x", "client_secret": "y"}),
        u,
    )
    .await;
    c.json(
        Method::PUT,
        "/api/me/strava-credentials",
        json!({"client_id": "55", "client_secret": "fixture-secret"}),
        u,
    )
    .await;
    c.json(Method::POST, "/api/strava/sync", json!({}), u).await;
    c.json(
        Method::POST,
        "/api/strava/reset",
        json!({"mode": "soft"}),
        u,
    )
    .await;
    let url = c.get("/api/strava/auth-url", u).await.json["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let back = f.strava.approve(&url, "read,activity:read_all");
    c.get(&back, u).await;
    c.get(&back, u).await;
    f.strava.add_ride(1, "Wire ride", 1_700_000_000, 30);
    c.json(Method::POST, "/api/strava/sync", json!({}), u).await;
    c.get("/api/strava/sync/stream", u).await;
    c.json(
        Method::POST,
        "/api/strava/reset",
        json!({"mode": "hard"}),
        u,
    )
    .await;
    c.json(Method::POST, "/api/strava/disconnect", json!({}), u)
        .await;
    c.json(Method::DELETE, "/api/me/strava-credentials", json!({}), u)
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
            p.starts_with("/api/") && !p.starts_with("/api/event/")
                || p.starts_with("/data")
                || p == "/healthz"
                || p == "/readyz"
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
    // The desk API (bincio's, documented with the CCIP routes).
    let js = |v: serde_json::Value| Some(("application/json", v.to_string().into_bytes()));
    let scan = json!({"token": ADA, "scenario": "sponsor_gift", "nonce": "w1"});
    c.send(Method::POST, "/api/event/use", js(scan.clone()), &staff)
        .await;
    c.send(Method::POST, "/api/event/use", js(scan.clone()), &staff)
        .await;
    c.send(Method::POST, "/api/event/use", js(scan), &[]).await;
    c.send(
        Method::POST,
        "/api/event/scans",
        js(json!([{"token": ADA, "scenario": "sponsor_gift", "nonce": "w2"}])),
        &staff,
    )
    .await;
    let undo = json!({"token": ADA, "scenario": "sponsor_gift", "reason": "test"});
    c.send(Method::POST, "/api/event/undo", js(undo.clone()), &staff)
        .await;
    c.send(Method::POST, "/api/event/undo", js(undo), &staff)
        .await;
    c.send(Method::GET, "/api/event/audit?limit=5", None, &staff)
        .await;
    c.send(Method::GET, "/api/event/audit?kind=nope", None, &staff)
        .await;
    c.get(&format!("/api/event/token?{t}"), None).await;
    c.get("/api/event/token?token=nope", None).await;

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
