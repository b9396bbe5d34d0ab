//! Activity sources through HTTP, on both backends: the drop folder
//! (`/api/me/drop`, `/api/me/drop/scan`, `/api/me/sync-history`) and the
//! Garmin account export uploaded where the Strava export goes
//! (`/api/upload/strava-zip`, told apart by its layout).

#[macro_use]
mod support;
#[path = "support/garmin.rs"]
mod garmin;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::http::{Method, StatusCode};
use bincio_core::clock::ManualClock;
use bincio_core::model::Role;
use bincio_core::sources::Sources;
use bincio_http::{AppState, HttpConfig};
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::{services, TestApp, T0};

/// An app that runs the sources over `data` (as `bincio serve` does).
async fn app(b: &dyn Backend, data: &Path) -> TestApp {
    let stores = b.fresh().await;
    let clock = Arc::new(ManualClock::at(T0));
    let (accounts, activities) = services(&stores, &clock);
    let state = AppState::new(accounts.clone(), activities.clone(), HttpConfig::default());
    state.set_sources(Sources::new(
        activities.clone(),
        stores.users.clone(),
        stores.sources.clone(),
        data,
    ));
    TestApp {
        router: bincio_http::router(state),
        clock,
        stores,
        accounts,
        activities,
    }
}

async fn member(app: &TestApp, handle: &str) -> String {
    let pw = format!("{handle}-password");
    app.accounts
        .create_user(handle, handle, &pw, Role::User)
        .await
        .expect("user");
    app.login(handle, &pw).await
}

/// Write `bytes` at `dir/rel` with its mtime `unix` seconds.
fn put(dir: &Path, rel: &str, bytes: &[u8], unix: i64) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    set_mtime(&p, unix);
}

fn set_mtime(p: &Path, unix: i64) {
    let t = UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap());
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Settled: untouched for an hour before the test clock's now.
const OLD: i64 = T0 - 3600;

