// Over 600 lines on purpose: one HTTP suite per file, its cases kept
// byte-identical across the issue-11 restructuring (the routes they pin are
// being retyped under them); split by route group once that has landed.

//! Activities through HTTP: owner routes, privacy enforced for others,
//! photos, feeds, the live `/data/` tree. Records are stored directly so
//! these tests pin the serving rules independently of extraction.

#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::model::Privacy;
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::World;

use support::records::{record, track, ID};

async fn world(b: &dyn Backend) -> World {
    World::new(b).await
}

impl World {
    async fn put(&self, handle: &str, id: &str, t: i64, p: Privacy) {
        let (_, tracks) = track();
        self.app
            .stores
            .activities
            .insert_activity(record(handle, id, t, p), tracks)
            .await
            .unwrap();
    }
}

/// Every number-pair that looks like a coordinate anywhere in `v`.
fn has_coordinates(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.iter().any(|(k, v)| {
            (matches!(
                k.as_str(),
                "bbox"
                    | "start_latlng"
                    | "end_latlng"
                    | "preview_coords"
                    | "lat"
                    | "lon"
                    | "coordinates"
            ) && !v.is_null())
                || has_coordinates(v)
        }),
        Value::Array(a) => a.iter().any(has_coordinates),
        _ => false,
    }
}

