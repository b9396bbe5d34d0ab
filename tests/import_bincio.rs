//! `import bincio`: a tiny old-style data dir (instance.db with bcrypt
//! users, one activity, one sidecar, one photo, one original) moves in, and
//! its user logs in with the old password.

#[macro_use]
#[path = "../bincio-http/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use bincio_core::import::bincio_dir;
use bincio_core::store::UserStore;
use bincio_store_conformance::Backend;
use bincio_store_sqlite::testkit::write_legacy_db;
use bincio_store_sqlite::SqliteStore;
use serde_json::json;
use support::http::TestApp;

const ID: &str = "2017-06-08T165749Z";

fn old_tree(root: &std::path::Path) {
    write_legacy_db(&root.join("instance.db"), 1_767_225_600);
    let acts = root.join("bob/activities");
    std::fs::create_dir_all(&acts).unwrap();
    std::fs::create_dir_all(root.join(format!("bob/edits/images/{ID}"))).unwrap();
    std::fs::create_dir_all(root.join("bob/originals")).unwrap();
    let detail = json!({"bas_version": "1.0", "id": ID, "title": "Evening Running", "sport": "running",
        "started_at": "2017-06-08T16:57:49+00:00", "distance_m": 2502.1, "duration_s": 892,
        "source": "gpx_file", "source_file": "1026973739.gpx", "source_hash": "sha256:abc",
        "privacy": "public", "bbox": [1.0, 2.0, 3.0, 4.0], "timeseries_url": format!("activities/{ID}.timeseries.json"), "custom": {}});
    std::fs::write(acts.join(format!("{ID}.json")), detail.to_string()).unwrap();
    std::fs::write(
        acts.join(format!("{ID}.timeseries.json")),
        json!({"t": [0, 1], "hr_bpm": [100, 110]}).to_string(),
    )
    .unwrap();
    std::fs::write(acts.join("broken.json"), "{not json").unwrap();
    std::fs::write(
        root.join(format!("bob/edits/{ID}.md")),
        "---\ntitle: \"Park run\"\nhighlight: true\nprivate: true\n---\n\nFelt great.\n",
    )
    .unwrap();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.resize(500, 1);
    std::fs::write(root.join(format!("bob/edits/images/{ID}/photo.jpg")), &jpeg).unwrap();
    std::fs::write(
        root.join(format!("bob/edits/images/{ID}/evil.svg")),
        "<svg><script/></svg>",
    )
    .unwrap();
    std::fs::write(
        root.join("bob/originals/1026973739.gpx"),
        "<gpx>original</gpx>",
    )
    .unwrap();
}

async fn old_instance_moves_in_and_logs_in(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let old_dir = tempfile::tempdir().unwrap();
    old_tree(old_dir.path());
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        old_dir.path().join("instance.db"),
        copy.path().join("instance.db"),
    )
    .unwrap();
    let old: Arc<dyn UserStore> =
        Arc::new(SqliteStore::open(copy.path().join("instance.db")).unwrap());
    let r = bincio_dir::import(&old, &app.stores.users, &app.activities, old_dir.path())
        .await
        .unwrap();
    assert_eq!(
        (
            r.users,
            r.invites,
            r.activities,
            r.sidecars,
            r.images,
            r.originals
        ),
        (2, 2, 1, 1, 1, 1),
        "{r:?}"
    );
    assert_eq!(
        r.errors.len(),
        2,
        "broken.json and evil.svg are reported: {r:?}"
    );
    assert!(r.errors.iter().any(|e| e.contains("broken.json")));

    // bob logs in with his old (bcrypt) password, through HTTP.
    let token = app.login("bob", "bob-password").await;
    let d = app.get(&format!("/api/activity/{ID}"), Some(&token)).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json["title"], json!("Park run"));
    assert_eq!(d.json["description"], json!("Felt great."));
    assert_eq!(d.json["privacy"], json!("unlisted"));
    assert_eq!(d.json["custom"]["highlight"], json!(true));
    assert_eq!(d.json["custom"]["images"].as_array().unwrap().len(), 1);
    let ts = app
        .get(&format!("/api/activity/{ID}/timeseries"), Some(&token))
        .await
        .json;
    assert_eq!(ts["hr_bpm"], json!([100, 110]));
    let orig = app
        .stores
        .activities
        .get_original("bob", ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orig.bytes, b"<gpx>original</gpx>");
    // Settings and invite tree came along; a second import changes nothing.
    assert_eq!(app.accounts.settings().await.unwrap().max_users, Some(20));
    let again = bincio_dir::import(&old, &app.stores.users, &app.activities, old_dir.path())
        .await
        .unwrap();
    assert_eq!(
        (
            again.users,
            again.users_skipped,
            again.activities,
            again.activities_skipped
        ),
        (0, 2, 0, 1)
    );
}

macro_rules! import_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend; old_instance_moves_in_and_logs_in);
    };
}

mod sqlite {
    import_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    import_cases!(crate::mongo_backend!());
}
