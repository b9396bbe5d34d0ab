//! `POST /api/upload/bas` (a BAS activity extracted elsewhere, e.g. by the
//! mobile app) and `GET /api/admin/disk`, through HTTP on every backend:
//! import then duplicate (same id, same content), the feed lists it, the
//! change listener fires once, bad documents are refused naming the field,
//! other users cannot read a private upload; the disk report is admin-only
//! and counts the upload.

#[macro_use]
mod support;

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use bincio_http::HttpConfig;
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::TestApp;

const ID: &str = "2025-05-04T081500Z-lake-loop";

/// A BAS upload as the app sends it: 30 GPS points, timeseries, GeoJSON.
fn body(id: &str) -> Value {
    let n = 30;
    let coords: Vec<Value> = (0..n)
        .map(|i| json!([7.0 + f64::from(i) * 0.001, 45.0, 300.0 + f64::from(i)]))
        .collect();
    json!({
        "activity": {
            "bas_version": "1.0", "id": id, "title": "Lake loop", "sport": "Ride",
            "sub_sport": "road", "started_at": "2025-05-04T08:15:00+02:00",
            "distance_m": 2280.4, "duration_s": 600, "moving_time_s": 590,
            "elevation_gain_m": 29.0, "avg_hr_bpm": 131, "privacy": "public",
            "laps": [{"index": 0, "started_at": "2025-05-04T08:15:00+02:00", "duration_s": 600}],
            "source": "bincio_app", "unexpected_key": {"dropped": true}
        },
        "timeseries": {
            "t": (0..n).collect::<Vec<_>>(),
            "lat": vec![45.0; n as usize],
            "lon": (0..n).map(|i| 7.0 + f64::from(i) * 0.001).collect::<Vec<_>>(),
            "elevation_m": (0..n).map(|i| 300.0 + f64::from(i)).collect::<Vec<_>>(),
            "hr_bpm": vec![131; n as usize],
        },
        "geojson": {"type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"id": id}}
    })
}

struct World {
    app: TestApp,
    admin: String,
    alice: String,
    bob: String,
    /// Handles passed to the change listener.
    changes: Arc<Mutex<Vec<String>>>,
}

async fn world(b: &dyn Backend) -> World {
    let changes = Arc::new(Mutex::new(Vec::new()));
    let seen = changes.clone();
    let app = TestApp::with_activities(b, HttpConfig::default(), move |a| {
        a.with_change_listener(Arc::new(move |h: &str| {
            seen.lock().unwrap().push(h.to_owned())
        }))
    })
    .await;
    let (admin, [alice, bob]) = app.admin_and_members(["alice", "bob"]).await;
    World {
        app,
        admin,
        alice,
        bob,
        changes,
    }
}

async fn bas_import_then_duplicate_and_feed(b: &dyn Backend) {
    let w = world(b).await;
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", body(ID), Some(&w.alice))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"ok": true, "id": ID, "status": "imported"}));
    assert_eq!(*w.changes.lock().unwrap(), vec!["alice".to_owned()]);

    // The same again: duplicate by id, nothing changed, no notification.
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", body(ID), Some(&w.alice))
        .await;
    assert_eq!(r.json, json!({"ok": true, "id": ID, "status": "duplicate"}));
    // The same content under another id: duplicate by content hash, and
    // the answer names the stored activity.
    let mut other = body("2025-05-04T081500Z");
    other["activity"]["id"] = json!("2025-05-04T081500Z");
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", other, Some(&w.alice))
        .await;
    assert_eq!(r.json, json!({"ok": true, "id": ID, "status": "duplicate"}));
    assert_eq!(w.changes.lock().unwrap().len(), 1);

    // Listed in the owner's feed with a normalised sport and a preview.
    let feed = w.app.get("/api/feed", Some(&w.alice)).await.json;
    let acts = feed["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 1, "{feed}");
    let s = &acts[0];
    assert_eq!(s["id"], ID);
    assert_eq!(s["sport"], "cycling");
    assert_eq!(s["distance_m"], 2280.4);
    assert_eq!(s["track_url"], format!("activities/{ID}.geojson"));
    let preview = s["preview_coords"].as_array().unwrap();
    assert_eq!(preview.len(), 9);
    assert_eq!(preview[0], json!([45.0, 7.0]), "[lat, lon]");

    // Detail: known keys kept, unknown dropped, server fields set.
    let d = w
        .app
        .get(&format!("/api/activity/{ID}"), Some(&w.alice))
        .await
        .json;
    assert_eq!(d["title"], "Lake loop");
    assert_eq!(d["elevation_gain_m"], 29.0);
    assert_eq!(
        d["timeseries_url"],
        format!("activities/{ID}.timeseries.json")
    );
    assert!(d["source_hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(d.get("unexpected_key").is_none(), "{d}");
    let ts = w
        .app
        .get(&format!("/api/activity/{ID}/timeseries"), Some(&w.alice))
        .await;
    assert_eq!(ts.status, StatusCode::OK);
    assert_eq!(ts.json["hr_bpm"].as_array().unwrap().len(), 30);

    // Bearer tokens work as well as the cookie (the app's way in).
    let bearer = w.app.bearer("bob", "bob-password").await;
    let r = w
        .app
        .send(
            Method::POST,
            "/api/upload/bas",
            Some(body(ID)),
            &[("authorization", &bearer)],
        )
        .await;
    // Bob's namespace is his own: the same id is new for him.
    assert_eq!(
        r.json,
        json!({"ok": true, "id": ID, "status": "imported"}),
        "{}",
        r.text
    );
}

async fn bas_refusals_name_the_field(b: &dyn Backend) {
    let w = world(b).await;
    let post = |v: Value| {
        w.app
            .json(Method::POST, "/api/upload/bas", v, Some(&w.alice))
    };
    let mut bad_id = body(ID);
    bad_id["activity"]["id"] = json!("../../etc/passwd");
    let r = post(bad_id).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("activity.id:"),
        "{}",
        r.text
    );

    let mut bad_geo = body(ID);
    bad_geo["geojson"]["geometry"] = json!({"type": "Point", "coordinates": [7.0, 45.0]});
    let r = post(bad_geo).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("geojson.geometry.type:"),
        "{}",
        r.text
    );

    let mut bad_coord = body(ID);
    bad_coord["geojson"]["geometry"]["coordinates"][3] = json!([7.0, "north"]);
    let r = post(bad_coord).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("coordinates[3]"),
        "{}",
        r.text
    );

    let mut short = body(ID);
    short["timeseries"]["hr_bpm"] = json!([1, 2, 3]);
    let r = post(short).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("timeseries.hr_bpm:"),
        "{}",
        r.text
    );

    let mut date = body(ID);
    date["activity"]["started_at"] = json!("last tuesday");
    let r = post(date).await;
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("activity.started_at:"),
        "{}",
        r.text
    );

    let mut privacy = body(ID);
    privacy["activity"]["privacy"] = json!("friends");
    assert_eq!(post(privacy).await.status, StatusCode::BAD_REQUEST);

    // No `activity` at all: a body-shape error (422), like other routes.
    assert_eq!(
        post(json!({"timeseries": {}})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Over the 20 MiB body limit: 413, nothing read into the store.
    let huge = format!(
        "{{\"activity\":{{\"id\":\"x\",\"title\":\"{}\"}}}}",
        "a".repeat(21 << 20)
    );
    let r = w
        .app
        .send_bytes(
            Method::POST,
            "/api/upload/bas",
            "application/json",
            huge.into_bytes(),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    // Anonymous: 401.
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", body(ID), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Nothing of the refused uploads was stored or announced.
    let feed = w.app.get("/api/feed", Some(&w.alice)).await.json;
    assert_eq!(feed["activities"], json!([]));
    assert!(w.changes.lock().unwrap().is_empty());
}

async fn private_bas_upload_is_not_readable_by_others(b: &dyn Backend) {
    let w = world(b).await;
    let mut v = body(ID);
    v["activity"]["privacy"] = json!("private");
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", v, Some(&w.alice))
        .await;
    assert_eq!(r.json["status"], "imported", "{}", r.text);
    // Bob: not in alice's feed, not in the live tree, not under his own id.
    let feed = w.app.get("/api/feed?handle=alice", Some(&w.bob)).await.json;
    assert_eq!(feed["activities"], json!([]), "{feed}");
    for uri in [
        format!("/data/alice/activities/{ID}.json"),
        format!("/data/alice/activities/{ID}.geojson"),
        format!("/data/alice/activities/{ID}.timeseries.json"),
        format!("/api/activity/{ID}"),
    ] {
        assert_eq!(
            w.app.get(&uri, Some(&w.bob)).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    // Alice still sees it.
    let d = w
        .app
        .get(&format!("/api/activity/{ID}"), Some(&w.alice))
        .await;
    assert_eq!(d.json["privacy"], "private", "{}", d.text);
}

async fn admin_disk_reports_filesystem_and_users(b: &dyn Backend) {
    let w = world(b).await;
    assert_eq!(
        w.app.get("/api/admin/disk", Some(&w.alice)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.app.get("/api/admin/disk", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = w
        .app
        .json(Method::POST, "/api/upload/bas", body(ID), Some(&w.alice))
        .await;
    assert_eq!(r.json["status"], "imported");

    let r = w.app.get("/api/admin/disk", Some(&w.admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let disk = &r.json["disk"];
    let (total, used, free) = (
        disk["total_gb"].as_f64().unwrap(),
        disk["used_gb"].as_f64().unwrap(),
        disk["free_gb"].as_f64().unwrap(),
    );
    assert!(total > 0.0 && used <= total && free <= total, "{disk}");
    let pct = disk["percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&pct));

    let users = r.json["users"].as_array().unwrap();
    let handles: Vec<&str> = users
        .iter()
        .map(|u| u["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["admin", "alice", "bob"]);
    let alice = &users[1];
    for key in [
        "in_db",
        "total_mb",
        "activities_mb",
        "activities_count",
        "merged_mb",
        "originals_mb",
        "originals_strava_mb",
        "images_mb",
        "leaked_zips_mb",
        "leaked_zips_count",
    ] {
        assert!(alice.get(key).is_some(), "{key} missing in {alice}");
    }
    assert_eq!(alice["in_db"], true);
    assert_eq!(alice["activities_count"], 1);
    assert!(alice["total_mb"].as_f64().unwrap() >= alice["activities_mb"].as_f64().unwrap());
    assert_eq!(users[2]["activities_count"], 0);
}

async fn new_routes_are_documented(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let doc = app.get("/api/openapi.json", None).await.json;
    for (path, method) in [
        ("/api/upload/bas", "post"),
        ("/api/admin/disk", "get"),
        ("/api/activity/{id}/recalculate-elevation/dem", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

macro_rules! bas_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            bas_import_then_duplicate_and_feed,
            bas_refusals_name_the_field,
            private_bas_upload_is_not_readable_by_others,
            admin_disk_reports_filesystem_and_users,
            new_routes_are_documented,
        );
    };
}

mod sqlite {
    bas_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    bas_cases!(crate::mongo_backend!());
}