async fn edit_keeps_untouched_fields(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    let uri = format!("/api/activity/{ID}");
    let r = w
        .app
        .json(
            Method::POST,
            &uri,
            json!({"title": "Col du Galibier", "gear": "Canyon"}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = w
        .app
        .json(
            Method::POST,
            &uri,
            json!({"description": "Hot day", "highlight": true, "hide_stats": ["heart_rate"]}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = w.app.get(&uri, Some(&w.alice)).await.json;
    assert_eq!(d["title"], json!("Col du Galibier"));
    assert_eq!(d["gear"], json!("Canyon"));
    assert_eq!(d["description"], json!("Hot day"));
    assert_eq!(
        d["custom"],
        json!({"highlight": true, "hide_stats": ["heart_rate"]})
    );
    assert_eq!(d["avg_hr_bpm"], json!(140), "the owner sees hidden stats");
    assert_eq!(d["privacy"], json!("public"));
    assert_eq!(d["private"], json!(false));
    // Others do not see hidden stats.
    let p = w
        .app
        .get(&format!("/data/alice/activities/{ID}.json"), Some(&w.bob))
        .await
        .json;
    assert_eq!(p["title"], json!("Col du Galibier"));
    assert!(p["avg_hr_bpm"].is_null() && p["max_hr_bpm"].is_null());
    let ts = w
        .app
        .get(
            &format!("/data/alice/activities/{ID}.timeseries.json"),
            Some(&w.bob),
        )
        .await
        .json;
    assert!(ts["hr_bpm"].is_null());
    // Bad edits are refused and change nothing.
    for body in [
        json!({"sport": "quidditch"}),
        json!({"privacy": "secret"}),
        json!({"hide_stats": ["mood"]}),
        json!({"colour": "red"}),
    ] {
        let r = w
            .app
            .json(Method::POST, &uri, body.clone(), Some(&w.alice))
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
    }
    assert_eq!(
        w.app.get(&uri, Some(&w.alice)).await.json["title"],
        json!("Col du Galibier")
    );
}

async fn other_users_activity_is_404(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    let uri = format!("/api/activity/{ID}");
    for m in [Method::GET, Method::DELETE] {
        let r = w
            .app
            .send(
                m,
                &uri,
                None,
                &[("cookie", &format!("bincio_session={}", w.bob))],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = w
        .app
        .json(
            Method::POST,
            &uri,
            json!({"title": "mine now"}),
            Some(&w.bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(w.app.get(&uri, None).await.status, StatusCode::UNAUTHORIZED);
    let r = w.app.get("/api/activity/..%2Fx", Some(&w.alice)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json, json!({"detail": "Invalid activity ID"}));
    for path in [
        "/data/..%2F..%2Fetc/activities/x.json",
        "/data/ALICE/index.json",
        "/data/alice/activities/..%2Finstance.db",
    ] {
        let r = w.app.get(path, Some(&w.bob)).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
            "{path}: {}",
            r.status
        );
    }
    // The owner deletes it.
    let r = w
        .app
        .send(
            Method::DELETE,
            &uri,
            None,
            &[("cookie", &format!("bincio_session={}", w.alice))],
        )
        .await;
    assert_eq!(r.json, json!({"ok": true}));
    assert_eq!(
        w.app.get(&uri, Some(&w.alice)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn unlisted_not_in_feeds_but_readable(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", "2024-06-01T000001Z", 1, Privacy::Public)
        .await;
    w.put("alice", "2024-06-02T000001Z", 2, Privacy::Public)
        .await;
    let uri = "/api/activity/2024-06-02T000001Z";
    w.app
        .json(Method::POST, uri, json!({"private": true}), Some(&w.alice))
        .await;
    assert_eq!(
        w.app.get(uri, Some(&w.alice)).await.json["privacy"],
        json!("unlisted")
    );
    let feed = w.app.get("/api/feed?handle=alice", Some(&w.bob)).await.json;
    let ids = support::activity_ids(&feed);
    assert_eq!(ids, ["2024-06-01T000001Z"]);
    let idx = w.app.get("/data/alice/index.json", Some(&w.bob)).await.json;
    assert_eq!(idx["activities"].as_array().unwrap().len(), 1);
    assert_eq!(
        idx["owner"],
        json!({"handle": "alice", "display_name": "alice"})
    );
    // Readable by link.
    let r = w
        .app
        .get(
            "/data/alice/activities/2024-06-02T000001Z.json",
            Some(&w.bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["privacy"], json!("unlisted"));
    // The owner's own feed lists both, with the handle.
    let own = w.app.get("/api/feed", Some(&w.alice)).await.json;
    assert_eq!(own["activities"].as_array().unwrap().len(), 2);
    assert_eq!(own["activities"][0]["handle"], json!("alice"));
}

async fn private_is_never_served_to_others(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Private).await;
    for suffix in [".json", ".geojson", ".timeseries.json"] {
        let r = w
            .app
            .get(
                &format!("/data/alice/activities/{ID}{suffix}"),
                Some(&w.bob),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{suffix}");
        let r = w
            .app
            .get(
                &format!("/data/alice/activities/{ID}{suffix}"),
                Some(&w.alice),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "owner {suffix}");
    }
    let feed = w.app.get("/api/feed?handle=alice", Some(&w.bob)).await.json;
    assert_eq!(feed["activities"], json!([]));
    let idx = w.app.get("/data/alice/index.json", Some(&w.bob)).await.json;
    assert_eq!(idx["activities"], json!([]));
}

async fn no_gps_output_has_no_coordinates(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    w.app
        .json(
            Method::POST,
            &format!("/api/activity/{ID}"),
            json!({"privacy": "no_gps"}),
            Some(&w.alice),
        )
        .await;
    let d = w
        .app
        .get(&format!("/data/alice/activities/{ID}.json"), Some(&w.bob))
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(!has_coordinates(&d.json), "{}", d.json);
    let ts = w
        .app
        .get(
            &format!("/data/alice/activities/{ID}.timeseries.json"),
            Some(&w.bob),
        )
        .await;
    assert_eq!(ts.status, StatusCode::OK);
    assert!(!has_coordinates(&ts.json), "{}", ts.json);
    assert_eq!(ts.json["hr_bpm"].as_array().unwrap().len(), 60);
    let g = w
        .app
        .get(
            &format!("/data/alice/activities/{ID}.geojson"),
            Some(&w.bob),
        )
        .await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    let idx = w.app.get("/data/alice/index.json", Some(&w.bob)).await.json;
    assert_eq!(
        idx["activities"].as_array().unwrap().len(),
        1,
        "no_gps stays listed"
    );
    assert!(!has_coordinates(&idx), "{idx}");
    // The owner still has everything.
    assert!(has_coordinates(
        &w.app
            .get(&format!("/api/activity/{ID}"), Some(&w.alice))
            .await
            .json
    ));
}

async fn blur_start_trims_track_for_others(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::BlurStart).await;
    let g = w
        .app
        .get(
            &format!("/data/alice/activities/{ID}.geojson"),
            Some(&w.bob),
        )
        .await
        .json;
    let kept = g["geometry"]["coordinates"].as_array().unwrap();
    assert!(kept.len() < 30, "{} of 60 points kept", kept.len());
    let first_lat = kept[0][1].as_f64().unwrap();
    assert!(
        first_lat >= 45.0018,
        "start within 200 m removed: {first_lat}"
    );
    let d = w
        .app
        .get(&format!("/data/alice/activities/{ID}.json"), Some(&w.bob))
        .await
        .json;
    assert!(d["start_latlng"][0].as_f64().unwrap() >= 45.0018);
    assert!(d["end_latlng"][0].as_f64().unwrap() <= 45.0059 - 0.0018 + 1e-9);
    let ts = w
        .app
        .get(
            &format!("/data/alice/activities/{ID}.timeseries.json"),
            Some(&w.bob),
        )
        .await
        .json;
    assert!(ts["lat"][0].is_null() && ts["lat"][59].is_null() && !ts["lat"][30].is_null());
}

async fn anonymous_on_private_instance_is_401(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    for path in [
        "/data/index.json",
        "/data/alice/index.json",
        &format!("/data/alice/activities/{ID}.json"),
    ] {
        let r = w.app.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    w.app
        .accounts
        .set_setting("private", "false")
        .await
        .unwrap();
    let root = w.app.get("/data/index.json", None).await;
    assert_eq!(root.status, StatusCode::OK);
    assert_eq!(root.json["instance"]["private"], json!(false));
    assert_eq!(root.json["bas_version"], json!("1.0"));
    let handles: Vec<&str> = root.json["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["admin", "alice", "bob"]);
    assert_eq!(
        w.app
            .get(&format!("/data/alice/activities/{ID}.json"), None)
            .await
            .status,
        StatusCode::OK
    );
}

/// The live tree's year shards and combined feed pages, as the render
/// writes them, with the privacy rules of the other `/data/` documents.
async fn live_year_shards_and_combined_feed(b: &dyn Backend) {
    let w = world(b).await;
    const Y2023: i64 = 1_685_000_000; // 2023-05-25
    const Y2024: i64 = 1_717_228_800; // 2024-06-01
    w.put("alice", "2023-05-25T073320Z", Y2023, Privacy::Public)
        .await;
    w.put("alice", "2024-06-01T080000Z", Y2024, Privacy::Public)
        .await;
    w.put(
        "alice",
        "2024-06-02T080000Z",
        Y2024 + 86_400,
        Privacy::Unlisted,
    )
    .await;
    w.put(
        "alice",
        "2024-06-03T080000Z",
        Y2024 + 2 * 86_400,
        Privacy::Private,
    )
    .await;
    for i in 0..52 {
        let t = 1_650_000_000 + i * 3_600;
        w.put("bob", &format!("b-{i:02}"), t, Privacy::Public).await;
    }
    let manifest = w
        .app
        .get("/data/alice/_merged/index.json", Some(&w.bob))
        .await;
    assert_eq!(manifest.status, StatusCode::OK, "{}", manifest.text);
    assert_eq!(
        manifest.json["shards"],
        json!([{"url": "index-2024.json", "year": 2024, "count": 1},
               {"url": "index-2023.json", "year": 2023, "count": 1}])
    );
    let own = w
        .app
        .get("/data/alice/_merged/index.json", Some(&w.alice))
        .await
        .json;
    assert_eq!(own["shards"][0]["count"], json!(3), "the owner sees all");
    let y = w
        .app
        .get("/data/alice/_merged/index-2024.json", Some(&w.bob))
        .await
        .json;
    let ids = support::activity_ids(&y);
    assert_eq!(ids, ["2024-06-01T080000Z"]);
    assert!(
        y["activities"][0].get("source").is_none(),
        "shards drop source"
    );
    for missing in [
        "/data/alice/_merged/index-1999.json",
        "/data/alice/_merged/secret.json",
        "/data/feed-1.json",
        "/data/feed-3.json",
        "/data/feed-0.json",
        "/data/instance.db",
    ] {
        let r = w.app.get(missing, Some(&w.bob)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let p1 = w.app.get("/data/feed.json", Some(&w.bob)).await;
    assert_eq!(p1.status, StatusCode::OK, "{}", p1.text);
    assert_eq!(p1.json["total_activities"], json!(54));
    assert_eq!(p1.json["total_pages"], json!(2));
    assert_eq!(p1.json["page"], json!(1));
    let first = &p1.json["activities"];
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert_eq!(first[0]["id"], json!("2024-06-01T080000Z"));
    assert_eq!(first[0]["handle"], json!("alice"));
    assert_eq!(
        first[0]["detail_url"],
        json!("alice/activities/2024-06-01T080000Z.json")
    );
    let p2 = w.app.get("/data/feed-2.json", Some(&w.alice)).await.json;
    assert_eq!(p2["page"], json!(2));
    let ids = support::activity_ids(&p2);
    assert_eq!(
        ids,
        ["b-03", "b-02", "b-01", "b-00"],
        "not even the owner's unlisted"
    );
    assert_eq!(
        w.app.get("/data/feed.json", None).await.status,
        StatusCode::UNAUTHORIZED,
        "private instance"
    );
}

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0];
    v.resize(2048, 0);
    v
}

async fn photos_are_sniffed_and_served_safely(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    let uri = format!("/api/activity/{ID}/images");
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let html = b"<html><script>fetch('/api/me')</script></html>";
    for (name, bytes) in [("x.svg", &svg[..]), ("photo.jpg", &html[..])] {
        let r = w
            .app
            .multipart(&uri, &[("file", name, bytes)], Some(&w.alice))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text);
    }
    let r = w
        .app
        .multipart(
            &uri,
            &[("file", "../../evil.html", &jpeg())],
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let name = r.json["filename"].as_str().unwrap().to_owned();
    assert!(name.ends_with(".jpg") && name.len() == 20, "{name}");
    let r = w
        .app
        .multipart(&uri, &[("file", "p.jpg", &jpeg())], Some(&w.bob))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not bob's activity");
    let big = {
        let mut v = jpeg();
        v.resize(11 * 1024 * 1024, 0);
        v
    };
    let r = w
        .app
        .multipart(&uri, &[("file", "big.jpg", &big)], Some(&w.alice))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let list = w.app.get(&uri, Some(&w.alice)).await.json;
    assert_eq!(list, json!({"images": [name]}));
    let img = w
        .app
        .get(
            &format!("/data/alice/activities/images/{ID}/{name}"),
            Some(&w.bob),
        )
        .await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers["content-type"], "image/jpeg");
    assert_eq!(img.headers["x-content-type-options"], "nosniff");
    assert!(img.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    let detail = w
        .app
        .get(&format!("/data/alice/activities/{ID}.json"), Some(&w.bob))
        .await
        .json;
    assert_eq!(detail["custom"]["images"], json!([name]));
    let r = w
        .app
        .get(
            &format!("/data/alice/activities/images/{ID}/..%2F..%2Finstance.db"),
            Some(&w.bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = w
        .app
        .send(
            Method::DELETE,
            &format!("{uri}/{name}"),
            None,
            &[("cookie", &format!("bincio_session={}", w.alice))],
        )
        .await;
    assert_eq!(r.json, json!({"ok": true}));
    assert_eq!(
        w.app.get(&uri, Some(&w.alice)).await.json,
        json!({"images": []})
    );
}

/// Deleting a photo that is not there is 404 (the original said `{ok}`);
/// another member cannot delete the owner's photo either.
async fn deleting_a_missing_photo_is_404(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    let uri = format!("/api/activity/{ID}/images");
    let r = w
        .app
        .multipart(&uri, &[("file", "p.jpg", &jpeg())], Some(&w.alice))
        .await;
    let name = r.json["filename"].as_str().expect("uploaded").to_owned();
    let delete = |who: &str, path: String| {
        let cookie = format!("bincio_session={who}");
        let app = &w.app;
        async move {
            app.send(Method::DELETE, &path, None, &[("cookie", cookie.as_str())])
                .await
        }
    };
    for (who, path) in [
        (&w.alice, format!("{uri}/never.jpg")),
        (&w.alice, format!("{uri}/not-an-image.html")),
        (&w.bob, format!("{uri}/{name}")),
        (
            &w.alice,
            format!("/api/activity/2020-01-01T000000Z/images/{name}"),
        ),
    ] {
        let r = delete(who, path.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert_eq!(r.json, json!({"detail": "Image not found"}), "{path}");
    }
    assert_eq!(
        w.app.get(&uri, Some(&w.alice)).await.json,
        json!({"images": [name.clone()]}),
        "bob deleted nothing"
    );
    let r = delete(&w.alice, format!("{uri}/{name}")).await;
    assert_eq!(r.json, json!({"ok": true}));
    let r = delete(&w.alice, format!("{uri}/{name}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a second delete");
}

async fn feed_pages_with_cursor(b: &dyn Backend) {
    let w = world(b).await;
    for i in 0..5 {
        w.put(
            "alice",
            &format!("2024-06-0{}T000000Z", i + 1),
            100 + i,
            Privacy::Public,
        )
        .await;
    }
    let p1 = w.app.get("/api/feed?limit=2", Some(&w.alice)).await.json;
    let ids = |v: &Value| -> Vec<String> {
        v["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&p1), ["2024-06-05T000000Z", "2024-06-04T000000Z"]);
    let next = p1["next"].as_str().unwrap();
    let p2 = w
        .app
        .get(&format!("/api/feed?limit=2&before={next}"), Some(&w.alice))
        .await
        .json;
    assert_eq!(ids(&p2), ["2024-06-03T000000Z", "2024-06-02T000000Z"]);
    let p3 = w
        .app
        .get(
            &format!("/api/feed?limit=2&before={}", p2["next"].as_str().unwrap()),
            Some(&w.alice),
        )
        .await
        .json;
    assert_eq!(ids(&p3), ["2024-06-01T000000Z"]);
    assert!(p3["next"].is_null());
    assert_eq!(
        w.app
            .get("/api/feed?before=garbage", Some(&w.alice))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        w.app.get("/api/feed", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn storage_and_wipes(b: &dyn Backend) {
    let w = world(b).await;
    w.put("alice", ID, 100, Privacy::Public).await;
    w.app
        .multipart(
            &format!("/api/activity/{ID}/images"),
            &[("file", "p.jpg", &jpeg())],
            Some(&w.alice),
        )
        .await;
    let s = w.app.get("/api/me/storage", Some(&w.alice)).await.json;
    assert_eq!(s["activities_count"], json!(1));
    assert!(s["activities_mb"].as_f64().unwrap() >= 0.0);
    assert!(s["total_mb"].as_f64().unwrap() >= s["images_mb"].as_f64().unwrap());
    let r = w
        .app
        .send(
            Method::DELETE,
            "/api/me/originals",
            None,
            &[("cookie", &format!("bincio_session={}", w.alice))],
        )
        .await;
    assert_eq!(r.json, json!({"ok": true, "freed_mb": 0.0}));
    let r = w
        .app
        .json(
            Method::DELETE,
            "/api/me/activities",
            json!({"password": "wrong"}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = w
        .app
        .json(
            Method::DELETE,
            "/api/me/activities",
            json!({"password": "alice-password"}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.json, json!({"ok": true, "deleted": 1}));
    w.put("bob", ID, 100, Privacy::Public).await;
    let r = w
        .app
        .send(
            Method::DELETE,
            "/api/admin/users/bob/activities",
            None,
            &[("cookie", &format!("bincio_session={}", w.alice))],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

macro_rules! activity_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            edit_keeps_untouched_fields,
            other_users_activity_is_404,
            unlisted_not_in_feeds_but_readable,
            private_is_never_served_to_others,
            no_gps_output_has_no_coordinates,
            blur_start_trims_track_for_others,
            anonymous_on_private_instance_is_401,
            live_year_shards_and_combined_feed,
            photos_are_sniffed_and_served_safely,
            deleting_a_missing_photo_is_404,
            feed_pages_with_cursor,
            storage_and_wipes,
        );
    };
}

mod sqlite {
    activity_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    activity_cases!(crate::mongo_backend!());
}
