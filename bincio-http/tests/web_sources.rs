//! The settings page's "Drop folder" card: the folder, the last and next
//! scans, the recent outcomes from the member's history, and the "scan
//! now" form (CSRF-checked) — through the in-process client on SQLite, and
//! in a real browser (headless Chromium) with screenshots at 1280 and
//! 390 px into `target/screenshots/`.

mod web_support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use bincio_core::model::Role;
use fantoccini::Locator;
use web_support::browser::{
    click, fill_and_submit, screenshot, serve, text, wait_for_path, wait_for_text, Browser,
};
use web_support::{App, Backend, PW};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/data/activities/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Put a complete (an hour old) file in `folder`.
fn put(folder: &Path, name: &str, bytes: &[u8]) {
    let p = folder.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drop_card_and_scan_now() {
    let data = tempfile::tempdir().unwrap();
    let app = App::new(Backend::Sqlite, "drop_card_and_scan_now")
        .await
        .unwrap()
        .with_sources(data.path());
    app.user("alice", Role::User).await;
    let mut c = app.logged_in("alice").await;
    let page = c.get("/settings/").await;
    assert_eq!(page.status, StatusCode::OK);
    let folder = data.path().join("drop").join("alice");
    assert!(page.body.contains("Drop folder"), "{}", page.body);
    assert!(page.body.contains(&folder.display().to_string()));
    assert!(page.body.contains("Nothing has arrived yet."));
    assert!(page.body.contains("not scheduled"));

    put(&folder, "ride.gpx", &fixture("brut/1026973739.gpx"));
    put(&folder, "notes.txt", b"<script>alert(1)</script>");
    // Without the form token: refused, nothing scanned.
    let r = c.post("/settings/drop-scan", &[], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(c
        .get("/settings/")
        .await
        .body
        .contains("Nothing has arrived yet."));

    let tok = c.get("/settings/").await.csrf();
    let r = c.post("/settings/drop-scan", &[("csrf", &tok)], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/settings/");
    let page = c.get("/settings/").await;
    assert!(
        page.body.contains(
            "Drop folder scanned: 1 new, 0 already there, 1 failed, 0 still being written."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 new, 0 already there, 1 failed"));
    assert!(page.body.contains("<code>ride.gpx</code>"));
    assert!(page
        .body
        .contains("notes.txt: refused: not an activity file"));
    assert!(!page.body.contains("<script>alert"), "names are escaped");
    // Anonymous: to the log-in page, nothing scanned.
    let mut anon = app.client();
    let r = anon
        .post("/settings/drop-scan", &[("csrf", &tok)], &[])
        .await;
    assert!(r.location().starts_with("/login"), "{:?}", r.headers);
}

/// Without the sources the settings page has no card and still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_card_without_sources() {
    let app = App::new(Backend::Sqlite, "no_card_without_sources")
        .await
        .unwrap();
    app.user("alice", Role::User).await;
    let mut c = app.logged_in("alice").await;
    let page = c.get("/settings/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Drop folder"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drop_card_in_a_browser() {
    let Some(mut browser) = Browser::start("drop_card_in_a_browser") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let app = App::new(Backend::Sqlite, "drop_card_in_a_browser")
        .await
        .unwrap()
        .with_sources(data.path());
    app.user("alice", Role::User).await;
    let folder = data.path().join("drop").join("alice");
    put(&folder, "rides/ride.gpx", &fixture("brut/1026973739.gpx"));
    put(
        &folder,
        "rides/ride-copy.gpx",
        &fixture("brut/1026973739.gpx"),
    );
    put(&folder, "watch.fit.gz", &fixture("brut/1526615320.fit.gz"));
    put(&folder, "shopping-list.txt", b"milk");
    let (base, _stop) = serve(&app).await;
    let c = browser.person().await;
    c.goto(&format!("{base}/login/")).await.unwrap();
    fill_and_submit(
        &c,
        "form[action=\"/login/\"]",
        &[("handle", "alice"), ("password", PW)],
        "button",
    )
    .await;
    wait_for_path(&c, "/").await;
    c.goto(&format!("{base}/settings/")).await.unwrap();
    click(&c, "form[action=\"/settings/drop-scan\"] button").await;
    // Already on /settings/ before the click: wait for the answer's flash,
    // not the path (which the old page already had).
    wait_for_text(&c, "Drop folder scanned").await;
    wait_for_path(&c, "/settings/").await;
    let page = text(&c).await;
    assert!(
        page.contains("Drop folder scanned: 2 new, 1 already there, 1 failed"),
        "{page}"
    );
    let items = c
        .find_all(Locator::Css(".drop-items li"))
        .await
        .unwrap()
        .len();
    assert_eq!(items, 4, "{page}");
    for w in [1280, 390] {
        screenshot(&c, w, &format!("settings-drop-{w}-light")).await;
    }
    c.close().await.ok();
}
