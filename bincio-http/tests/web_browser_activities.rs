//! The activity pages in a real browser (headless Chromium), on SQLite and
//! on MongoDB: a member drops files on the upload page and sees every
//! file's outcome (new, duplicate of which activity, error with its
//! reason); the feed shows them; the activity page draws the map (Leaflet)
//! and one canvas per chart, and hovering a chart moves the map's marker;
//! the member edits title and privacy, adds a photo, and deletes the
//! activity (confirmed). A second person whose browser runs no JavaScript
//! uploads through the plain form and reads the pages (SVG track and
//! profiles).
//!
//! The SQLite run saves screenshots of feed, activity, stats, athlete,
//! community and upload at 1280 and 390 px (light and dark) into
//! `target/screenshots/`.

mod web_support;

use std::path::PathBuf;
use std::time::Duration;

use bincio_core::accounts::settings;
use bincio_core::model::Role;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use web_support::browser::{
    click, fill_and_submit, screenshot, serve, text, type_into, wait_for_path, wait_for_text,
    Browser,
};
use web_support::{Backend, PW};

/// A fixture's canonical path (chromedriver refuses `..` in a path).
fn fixture(rel: &str) -> PathBuf {
    let p = format!(
        "{}/../tests/data/activities/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::canonicalize(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, b'I', b'D', b'A', b'T',
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, b'I', b'E', b'N',
    b'D', 0xae, 0x42, 0x60, 0x82,
];

/// A Strava export with one activity.
fn strava_zip(dir: &std::path::Path) -> PathBuf {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("activities.csv", opts).unwrap();
    w.write_all(
        b"Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Distance,Filename\n\
          840534997,\"Jan 22, 2017\",Lake loop from the export,Ride,,25.8,activities/840534997.gpx\n",
    )
    .unwrap();
    w.start_file("activities/840534997.gpx", opts).unwrap();
    w.write_all(&std::fs::read(fixture("brut/840534997.gpx")).unwrap())
        .unwrap();
    let path = dir.join("export_strava.zip");
    std::fs::write(&path, w.finish().unwrap().into_inner()).unwrap();
    path
}

/// An hour's ride with a power meter (1 Hz), for the power curve.
fn power_ride() -> Vec<u8> {
    let mut pts = String::new();
    for i in 0..3600u32 {
        let watts = 180 + (i * 37 % 90) + if i % 600 < 60 { 220 } else { 0 };
        pts.push_str(&format!(
            "<trkpt lat=\"{:.6}\" lon=\"{:.6}\"><ele>{}</ele><time>2017-02-20T09:{:02}:{:02}Z</time>\
             <extensions><power>{watts}</power></extensions></trkpt>",
            45.0 + f64::from(i) * 0.00005,
            7.0 + (f64::from(i) / 300.0).sin() * 0.01,
            300 + i / 20,
            i / 60,
            i % 60
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>Power hour</name>\
         <type>cycling</type><trkseg>{pts}</trkseg></trk></gpx>"
    )
    .into_bytes()
}

async fn log_in(c: &Client, base: &str, handle: &str) {
    c.goto(&format!("{base}/login/")).await.unwrap();
    fill_and_submit(
        c,
        "form[action=\"/login/\"]",
        &[("handle", handle), ("password", PW)],
        "button",
    )
    .await;
    wait_for_path(c, "/").await;
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Wait until `css` matches at least `n` elements.
async fn wait_for_count(c: &Client, css: &str, n: usize) {
    for _ in 0..400 {
        if count(c, css).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css}: fewer than {n} after 20 s:\n{}", text(c).await);
}

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

/// The map marker's position on screen (`null` before any hover).
async fn marker(c: &Client) -> serde_json::Value {
    js(
        c,
        "var m = document.querySelector('.map-cursor'); if (!m) return null; \
         var r = m.getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y)];",
    )
    .await
}

async fn hover(c: &Client, el: fantoccini::elements::Element, x: f64) {
    let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: el,
        duration: Some(Duration::from_millis(50)),
        x,
        y: 0.0,
    });
    c.perform_actions(mouse).await.unwrap();
}

async fn pages_in_themes(c: &Client, base: &str, pages: &[(&str, String)]) {
    for theme in ["light", "dark"] {
        c.goto(&format!("{base}/")).await.unwrap();
        let to = format!(".to-{theme}");
        if let Ok(b) = c.find(Locator::Css(&to)).await {
            if b.is_displayed().await.unwrap_or(false) {
                b.click().await.unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        for (name, p) in pages {
            c.goto(&format!("{base}{p}")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            for w in [1280, 390] {
                screenshot(c, w, &format!("{name}-{w}-{theme}")).await;
            }
        }
    }
}

async fn activities_in_a_browser(b: Backend) {
    let Some(mut browser) = Browser::start(module_path!()) else {
        return;
    };
    let app = app!(b);
    app.user("alice", Role::User).await;
    app.set(settings::PRIVATE, "false").await;
    let (base, _stop) = serve(&app).await;
    let shots = b == Backend::Sqlite;
    let tmp = tempfile::tempdir().unwrap();

    // ---- upload by the file chooser (what a drop hands the script) ----
    let alice = browser.person().await;
    log_in(&alice, &base, "alice").await;
    alice.goto(&format!("{base}/upload/")).await.unwrap();
    let broken = tmp.path().join("broken.gpx");
    std::fs::write(&broken, "<gpx><trk><trkseg>").unwrap();
    let again = tmp.path().join("again.gpx");
    std::fs::copy(fixture("brut/1034867910.gpx"), &again).unwrap();
    let files = [
        fixture("brut/1034867910.gpx"),
        fixture("brut/862486776.gpx"),
        fixture("brut/1526615320.fit.gz"),
        fixture("dave/891963388.gpx.gz"),
        again,
        broken,
        strava_zip(tmp.path()),
    ];
    let list = files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    type_into(&alice, "input[type=file]", &list, false).await;
    // One row per file (the ZIP adds none), each with its outcome.
    wait_for_count(&alice, ".upload-item:not(.status-waiting)", 7).await;
    for _ in 0..400 {
        if count(&alice, ".upload-item progress").await == 0
            && text(&alice).await.contains("Export: 1 new")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = text(&alice).await;
    assert_eq!(count(&alice, ".upload-item.status-new").await, 5, "{page}");
    assert_eq!(
        count(&alice, ".upload-item.status-duplicate").await,
        1,
        "{page}"
    );
    assert_eq!(
        count(&alice, ".upload-item.status-error").await,
        1,
        "{page}"
    );
    assert!(
        page.contains("Already uploaded.") && page.contains("Open the existing one"),
        "{page}"
    );
    assert!(page.contains("broken.gpx"), "{page}");
    assert!(
        page.contains("Export: 1 new, 0 already there, 0 failed."),
        "{page}"
    );
    assert_eq!(
        app.activities
            .storage("alice")
            .await
            .unwrap()
            .activities_count,
        5
    );
    if shots {
        screenshot(&alice, 1280, "upload-results-1280-light").await;
        screenshot(&alice, 390, "upload-results-390-light").await;
    }

    // ---- the feed ----
    alice.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(count(&alice, ".activity-card").await, 5);
    assert!(
        count(&alice, ".activity-card svg.svg-map").await >= 4,
        "tracks drawn"
    );
    assert!(text(&alice).await.contains("Lake loop from the export"));

    // ---- one activity: map, charts, hover ----
    let id = "2017-06-13T170654Z";
    let page = format!("{base}/u/alice/activity/{id}/");
    alice.goto(&page).await.unwrap();
    wait_for_count(&alice, ".leaflet-pane", 1).await;
    let charts = count(&alice, "[data-chart]").await;
    assert!(
        charts >= 3,
        "elevation, pace, heart rate, cadence: {charts}"
    );
    wait_for_count(&alice, ".chart-plot canvas", charts).await;
    assert_eq!(marker(&alice).await, serde_json::Value::Null);
    let over = alice
        .find(Locator::Css("[data-chart] .u-over"))
        .await
        .unwrap();
    hover(&alice, over.clone(), -200.0).await;
    let first = marker(&alice).await;
    assert!(first.is_array(), "hovering a chart shows the marker");
    hover(&alice, over, 200.0).await;
    let second = marker(&alice).await;
    assert_ne!(first, second, "the marker follows the pointer");
    // Time ↔ distance.
    click(&alice, "[data-x=d]").await;
    wait_for_count(&alice, ".chart-plot canvas", charts).await;

    // ---- edit title and privacy ----
    type_into(&alice, "#f-title", "Ride along the lake", true).await;
    click(&alice, "#f-privacy option[value=unlisted]").await;
    click(&alice, "form[action$=\"/edit\"] button.button-primary").await;
    wait_for_text(&alice, "Activity saved.").await;
    let h1 = alice
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Ride along the lake");
    let owner = app.accounts.require_user("alice").await.unwrap();
    let d = app
        .activities
        .detail(Some(&owner), "alice", id)
        .await
        .unwrap()
        .into_value();
    assert_eq!(d["privacy"], "unlisted");

    // ---- a photo ----
    let png = tmp.path().join("summit.png");
    std::fs::write(&png, PNG).unwrap();
    type_into(&alice, "#f-photo", &png.display().to_string(), false).await;
    click(&alice, "form[action$=\"/photos\"] button").await;
    wait_for_text(&alice, "Photo added.").await;
    wait_for_count(&alice, ".photo-grid img", 1).await;
    // Loaded and decoded (the image may still be on its way: MongoDB
    // serves it a little later than SQLite), never broken.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let loaded = js(
            &alice,
            "var i = document.querySelector('.photo-grid img'); return i.complete && i.naturalWidth;",
        )
        .await;
        if loaded == serde_json::json!(1) {
            break;
        }
        assert!(
            loaded == serde_json::json!(false) && std::time::Instant::now() < deadline,
            "the photo is shown: {loaded}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if shots {
        alice.goto(&page).await.unwrap();
        wait_for_count(&alice, ".chart-plot canvas", charts).await;
        screenshot(&alice, 1280, "activity-owner-1280-light").await;
        screenshot(&alice, 390, "activity-owner-390-light").await;
    }

    // ---- without JavaScript: the plain form and the SVG pictures ----
    let noscript = browser.person_without_js().await;
    log_in(&noscript, &base, "alice").await;
    noscript.goto(&format!("{base}/upload/")).await.unwrap();
    type_into(
        &noscript,
        "#f-files",
        &fixture("brut/2251973623.gpx").display().to_string(),
        false,
    )
    .await;
    click(&noscript, "[data-upload-submit]").await;
    wait_for_text(&noscript, "1 new, 0 duplicates, 0 failed.").await;
    noscript
        .goto(&format!("{base}/u/alice/activity/2019-03-30T125235Z/"))
        .await
        .unwrap();
    assert_eq!(count(&noscript, ".leaflet-pane").await, 0);
    assert_eq!(
        count(&noscript, "#map svg.svg-map").await,
        1,
        "the server-drawn track"
    );
    assert!(
        count(&noscript, ".chart-plot svg.svg-profile").await >= 2,
        "server-drawn profiles"
    );
    if shots {
        screenshot(&noscript, 1280, "activity-nojs-1280-light").await;
        screenshot(&noscript, 390, "activity-nojs-390-light").await;
    }
    let _ = noscript.close().await;

    // ---- the other pages, looked at (with a power meter ride and an FTP) ----
    if shots {
        let owner = app.accounts.require_user("alice").await.unwrap();
        app.activities
            .ingest(&owner, "power.gpx", power_ride(), Default::default())
            .await
            .unwrap();
        app.activities
            .set_athlete(
                &owner,
                &serde_json::json!({"ftp_w": 240, "hr_zones": [[0, 130], [130, 150], [150, 170], [170, 200]],
                    "seasons": [{"name": "Winter 2017", "start": "2017-01-01", "end": "2017-03-31"}]}),
            )
            .await
            .unwrap();
        let ride = "2017-02-11T093632Z";
        pages_in_themes(
            &alice,
            &base,
            &[
                ("feed", "/".to_owned()),
                ("member-feed", "/u/alice/".to_owned()),
                ("activity", format!("/u/alice/activity/{ride}/")),
                ("stats", "/u/alice/stats/".to_owned()),
                ("athlete", "/u/alice/athlete/".to_owned()),
                ("community", "/community/?period=all".to_owned()),
                ("upload", "/upload/".to_owned()),
            ],
        )
        .await;
    }

    // ---- delete, confirmed twice (the box and the dialog) ----
    alice.goto(&page).await.unwrap();
    click(&alice, "input[name=confirm]").await;
    click(&alice, ".danger-form button").await;
    alice.accept_alert().await.unwrap();
    wait_for_path(&alice, "/u/alice/").await;
    wait_for_text(&alice, "was deleted").await;
    assert!(app
        .activities
        .detail(Some(&owner), "alice", id)
        .await
        .is_err());
    let _ = alice.close().await;
}

web_cases!(activities_in_a_browser);