async fn scan(app: &TestApp, token: &str) -> Value {
    // Runs are ordered by their start: one second apart.
    app.clock.advance(1);
    let r = app
        .json(Method::POST, "/api/me/drop/scan", json!({}), Some(token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

fn names(scan: &Value, status: &str) -> Vec<String> {
    scan["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == status)
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(app: &TestApp, token: &str) -> usize {
    let r = app.get("/api/feed?limit=200", Some(token)).await;
    r.ok()["activities"].as_array().unwrap().len()
}

/// The rules of a scan, one scan after another: complete files are
/// ingested once, a file still being written waits for a second sighting,
/// refusals are reported by name, a copy is a duplicate by content, a
/// changed file is ingested again once, a touched one is not; every scan
/// that did something is in the history.
async fn drop_folder_scans(b: &dyn Backend) {
    let data = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let app = app(b, data.path()).await;
    let tok = member(&app, "alice").await;

    let st = app.get("/api/me/drop", Some(&tok)).await;
    let folder = data.path().join("drop").join("alice");
    assert_eq!(st.ok()["folder"], json!(folder.display().to_string()));
    assert_eq!(
        (st.json["last_scan_at"].clone(), st.json["runs"].clone()),
        (Value::Null, json!([]))
    );

    let gpx = garmin::fixture("activities/brut/1026973739.gpx");
    let fit_gz = garmin::fixture("activities/brut/1526615320.fit.gz");
    put(&folder, "rides/a.gpx", &gpx, OLD);
    // Written "now": not complete until a second scan sees it unchanged.
    put(&folder, "b.fit.gz", &fit_gz, T0);
    put(&folder, "notes.txt", b"shopping list", OLD);
    put(&folder, ".hidden.gpx", &gpx, OLD);
    put(&folder, "c.fit.part", b"half", OLD);
    put(outside.path(), "secret.gpx", &gpx, OLD);
    std::os::unix::fs::symlink(outside.path().join("secret.gpx"), folder.join("escape.gpx"))
        .unwrap();
    let huge = std::fs::File::create(folder.join("huge.gpx")).unwrap();
    huge.set_len(51 << 20).unwrap();
    drop(huge);
    set_mtime(&folder.join("huge.gpx"), OLD);

    let s1 = scan(&app, &tok).await;
    assert_eq!(names(&s1, "imported"), ["rides/a.gpx"], "{s1}");
    assert_eq!(
        names(&s1, "error"),
        ["escape.gpx", "huge.gpx", "notes.txt"],
        "{s1}"
    );
    assert_eq!(s1["pending"], json!(1), "b.fit.gz waits: {s1}");
    let details: Vec<&str> = s1["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["detail"].as_str())
        .collect();
    assert!(details[0].contains("escape.gpx: refused: a symbolic link leading outside"));
    assert!(details[1].contains("huge.gpx: refused: file larger than 50 MiB"));
    assert!(details[2].contains("notes.txt: refused: not an activity file"));

    let s2 = scan(&app, &tok).await;
    assert_eq!(names(&s2, "imported"), ["b.fit.gz"], "{s2}");
    assert_eq!(
        (s2["errors"].clone(), s2["pending"].clone()),
        (json!(0), json!(0))
    );

    let s3 = scan(&app, &tok).await;
    assert_eq!(s3["items"], json!([]), "nothing new: {s3}");
    assert_eq!(s3["unchanged"], json!(5));

    // The same content under another name: a duplicate by hash.
    put(&folder, "copy/a-again.gpx", &gpx, OLD);
    // New content in a known file: ingested again, once.
    put(
        &folder,
        "rides/a.gpx",
        &garmin::fixture("activities/dave/825055445.gpx"),
        OLD + 60,
    );
    // Touched, same content: nothing to do.
    set_mtime(&folder.join("b.fit.gz"), OLD + 120);
    let s4 = scan(&app, &tok).await;
    assert_eq!(names(&s4, "duplicate"), ["copy/a-again.gpx"], "{s4}");
    assert_eq!(names(&s4, "imported"), ["rides/a.gpx"], "{s4}");
    assert_eq!(s4["items"].as_array().unwrap().len(), 2, "{s4}");
    let s5 = scan(&app, &tok).await;
    assert_eq!(s5["items"], json!([]), "{s5}");
    assert_eq!(count(&app, &tok).await, 3);

    // The history: the three scans that did something, newest first.
    let h = app.get("/api/me/sync-history", Some(&tok)).await;
    let runs = h.ok().as_array().unwrap();
    assert_eq!(runs.len(), 3, "{}", h.text);
    assert_eq!(
        (runs[0]["imported"].clone(), runs[0]["duplicates"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(runs[1]["items"][0]["name"], json!("b.fit.gz"));
    assert_eq!(
        (runs[2]["errors"].clone(), runs[2]["source"].clone()),
        (json!(3), json!("drop"))
    );
    let st = app.get("/api/me/drop", Some(&tok)).await;
    assert_eq!(st.ok()["last_scan_at"], json!(T0 + 5));
    assert_eq!(st.json["runs"].as_array().unwrap().len(), 3);
    // Another member sees only their own.
    let bob = member(&app, "bob").await;
    assert_eq!(
        app.get("/api/me/sync-history", Some(&bob)).await.json,
        json!([])
    );
    assert_eq!(
        app.get("/api/me/drop", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// Scans racing over one folder (a scheduled one and a manual one, or
/// two processes): every file is ingested by exactly one of them, none
/// is reported twice (a second ingestion would be a duplicate).
async fn concurrent_scans_ingest_once(b: &dyn Backend) {
    let data = tempfile::tempdir().unwrap();
    let app = app(b, data.path()).await;
    let tok = member(&app, "alice").await;
    let folder = data.path().join("drop").join("alice");
    let files = [
        "activities/brut/1026973739.gpx",
        "activities/brut/1031803281.gpx",
        "activities/brut/947905012.gpx.gz",
        "activities/brut/1526615320.fit.gz",
        "activities/dave/825055445.gpx",
        "activities/dave/947905021.gpx.gz",
    ];
    for f in files {
        put(
            &folder,
            f.rsplit('/').next().unwrap(),
            &garmin::fixture(f),
            OLD,
        );
    }
    let scans = futures_util::future::join_all((0..4).map(|_| scan(&app, &tok))).await;
    let mut imported: Vec<String> = scans.iter().flat_map(|s| names(s, "imported")).collect();
    imported.sort();
    assert_eq!(imported.len(), files.len(), "{scans:?}");
    imported.dedup();
    assert_eq!(imported.len(), files.len(), "each file once: {scans:?}");
    for s in &scans {
        assert_eq!(
            (s["duplicates"].clone(), s["errors"].clone()),
            (json!(0), json!(0))
        );
    }
    assert_eq!(count(&app, &tok).await, files.len());
}

fn sse_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data:")))
        .map(|d| serde_json::from_str(d.trim()).expect("event json"))
        .collect()
}

async fn upload(app: &TestApp, tok: &str, zip: &[u8]) -> Vec<Value> {
    let r = app
        .multipart(
            "/api/upload/strava-zip",
            &[("file", "export.zip", zip)],
            Some(tok),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    sse_events(&r.text)
}

/// The Garmin export: originals from nested ZIPs (both layouts), titles
/// from the summaries by activity id and by start time, a ZIP nested too
/// deep reported by name; bombs and an over-count archive refused whole,
/// before anything is stored.
async fn garmin_export_upload(b: &dyn Backend) {
    let data = tempfile::tempdir().unwrap();
    let app = app(b, data.path()).await;
    let tok = member(&app, "alice").await;
    let ev = upload(&app, &tok, &garmin::realistic()).await;
    assert_eq!(ev[0], json!({"type": "validating"}));
    let done = ev.last().unwrap();
    assert_eq!(done["type"], json!("done"), "{ev:?}");
    assert_eq!(
        (done["imported"].clone(), done["error_count"].clone()),
        (json!(3), json!(1)),
        "{ev:?}"
    );
    assert!(
        done["errors"][0]
            .as_str()
            .unwrap()
            .contains("Part2.zip/deeper.zip: archive nested too deep"),
        "{done}"
    );
    let feed = app.get("/api/feed?limit=200", Some(&tok)).await;
    let titles: Vec<&str> = feed.ok()["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap_or(""))
        .collect();
    assert!(titles.contains(&garmin::FIT_TITLE), "{titles:?}");
    assert!(titles.contains(&garmin::GPX_TITLE), "{titles:?}");
    // Again: every file is a duplicate.
    let again = upload(&app, &tok, &garmin::realistic()).await;
    let done = again.last().unwrap();
    assert_eq!(
        (done["imported"].clone(), done["skipped"].clone()),
        (json!(0), json!(3))
    );

    let ev = upload(&app, &tok, &garmin::old_layout()).await;
    assert_eq!(ev.last().unwrap()["imported"], json!(2), "{ev:?}");
    assert_eq!(count(&app, &tok).await, 5);

    // Refused whole: a fresh member, so a half import would show.
    let bob = member(&app, "bob").await;
    for (zip, why) in [
        (
            garmin::nested_bomb(),
            "UploadedFiles_0-_Part2.zip: expands more than 500×",
        ),
        (
            garmin::nested_member_bomb(),
            "Part2.zip/big.fit: decompresses to more than 50 MiB",
        ),
        (garmin::over_count(), "more than 100000 entries"),
    ] {
        let ev = upload(&app, &bob, &zip).await;
        let last = ev.last().unwrap();
        assert_eq!(last["type"], json!("error"), "{ev:?}");
        assert!(last["message"].as_str().unwrap().contains(why), "{last}");
        assert!(!ev.iter().any(|e| e["type"] == "progress"), "{ev:?}");
        assert_eq!(count(&app, &bob).await, 0, "nothing stored: {why}");
    }
    // Neither export.
    let ev = upload(&app, &bob, &garmin::zip_of(&[])).await;
    assert!(ev.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("neither a Strava"));
}

/// Without the sources (an app that does not run them): 503 with a reason.
async fn sources_off_is_503(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let tok = member(&app, "alice").await;
    for r in [
        app.get("/api/me/drop", Some(&tok)).await,
        app.json(Method::POST, "/api/me/drop/scan", json!({}), Some(&tok))
            .await,
        app.get("/api/me/sync-history", Some(&tok)).await,
    ] {
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
        assert!(r.text.contains("not enabled"), "{}", r.text);
    }
}

mod sqlite {
    crate::backend_tests!(crate::support::Sqlite;
        drop_folder_scans,
        concurrent_scans_ingest_once,
        garmin_export_upload,
        sources_off_is_503,
    );
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    crate::backend_tests!(crate::mongo_backend!();
        drop_folder_scans,
        concurrent_scans_ingest_once,
        garmin_export_upload,
    );
}
