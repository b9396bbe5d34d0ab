//! `render`: the static BAS tree holds public items only, no secrets, and
//! is incremental. Through the library and through the `bincio` binary.

#[macro_use]
#[path = "../bincio-http/tests/support/mod.rs"]
mod support;

use std::path::Path;

use bincio_core::activities::render::{render, RenderTarget};
use bincio_core::model::{Blob, Privacy};
use bincio_store_conformance::Backend;
use support::http::{TestApp, T0};
use support::records::{record, track};

fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

async fn render_public_only_no_secrets_incremental(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let token = app
        .register(&code, "alice", "alice-password")
        .await
        .session_cookie()
        .unwrap();
    let a = &app.stores.activities;
    for (id, t, p) in [
        ("2023-05-01T080000Z", 1_682_928_000, Privacy::Public),
        ("2024-06-01T080000Z", 1_717_228_800, Privacy::Unlisted),
        ("2024-06-02T080000Z", 1_717_315_200, Privacy::Private),
        ("2024-06-03T080000Z", 1_717_401_600, Privacy::NoGps),
    ] {
        a.insert_activity(record("alice", id, t, p), track().1)
            .await
            .unwrap();
    }
    a.put_original(
        "alice",
        "2023-05-01T080000Z",
        Blob {
            name: "ride.gpx".into(),
            content_type: "application/gpx+xml".into(),
            bytes: b"<gpx>SECRET-ORIGINAL</gpx>".to_vec(),
        },
    )
    .await
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let target = RenderTarget::new(out.path(), data.path());
    let s = render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    assert_eq!(s.activities, 3, "private is not exported");
    let list = files(out.path());
    for f in &list {
        assert!(
            !f.contains("2024-06-02T080000Z"),
            "private file exported: {f}"
        );
        assert!(!f.ends_with(".db") && !f.contains("original"), "{f}");
        let bytes = std::fs::read(out.path().join(f)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("SECRET-ORIGINAL") && !text.contains(&token),
            "{f} leaks a secret"
        );
        assert!(
            !text.contains("password") && !text.contains("argon2"),
            "{f}"
        );
        // Unlisted: reachable by link, never enumerable from the tree.
        if !f.starts_with("alice/activities/2024-06-01T080000Z") {
            assert!(
                !text.contains("2024-06-01T080000Z"),
                "{f} names the unlisted activity"
            );
        }
        assert!(!f.contains("staging") && !f.contains(".tmp"), "{f}");
    }
    for expected in [
        "index.json",
        "feed.json",
        "alice/index.json",
        "alice/_merged/index.json",
        "alice/_merged/index-2023.json",
        "alice/_merged/index-2024.json",
        "alice/athlete.json",
        "alice/_merged/athlete.json",
        "alice/activities/2023-05-01T080000Z.json",
        "alice/activities/2023-05-01T080000Z.geojson",
        "alice/activities/2023-05-01T080000Z.timeseries.json",
        "alice/activities/2024-06-01T080000Z.json",
        "alice/activities/2024-06-03T080000Z.json",
    ] {
        assert!(
            list.contains(&expected.to_owned()),
            "missing {expected} in {list:?}"
        );
    }
    assert!(
        !list.contains(&"alice/activities/2024-06-03T080000Z.geojson".to_owned()),
        "no_gps has no track"
    );
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("alice/index.json")).unwrap())
            .unwrap();
    let ids = support::activity_ids(&idx);
    assert_eq!(
        ids,
        ["2024-06-03T080000Z", "2023-05-01T080000Z"],
        "unlisted not listed"
    );
    let merged: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("alice/_merged/index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        merged["shards"],
        serde_json::json!([{"url": "index-2024.json", "year": 2024, "count": 1}, {"url": "index-2023.json", "year": 2023, "count": 1}])
    );
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(
        root["shards"][1],
        serde_json::json!({"handle": "alice", "url": "alice/_merged/index.json"})
    );
    let feed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("feed.json")).unwrap()).unwrap();
    assert_eq!(feed["total_activities"], serde_json::json!(2));
    assert_eq!(
        feed["activities"][1]["detail_url"],
        serde_json::json!("alice/activities/2023-05-01T080000Z.json")
    );

    // Second run: nothing rewritten.
    let again = render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    assert_eq!(again.written, 0, "{again:?}");
    assert_eq!(again.removed, 0);
    // A photo: the user's counter moved, only the photo and the files that
    // list it are written.
    a.put_image(
        "alice",
        "2024-06-03T080000Z",
        Blob {
            name: "p1.png".into(),
            content_type: "image/png".into(),
            bytes: b"\x89PNG\r\n\x1a\nfake".to_vec(),
        },
    )
    .await
    .unwrap();
    let photo = render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    assert!(out
        .path()
        .join("alice/activities/images/2024-06-03T080000Z/p1.png")
        .exists());
    assert!(
        (2..=7).contains(&photo.written),
        "photo, detail, indexes, feed: {photo:?}"
    );
    // A new display name reaches the indexes and the feed.
    app.stores
        .users
        .set_display_name("alice", "Alice Liddell")
        .await
        .unwrap();
    render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    let text = std::fs::read_to_string(out.path().join("alice/index.json")).unwrap();
    assert!(text.contains("Alice Liddell"), "{text}");
    let text = std::fs::read_to_string(out.path().join("feed.json")).unwrap();
    assert!(text.contains("Alice Liddell"), "{text}");
    // A lost output file is noticed and written again.
    std::fs::remove_file(
        out.path()
            .join("alice/activities/2023-05-01T080000Z.geojson"),
    )
    .unwrap();
    let healed = render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    assert_eq!(healed.written, 1, "{healed:?}");
    std::fs::remove_file(out.path().join("feed.json")).unwrap();
    render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    let feed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("feed.json")).unwrap()).unwrap();
    assert_eq!(
        feed["total_activities"],
        serde_json::json!(2),
        "lost feed rebuilt"
    );
    // Delete one: its files go, the index changes.
    a.delete_activity("alice", "2023-05-01T080000Z")
        .await
        .unwrap();
    let third = render(a, &app.stores.users, &target, Some("alice"), T0)
        .await
        .unwrap();
    assert_eq!(third.removed, 4, "{third:?}"); // .json .geojson .timeseries.json + index-2023
    assert!(!out
        .path()
        .join("alice/activities/2023-05-01T080000Z.json")
        .exists());
    assert!(render(a, &app.stores.users, &target, Some("../etc"), T0)
        .await
        .is_err());
}

