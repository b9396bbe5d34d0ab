//! Uploads through HTTP: the fixture files become activities with the
//! extraction figures, duplicates are recognised, bad files are reported by
//! name without stopping the batch, progress streams as server-sent events.

#[macro_use]
mod support;

use std::path::Path;

use axum::http::{Method, StatusCode};
use bincio_core::conformance::Backend;
use serde_json::{json, Value};
use support::http::TestApp;

fn fixture_dir(user: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/activities")
        .join(user)
}

fn fixtures(user: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir(user))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().contains(".gpx")
                || e.file_name().to_string_lossy().contains(".fit")
        })
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn user(app: &TestApp) -> String {
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    app.register(&code, "alice", "alice-password")
        .await
        .session_cookie()
        .unwrap()
}

/// Parse an SSE body into its JSON events.
fn sse_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data:")))
        .map(|d| serde_json::from_str(d.trim()).expect("event json"))
        .collect()
}

async fn upload_fixtures_then_feed_lists_them(b: &dyn Backend) {
    // The clock must be after the recordings for the future-time check.
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let files = fixtures("brut");
    assert_eq!(files.len(), 10);
    let parts: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(n, b)| ("files", n.as_str(), b.as_slice()))
        .collect();
    let r = app
        .multipart("/api/upload?stream=false", &parts, Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json["done"],
        json!({"type": "done", "added": 10, "overwritten": 0, "duplicates": 0, "errors": 0}),
        "{}",
        r.text
    );
    let feed = app.get("/api/feed?limit=50", Some(&token)).await.json;
    let acts = feed["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 10);
    let run = acts
        .iter()
        .find(|a| a["id"] == json!("2017-06-08T165749Z"))
        .expect("brut/1026973739.gpx");
    assert_eq!(run["sport"], json!("running"));
    assert_eq!(run["distance_m"], json!(2502.1));
    assert_eq!(run["moving_time_s"], json!(892));
    assert_eq!(run["avg_speed_kmh"], json!(10.1));
    assert_eq!(run["elevation_gain_m"], json!(51.3));
    let fit = acts
        .iter()
        .find(|a| a["id"] == json!("2018-02-18T171256Z"))
        .expect("brut/1526615320.fit.gz");
    assert_eq!(fit["sport"], json!("cycling"));
    assert_eq!(fit["avg_hr_bpm"], json!(139));
    // Detail, track and timeseries are there for the owner.
    let d = app
        .get("/api/activity/2017-06-08T165749Z", Some(&token))
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json["duration_s"], json!(892));
    assert_eq!(
        app.get("/api/activity/2017-06-08T165749Z/geojson", Some(&token))
            .await
            .json["type"],
        json!("Feature")
    );
    let ts = app
        .get("/api/activity/2017-06-08T165749Z/timeseries", Some(&token))
        .await
        .json;
    assert_eq!(ts["t"].as_array().unwrap().len(), 573);

    // The same files again: all duplicates, nothing stored twice.
    let r = app
        .multipart("/api/upload?stream=false", &parts[..3], Some(&token))
        .await;
    assert_eq!(r.json["done"]["duplicates"], json!(3), "{}", r.text);
    assert_eq!(r.json["results"][0]["status"], json!("duplicate"));
    assert_eq!(
        app.get("/api/feed?limit=50", Some(&token)).await.json["activities"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    // Overwrite re-extracts in place and keeps edits.
    app.json(
        Method::POST,
        "/api/activity/2017-06-08T165749Z",
        json!({"title": "Park run"}),
        Some(&token),
    )
    .await;
    let one = fixtures("brut")
        .into_iter()
        .find(|(n, _)| n == "1026973739.gpx")
        .unwrap();
    let r = app
        .multipart(
            "/api/upload?stream=false",
            &[("files", &one.0, &one.1), ("overwrite", "", b"true")],
            Some(&token),
        )
        .await;
    assert_eq!(
        r.json["results"][0]["status"],
        json!("overwritten"),
        "{}",
        r.text
    );
    assert_eq!(
        app.get("/api/activity/2017-06-08T165749Z", Some(&token))
            .await
            .json["title"],
        json!("Park run")
    );
}

async fn upload_streams_progress_and_reports_bad_files(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let good = fixtures("dave")
        .into_iter()
        .find(|(n, _)| n == "1024000610.gpx")
        .unwrap();
    let truncated = &good.1[..good.1.len() / 3];
    let parts: Vec<(&str, &str, &[u8])> = vec![
        ("files", "notes.txt", b"hello"),
        ("files", "broken.gpx", b"<gpx><trk><trkseg><trkpt lat=\"x\""),
        ("files", "half.gpx", truncated),
        ("files", good.0.as_str(), good.1.as_slice()),
        ("files", "empty.fit", b""),
    ];
    let r = app.multipart("/api/upload", &parts, Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert_eq!(r.headers["cache-control"], "no-cache");
    let ev = sse_events(&r.text);
    assert_eq!(ev.len(), 6, "{}", r.text);
    for (i, e) in ev[..5].iter().enumerate() {
        assert_eq!(e["type"], json!("progress"));
        assert_eq!(e["n"], json!(i + 1));
        assert_eq!(e["total"], json!(5));
    }
    for i in [0, 1, 2, 4] {
        assert_eq!(ev[i]["status"], json!("error"), "{}", ev[i]);
        let detail = ev[i]["detail"].as_str().unwrap();
        let name = ev[i]["name"].as_str().unwrap();
        assert!(detail.contains(name), "error names the file: {detail}");
        assert!(
            !detail.contains("/tmp") && !detail.contains("/work"),
            "no paths leak: {detail}"
        );
    }
    assert_eq!(ev[3]["status"], json!("imported"));
    assert_eq!(
        ev[5],
        json!({"type": "done", "added": 1, "overwritten": 0, "duplicates": 0, "errors": 4})
    );
    // The job is gone once the stream finished.
    let admin = app.login("admin", "admin-password").await;
    assert_eq!(
        app.get("/api/admin/jobs", Some(&admin)).await.json,
        json!([])
    );
    assert_eq!(
        app.multipart("/api/upload", &parts, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn gzip_bomb_and_oversize_are_refused(b: &dyn Backend) {
    use std::io::Write;
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    // 600 MiB of zeros inside a small gzip: over the 512 MiB expansion limit.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..600 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    let big = vec![b' '; 51 * 1024 * 1024];
    let parts: Vec<(&str, &str, &[u8])> =
        vec![("files", "bomb.gpx.gz", &bomb), ("files", "big.gpx", &big)];
    let r = app
        .multipart("/api/upload?stream=false", &parts, Some(&token))
        .await;
    assert_eq!(r.json["done"]["errors"], json!(2), "{}", r.text);
    assert!(r.json["results"][1]["detail"]
        .as_str()
        .unwrap()
        .contains("50 MiB"));
    assert_eq!(
        app.get("/api/me/storage", Some(&token)).await.json["activities_count"],
        json!(0)
    );
}

async fn originals_kept_on_request(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let f = fixtures("brut")
        .into_iter()
        .find(|(n, _)| n == "1526615320.fit.gz")
        .unwrap();
    let r = app
        .multipart(
            "/api/upload?stream=false",
            &[("files", &f.0, &f.1), ("store_original", "", b"true")],
            Some(&token),
        )
        .await;
    assert_eq!(r.json["done"]["added"], json!(1), "{}", r.text);
    let orig = app
        .stores
        .activities
        .get_original("alice", "2018-02-18T171256Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orig.bytes, f.1);
    assert_eq!(orig.name, "1526615320.fit.gz");
    let s = app.get("/api/me/storage", Some(&token)).await.json;
    assert!(s["originals_mb"].as_f64().unwrap() > 0.0, "{s}");
    let r = app
        .send(
            Method::DELETE,
            "/api/me/originals",
            None,
            &[("cookie", &format!("bincio_session={token}"))],
        )
        .await;
    assert!(r.json["freed_mb"].as_f64().unwrap() > 0.0);
    assert!(app
        .stores
        .activities
        .get_original("alice", "2018-02-18T171256Z")
        .await
        .unwrap()
        .is_none());
}

fn strava_export() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("activities.csv", opts).unwrap();
    w.write_all(
        "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Distance,Filename,Distance\n\
         1026973739,\"Jun 8, 2017\",Evening jog by the river,Run,\"Legs, heavy\",2.5,activities/1026973739.gpx,2502\n\
         1526615320,\"Feb 18, 2018\",Trainer intervals,Ride,,12.1,activities/1526615320.fit.gz,12164\n"
            .as_bytes(),
    )
    .unwrap();
    for f in ["1026973739.gpx", "1526615320.fit.gz"] {
        w.start_file(format!("activities/{f}"), opts).unwrap();
        w.write_all(&std::fs::read(fixture_dir("brut").join(f)).unwrap())
            .unwrap();
    }
    w.start_file("activities/broken.gpx", opts).unwrap();
    w.write_all(b"<gpx>").unwrap();
    w.start_file("media/photo.jpg", opts).unwrap();
    w.write_all(b"not an activity").unwrap();
    w.finish().unwrap().into_inner()
}

async fn strava_zip_imports_titles(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let zip = strava_export();
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "export_123.zip", &zip)],
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ev = sse_events(&r.text);
    assert_eq!(ev[0], json!({"type": "validating"}));
    assert_eq!(ev[1], json!({"type": "extracting_csv"}));
    let done = ev.last().unwrap();
    assert_eq!(done["type"], json!("done"), "{}", r.text);
    assert_eq!(done["imported"], json!(2), "{}", r.text);
    assert_eq!(done["error_count"], json!(1));
    assert!(done["errors"][0].as_str().unwrap().contains("broken.gpx"));
    let d = app
        .get("/api/activity/2017-06-08T165749Z", Some(&token))
        .await
        .json;
    assert_eq!(d["title"], json!("Evening jog by the river"));
    assert_eq!(d["description"], json!("Legs, heavy"));
    assert_eq!(d["distance_m"], json!(2502.1), "figures come from the file");
    assert_eq!(
        app.get("/api/activity/2018-02-18T171256Z", Some(&token))
            .await
            .json["title"],
        json!("Trainer intervals")
    );
    // Again: duplicates are skipped.
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "export_123.zip", &zip)],
            Some(&token),
        )
        .await;
    let done = sse_events(&r.text).pop().unwrap();
    assert_eq!(
        (done["imported"].clone(), done["skipped"].clone()),
        (json!(0), json!(2))
    );
    // Not a ZIP / not an export.
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "x.gpx", b"<gpx/>")],
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "x.zip", b"PK garbage")],
            Some(&token),
        )
        .await;
    let ev = sse_events(&r.text);
    assert_eq!(ev.last().unwrap()["type"], json!("error"), "{}", r.text);
}

macro_rules! upload_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            upload_fixtures_then_feed_lists_them,
            upload_streams_progress_and_reports_bad_files,
            gzip_bomb_and_oversize_are_refused,
            originals_kept_on_request,
            strava_zip_imports_titles,
        );
    };
}

mod sqlite {
    upload_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    upload_cases!(crate::mongo_backend!());
}
