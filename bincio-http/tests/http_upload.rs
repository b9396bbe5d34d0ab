// Over 600 lines on purpose: one HTTP suite per file, its cases kept
// byte-identical across the issue-11 restructuring (the routes they pin are
// being retyped under them); split by route group once that has landed.

//! Uploads through HTTP: the fixture files become activities with the
//! extraction figures, duplicates are recognised, bad files are reported by
//! name without stopping the batch, progress streams as server-sent events.

#[macro_use]
mod support;

use std::path::Path;

use axum::http::{Method, StatusCode};
use bincio_core::extract::expand::gzip_bomb;
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::TestApp;

fn fixture_dir(user: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/activities")
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

/// How many activities the user of `token` has.
async fn stored(app: &TestApp, token: &str) -> Value {
    app.get("/api/me/storage", Some(token)).await.json["activities_count"].clone()
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

    // GPX download: one track point per positioned sample, times kept.
    let g = app
        .get("/api/activity/2017-06-08T165749Z/gpx", Some(&token))
        .await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.headers["content-type"], "application/gpx+xml");
    let doc = gpx::read(g.text.as_bytes()).expect("valid GPX");
    let pts = &doc.tracks[0].segments[0].points;
    assert_eq!(pts.len(), 573);
    assert!(pts[0].time.is_some() && pts[0].elevation.is_some());
    assert_eq!(
        doc.tracks[0].name.as_deref(),
        Some(run["title"].as_str().unwrap())
    );
    // The indoor FIT ride has no position: 422, not an empty file.
    assert_eq!(
        app.get("/api/activity/2018-02-18T171256Z/gpx", Some(&token))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

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
    let parts: Vec<(&str, &str, &[u8])> = vec![
        ("files", "notes.txt", b"hello"),
        ("files", "broken.gpx", b"<gpx><trk><trkseg><trkpt lat=\"x\""),
        ("files", "bad.fit", b"\x0e\x10\xd9\x07not a fit file at all"),
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
    // Files are ingested as many at once as there are cores, so events come
    // in the order files finish: `n` counts them, `name` says which.
    let mut names: Vec<&str> = ev[..5]
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let mut sent: Vec<&str> = parts.iter().map(|p| p.1).collect();
    sent.sort_unstable();
    assert_eq!(names, sent, "one event per file");
    for e in &ev[..5] {
        let name = e["name"].as_str().unwrap();
        if name == good.0 {
            assert_eq!(e["status"], json!("imported"), "{e}");
            continue;
        }
        assert_eq!(e["status"], json!("error"), "{e}");
        let detail = e["detail"].as_str().unwrap();
        assert!(detail.contains(name), "error names the file: {detail}");
        assert!(
            !detail.contains("/tmp") && !detail.contains("/work"),
            "no paths leak: {detail}"
        );
    }
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

/// Refusals of a bomb, as the uploader reads them.
const RATIO_REFUSAL: &str =
    "bomb.gpx.gz: too large: decompresses to more than 500 times its compressed size";
const SIZE_REFUSAL: &str = "bomb.gpx.gz: too large: decompresses to more than 128 MiB";

async fn gzip_bomb_and_oversize_are_refused(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let dense = gzip_bomb(1024, false);
    let noisy = gzip_bomb(1024, true);
    let good = fixtures("brut")
        .into_iter()
        .find(|(n, _)| n == "947905012.gpx.gz")
        .unwrap();
    let big = vec![b' '; 51 * 1024 * 1024];
    let parts: Vec<(&str, &str, &[u8])> = vec![
        ("files", "bomb.gpx.gz", &dense),
        ("files", "bomb.gpx.gz", &noisy),
        ("files", "big.gpx", &big),
        ("files", &good.0, &good.1),
    ];
    let r = app
        .multipart("/api/upload?stream=false", &parts, Some(&token))
        .await;
    assert_eq!(r.json["done"]["errors"], json!(3), "{}", r.text);
    assert_eq!(r.json["done"]["added"], json!(1), "{}", r.text);
    let detail = |i: usize| r.json["results"][i]["detail"].as_str().unwrap().to_owned();
    assert!(detail(0).starts_with(RATIO_REFUSAL), "{}", detail(0));
    assert_eq!(detail(1), SIZE_REFUSAL);
    assert!(detail(2).contains("50 MiB"));
    assert_eq!(r.json["results"][3]["status"], json!("imported"));
    assert_eq!(stored(&app, &token).await, json!(1));
}

async fn raw_upload_of_a_bomb_is_refused(b: &dyn Backend) {
    use base64::Engine;
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    for bomb in [gzip_bomb(1024, false), gzip_bomb(1024, true)] {
        let body = json!({
            "filename": "bomb.gpx.gz",
            "base64": base64::engine::general_purpose::STANDARD.encode(&bomb),
        });
        let r = app
            .json(Method::POST, "/api/upload/raw", body, Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let detail = r.json["detail"].as_str().unwrap();
        let detail = detail.strip_prefix("Could not extract activity: ").unwrap();
        assert!(
            detail.starts_with(RATIO_REFUSAL) || detail == SIZE_REFUSAL,
            "{detail}"
        );
    }
    assert_eq!(stored(&app, &token).await, json!(0));
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

/// Sets the uncompressed size that `zip` declares for member `name` (local
/// header and central directory) to `size`: a member that lies.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let find = |zip: &[u8], sig: &[u8], name_at: usize| {
        (0..zip.len() - name_at - name.len())
            .find(|&i| zip[i..].starts_with(sig) && zip[i + name_at..].starts_with(name.as_bytes()))
            .unwrap()
    };
    let local = find(zip, b"PK\x03\x04", 30);
    zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    let central = find(zip, b"PK\x01\x02", 46);
    zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

/// A Strava export whose members are bombs three ways: a `.gpx.gz` bomb
/// (stored), a deflated 60 MiB member that says how big it is (refused
/// unread), and the same member claiming 1000 bytes (refused while read).
fn strava_export_with_bombs() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("activities.csv", stored).unwrap();
    w.write_all(b"Activity ID,Activity Name,Filename\n1,Jog,activities/1026973739.gpx\n")
        .unwrap();
    w.start_file("activities/1026973739.gpx", deflated).unwrap();
    w.write_all(&std::fs::read(fixture_dir("brut").join("1026973739.gpx")).unwrap())
        .unwrap();
    w.start_file("activities/bomb.gpx.gz", stored).unwrap();
    w.write_all(&gzip_bomb(1024, false)).unwrap();
    let noisy: Vec<u8> = (0..1usize << 20)
        .map(|i| if i % 64 == 0 { (i >> 6) as u8 } else { b' ' })
        .collect();
    for name in ["activities/honest.gpx", "activities/liar.gpx"] {
        w.start_file(name, deflated).unwrap();
        for _ in 0..60 {
            w.write_all(&noisy).unwrap();
        }
    }
    let mut zip = w.finish().unwrap().into_inner();
    declare_size(&mut zip, "activities/liar.gpx", 1000);
    zip
}

async fn strava_zip_bombs_are_refused_by_name(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "export.zip", &strava_export_with_bombs())],
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ev = sse_events(&r.text);
    let done = ev.last().unwrap();
    assert_eq!(done["imported"], json!(1), "{}", r.text);
    assert_eq!(done["error_count"], json!(3), "{}", r.text);
    let detail = |name: &str| {
        ev.iter()
            .find(|e| e["name"] == json!(name))
            .and_then(|e| e["detail"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        detail("activities/bomb.gpx.gz").starts_with(RATIO_REFUSAL),
        "{}",
        r.text
    );
    assert_eq!(
        detail("activities/honest.gpx"),
        "activities/honest.gpx: decompresses to more than 50 MiB"
    );
    // The ZIP reader itself stops a member at its declared size.
    assert_eq!(
        detail("activities/liar.gpx"),
        "activities/liar.gpx: File is larger than its declared uncompressed size"
    );
    assert_eq!(stored(&app, &token).await, json!(1));
}

async fn raw_upload_and_elevation_recalc(b: &dyn Backend) {
    use base64::Engine;
    let app = TestApp::new(b).await;
    let token = user(&app).await;
    let f = fixtures("brut")
        .into_iter()
        .find(|(n, _)| n == "1031803281.gpx")
        .unwrap();
    let body = json!({"filename": f.0, "base64": base64::engine::general_purpose::STANDARD.encode(&f.1), "user_title": "Hill reps"});
    let r = app
        .json(Method::POST, "/api/upload/raw", body.clone(), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["id"], json!("2017-06-11T153156Z"));
    assert_eq!(r.json["status"], json!("imported"));
    assert_eq!(r.json["detail"]["title"], json!("Hill reps"));
    assert_eq!(r.json["detail"]["elevation_gain_m"], json!(115.2));
    assert_eq!(r.json["geojson"]["type"], json!("Feature"));
    assert!(r.json["timeseries"]["t"].is_array());
    assert_eq!(r.json["source_hash"].as_str().unwrap().len(), 64);
    let again = app
        .json(Method::POST, "/api/upload/raw", body, Some(&token))
        .await;
    assert_eq!(again.json["status"], json!("duplicate"));
    let bad = app
        .json(
            Method::POST,
            "/api/upload/raw",
            json!({"filename": "x.gpx", "base64": "***"}),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let junk = base64::engine::general_purpose::STANDARD.encode(b"<gpx><trk></trk></gpx>");
    let bad = app
        .json(
            Method::POST,
            "/api/upload/raw",
            json!({"filename": "x.gpx", "base64": junk}),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.json["detail"]
        .as_str()
        .unwrap()
        .starts_with("Could not extract activity: "));

    // Smoothed hysteresis recalculation patches detail and feed.
    let uri = "/api/activity/2017-06-11T153156Z/recalculate-elevation/hysteresis";
    let r = app.json(Method::POST, uri, json!({}), Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["threshold_m"], json!(3.0));
    assert_eq!(r.json["altitude_source"], json!("gps"));
    let gain = r.json["elevation_gain_m"].as_f64().unwrap();
    assert!(
        (gain - 115.2).abs() < 20.0,
        "plausible next to the 10 m hysteresis figure: {gain}"
    );
    let d = app
        .get("/api/activity/2017-06-11T153156Z", Some(&token))
        .await
        .json;
    assert_eq!(d["elevation_gain_m"].as_f64().unwrap(), gain);
    assert_eq!(
        app.json(
            Method::POST,
            "/api/activity/2000-01-01T000000Z/recalculate-elevation/hysteresis",
            json!({}),
            Some(&token)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

macro_rules! upload_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            upload_fixtures_then_feed_lists_them,
            upload_streams_progress_and_reports_bad_files,
            gzip_bomb_and_oversize_are_refused,
            raw_upload_of_a_bomb_is_refused,
            strava_zip_bombs_are_refused_by_name,
            originals_kept_on_request,
            strava_zip_imports_titles,
            raw_upload_and_elevation_recalc,
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