fn read_json(root: &Path, rel: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(root.join(rel)).unwrap()).unwrap()
}

/// `athlete.json` (and its `_merged/` copy) is built from listed activities
/// only, with hidden stats left out, carries the athlete config, and is
/// rewritten when only the config changes.
async fn render_athlete_json_public_only(b: &dyn Backend) {
    use bincio_core::model::{ActivityEdits, AthleteConfig, AthletePatch};
    use serde_json::json;
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    app.register(&code, "alice", "alice-password").await;
    let a = &app.stores.activities;
    for (id, t, p, mmp) in [
        (
            "2025-12-01T080000Z",
            T0 - 30 * 86_400,
            Privacy::Public,
            json!([[5, 900], [60, 400]]),
        ),
        (
            "2025-12-02T080000Z",
            T0 - 29 * 86_400,
            Privacy::Private,
            json!([[5, 2000]]),
        ),
        (
            "2025-12-03T080000Z",
            T0 - 28 * 86_400,
            Privacy::Unlisted,
            json!([[60, 700]]),
        ),
        (
            "2025-12-04T080000Z",
            T0 - 27 * 86_400,
            Privacy::Public,
            json!([[5, 1500]]),
        ),
    ] {
        let mut r = record("alice", id, t, p);
        r.summary["mmp"] = mmp;
        a.insert_activity(r, track().1).await.unwrap();
    }
    a.patch_edits(
        "alice",
        "2025-12-04T080000Z",
        ActivityEdits {
            hide_stats: Some(vec!["power".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let patch = |ftp: u32| AthletePatch {
        set: AthleteConfig {
            ftp_w: Some(ftp),
            ..Default::default()
        },
        clear: Vec::new(),
    };
    app.stores
        .users
        .patch_athlete("alice", &patch(250))
        .await
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let target = RenderTarget::new(out.path(), data.path());
    render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    let doc = read_json(out.path(), "alice/athlete.json");
    assert_eq!(doc["power_curve"]["all_time"], json!([[5, 900], [60, 400]]));
    assert_eq!(doc["ftp_w"], json!(250));
    assert_eq!(read_json(out.path(), "alice/_merged/athlete.json"), doc);
    let text = std::fs::read_to_string(out.path().join("alice/athlete.json")).unwrap();
    for hidden in [
        "2025-12-02T080000Z",
        "2025-12-03T080000Z",
        "2025-12-04T080000Z",
    ] {
        assert!(
            !text.contains(hidden),
            "{hidden} feeds the public athlete.json"
        );
    }
    assert_eq!(
        read_json(out.path(), "alice/index.json")["owner"]["athlete"]["ftp_w"],
        json!(250)
    );
    assert_eq!(
        read_json(out.path(), "alice/_merged/index.json")["owner"]["athlete"]["ftp_w"],
        json!(250)
    );
    // Members without activities or config still get a valid one.
    let admin_doc = read_json(out.path(), "admin/athlete.json");
    assert_eq!(admin_doc["power_curve"]["all_time"], json!([]));
    assert!(read_json(out.path(), "admin/index.json")["owner"]
        .get("athlete")
        .is_none());

    // Only the config changes: the incremental render still rewrites it.
    app.stores
        .users
        .patch_athlete("alice", &patch(275))
        .await
        .unwrap();
    let again = render(a, &app.stores.users, &target, None, T0)
        .await
        .unwrap();
    assert!(again.written >= 4, "{again:?}"); // 2 × athlete.json + indexes
    assert_eq!(
        read_json(out.path(), "alice/athlete.json")["ftp_w"],
        json!(275)
    );
    assert_eq!(
        read_json(out.path(), "alice/_merged/athlete.json")["ftp_w"],
        json!(275)
    );
}

mod sqlite {
    crate::backend_tests!(crate::support::Sqlite;
        render_public_only_no_secrets_incremental,
        render_athlete_json_public_only,
    );
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    crate::backend_tests!(crate::mongo_backend!();
        render_public_only_no_secrets_incremental,
        render_athlete_json_public_only,
    );
}
