//! Conformance cases of [`ActivityStore`](bincio_core::store::ActivityStore).

use serde_json::json;

use super::activity_blobs::blob;
use super::{Backend, Stores};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, FeedCursor, NewUser, Privacy, Role,
};
use bincio_core::store::{FeedQuery, InsertOutcome, StoreError};

/// A fresh store with these users (shared with the backends' own tests).
pub async fn with_users(b: &dyn Backend, handles: &[&str]) -> Stores {
    let s = b.fresh().await;
    for h in handles {
        s.users
            .create_user(NewUser {
                handle: (*h).to_owned(),
                display_name: (*h).to_owned(),
                password_hash: "x".into(),
                role: Role::User,
                created_at: 1,
            })
            .await
            .unwrap();
    }
    s
}

/// A small activity record of `handle` (shared with the backends' own tests).
pub fn rec(handle: &str, id: &str, started_at: i64, hash: &str) -> ActivityRecord {
    ActivityRecord {
        handle: handle.to_owned(),
        id: id.to_owned(),
        started_at,
        source_hash: hash.to_owned(),
        privacy: Privacy::Public,
        distance_m: Some(10_000.0),
        source: Some("gpx_file".into()),
        summary: json!({"id": id, "title": "Morning Ride", "distance_m": 10000.0}),
        detail: json!({"id": id, "title": "Morning Ride", "bbox": [1.0, 2.0, 3.0, 4.0]}),
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: 5,
    }
}

/// Small tracks (shared with the backends' own tests).
pub fn tracks() -> ActivityTracks {
    ActivityTracks {
        timeseries: Some(json!({"t": [0, 1, 2], "lat": [1.0, 1.1, 1.2]})),
        geojson: Some(
            json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}),
        ),
    }
}

pub(crate) fn ids(v: &[ActivityRecord]) -> Vec<&str> {
    v.iter().map(|r| r.id.as_str()).collect()
}

/// Insert, read back, and the atomic duplicate checks.
pub async fn activity_insert_get_and_dedup(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    let r = rec("alice", "2024-06-01T073012Z", 1_717_227_012, "sha256:aa");
    assert_eq!(
        a.insert_activity(r.clone(), tracks()).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(a.get_activity("alice", &r.id).await.unwrap().unwrap(), r);
    assert!(
        a.get_activity("bob", &r.id).await.unwrap().is_none(),
        "per owner"
    );
    let same_file = rec("alice", "other-id", 1, "sha256:aa");
    assert_eq!(
        a.insert_activity(same_file, tracks()).await.unwrap(),
        InsertOutcome::DuplicateHash(r.id.clone())
    );
    let same_id = rec("alice", &r.id, 1, "sha256:bb");
    assert_eq!(
        a.insert_activity(same_id, tracks()).await.unwrap(),
        InsertOutcome::IdTaken
    );
    // Another user may store the same file.
    assert_eq!(
        a.insert_activity(rec("bob", &r.id, 1, "sha256:aa"), tracks())
            .await
            .unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        a.find_by_hash("alice", "sha256:aa")
            .await
            .unwrap()
            .as_deref(),
        Some(r.id.as_str())
    );
    assert!(a
        .find_by_hash("alice", "sha256:zz")
        .await
        .unwrap()
        .is_none());
    let e = a
        .insert_activity(rec("nobody", "x", 1, "sha256:cc"), tracks())
        .await;
    assert!(matches!(e, Err(StoreError::NotFound(_))), "{e:?}");
    assert_eq!(a.activity_owners().await.unwrap(), ["alice", "bob"]);
}

/// 20 concurrent inserts of the same file ⇒ exactly one stored.
pub async fn activity_concurrent_duplicate_upload(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let a = s.activities.clone();
            tokio::spawn(async move {
                a.insert_activity(rec("alice", &format!("id-{i}"), 1, "sha256:same"), tracks())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut inserted = 0;
    for t in tasks {
        if t.await.unwrap() == InsertOutcome::Inserted {
            inserted += 1;
        }
    }
    assert_eq!(inserted, 1);
    let all = s
        .activities
        .feed(FeedQuery {
            handle: Some("alice".into()),
            listed_only: false,
            before: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

/// Tracks round-trip; absent activity ⇒ `None`.
pub async fn activity_tracks_roundtrip(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    a.insert_activity(rec("alice", "a2", 2, "sha256:2"), ActivityTracks::default())
        .await
        .unwrap();
    assert_eq!(
        a.get_tracks("alice", "a1").await.unwrap().unwrap(),
        tracks()
    );
    assert_eq!(
        a.get_tracks("alice", "a2").await.unwrap().unwrap(),
        ActivityTracks::default()
    );
    assert!(a.get_tracks("alice", "zz").await.unwrap().is_none());
    // Raw text: byte-identical to printing the parsed values.
    let t = tracks();
    let raw = a.get_tracks_raw("alice", "a1").await.unwrap().unwrap();
    assert_eq!(
        raw.timeseries.as_deref(),
        Some(
            serde_json::to_string(t.timeseries.as_ref().unwrap())
                .unwrap()
                .as_str()
        )
    );
    assert_eq!(
        raw.geojson.as_deref(),
        Some(
            serde_json::to_string(t.geojson.as_ref().unwrap())
                .unwrap()
                .as_str()
        )
    );
    assert_eq!(
        a.get_tracks_raw("alice", "a2").await.unwrap().unwrap(),
        bincio_core::model::RawTracks::default()
    );
    assert!(a.get_tracks_raw("alice", "zz").await.unwrap().is_none());
}

/// Edits merge field by field; concurrent edits of different fields all
/// survive; privacy edits change what is listed.
pub async fn activity_edits_merge_and_privacy(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    let e = a
        .patch_edits(
            "alice",
            "a1",
            ActivityEdits {
                title: Some("Col du Galibier".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.title.as_deref(), Some("Col du Galibier"));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let a = a.clone();
            tokio::spawn(async move {
                let patch = match i % 3 {
                    0 => ActivityEdits {
                        gear: Some(format!("bike{i}")),
                        ..Default::default()
                    },
                    1 => ActivityEdits {
                        highlight: Some(true),
                        ..Default::default()
                    },
                    _ => ActivityEdits {
                        description: Some("hot".into()),
                        ..Default::default()
                    },
                };
                a.patch_edits("alice", "a1", patch).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = a.get_activity("alice", "a1").await.unwrap().unwrap().edits;
    assert_eq!(
        got.title.as_deref(),
        Some("Col du Galibier"),
        "untouched field kept"
    );
    assert!(got.gear.is_some() && got.highlight == Some(true) && got.description.is_some());
    assert!(a
        .patch_edits("alice", "zz", ActivityEdits::default())
        .await
        .unwrap()
        .is_none());

    let listed = |a: std::sync::Arc<dyn bincio_core::store::ActivityStore>| async move {
        a.feed(FeedQuery {
            handle: None,
            listed_only: true,
            before: None,
            limit: 10,
        })
        .await
        .unwrap()
        .len()
    };
    assert_eq!(listed(a.clone()).await, 1);
    for (p, shown) in [
        (Privacy::Unlisted, 0),
        (Privacy::Private, 0),
        (Privacy::NoGps, 1),
        (Privacy::BlurStart, 1),
        (Privacy::Public, 1),
    ] {
        a.patch_edits(
            "alice",
            "a1",
            ActivityEdits {
                privacy: Some(p),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(listed(a.clone()).await, shown, "{p:?}");
        let r = a.get_activity("alice", "a1").await.unwrap().unwrap();
        assert_eq!(r.effective_privacy(), p);
        assert_eq!(r.privacy, Privacy::Public, "extracted privacy untouched");
    }
}

/// Feeds: newest first, per owner or all, cursor paging without overlap.
pub async fn activity_feed_order_and_cursor(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    for (h, id, t) in [
        ("alice", "a-1", 100),
        ("alice", "a-2", 300),
        ("bob", "b-1", 200),
        ("bob", "b-2", 300),
        ("alice", "a-3", 50),
    ] {
        a.insert_activity(rec(h, id, t, &format!("sha256:{id}")), tracks())
            .await
            .unwrap();
    }
    let mut unlisted = rec("alice", "a-4", 400, "sha256:a-4");
    unlisted.privacy = Privacy::Unlisted;
    a.insert_activity(unlisted, tracks()).await.unwrap();

    let q = |handle: Option<&str>, listed_only, before: Option<FeedCursor>, limit| FeedQuery {
        handle: handle.map(str::to_owned),
        listed_only,
        before,
        limit,
    };
    let all = a.feed(q(None, true, None, 100)).await.unwrap();
    assert_eq!(ids(&all), ["b-2", "a-2", "b-1", "a-1", "a-3"]);
    let own = a.feed(q(Some("alice"), false, None, 100)).await.unwrap();
    assert_eq!(ids(&own), ["a-4", "a-2", "a-1", "a-3"]);
    let p1 = a.feed(q(None, true, None, 2)).await.unwrap();
    assert_eq!(ids(&p1), ["b-2", "a-2"]);
    let last = p1.last().unwrap();
    let cur = FeedCursor {
        started_at: last.started_at,
        id: last.id.clone(),
    };
    let p2 = a.feed(q(None, true, Some(cur), 2)).await.unwrap();
    assert_eq!(ids(&p2), ["b-1", "a-1"]);
}

/// Replace keeps edits, photos and originals; unknown ⇒ false.
pub async fn activity_replace_keeps_edits(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    a.patch_edits(
        "alice",
        "a1",
        ActivityEdits {
            privacy: Some(Privacy::Private),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    a.put_image("alice", "a1", blob("p.jpg", 10)).await.unwrap();
    let mut newer = rec("alice", "a1", 2, "sha256:2");
    newer.summary = json!({"id": "a1", "title": "Recomputed"});
    assert!(a
        .replace_activity(newer.clone(), ActivityTracks::default())
        .await
        .unwrap());
    let got = a.get_activity("alice", "a1").await.unwrap().unwrap();
    assert_eq!(got.summary, newer.summary);
    assert_eq!(got.source_hash, "sha256:2");
    assert_eq!(got.effective_privacy(), Privacy::Private);
    assert_eq!(a.list_images("alice", "a1").await.unwrap(), ["p.jpg"]);
    assert!(!a
        .replace_activity(rec("alice", "zz", 1, "sha256:9"), tracks())
        .await
        .unwrap());
}

/// Wiping a user's activities (and deleting the user) removes everything.
pub async fn activity_user_wipe(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    for i in 0..3 {
        a.insert_activity(
            rec("alice", &format!("a{i}"), i, &format!("sha256:{i}")),
            tracks(),
        )
        .await
        .unwrap();
    }
    a.insert_activity(rec("bob", "b0", 1, "sha256:b"), tracks())
        .await
        .unwrap();
    a.put_image("alice", "a0", blob("x.png", 5)).await.unwrap();
    assert_eq!(a.delete_user_activities("alice").await.unwrap(), 3);
    assert_eq!(a.storage_usage("alice").await.unwrap(), Default::default());
    assert!(a.get_activity("bob", "b0").await.unwrap().is_some());
    assert!(s.users.delete_user("bob").await.unwrap());
    assert!(
        a.get_activity("bob", "b0").await.unwrap().is_none(),
        "deleting a user deletes their activities"
    );
    assert!(a.activity_owners().await.unwrap().is_empty());
}

/// Near-duplicate candidates by start time window; `duplicate_of` flag.
pub async fn activity_find_near_and_duplicate_flag(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    for (id, t) in [("x", 1000), ("y", 1299), ("z", 1301), ("w", 700)] {
        a.insert_activity(rec("alice", id, t, &format!("sha256:{id}")), tracks())
            .await
            .unwrap();
    }
    let near = a.find_near("alice", 1000, 300).await.unwrap();
    assert_eq!(ids(&near), ["w", "x", "y"]);
    assert!(a.set_duplicate_of("alice", "y", Some("x")).await.unwrap());
    assert_eq!(
        a.get_activity("alice", "y")
            .await
            .unwrap()
            .unwrap()
            .duplicate_of
            .as_deref(),
        Some("x")
    );
    assert!(a.set_duplicate_of("alice", "y", None).await.unwrap());
    assert!(!a.set_duplicate_of("alice", "nope", None).await.unwrap());
}

/// The combined feed by offset: listed only, every owner, newest first,
/// ties broken by id then handle, with the listed total.
pub async fn activity_listed_page_offsets(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob", "carol"]).await;
    let a = &s.activities;
    let mut n = 0;
    for (h, id, t, p) in [
        ("alice", "a1", 100, Privacy::Public),
        ("alice", "a2", 300, Privacy::Unlisted),
        ("alice", "a3", 500, Privacy::NoGps),
        ("bob", "b1", 200, Privacy::BlurStart),
        ("bob", "b2", 400, Privacy::Private),
        ("bob", "x", 600, Privacy::Public),
        ("carol", "x", 600, Privacy::Public),
    ] {
        n += 1;
        let mut r = rec(h, id, t, &format!("sha256:{n}"));
        r.privacy = p;
        a.insert_activity(r, tracks()).await.unwrap();
    }
    // An edit that unlists moves the activity out of the feed.
    let mut hide = rec("carol", "c2", 700, "sha256:c2");
    hide.privacy = Privacy::Public;
    a.insert_activity(hide, tracks()).await.unwrap();
    a.patch_edits(
        "carol",
        "c2",
        ActivityEdits {
            privacy: Some(Privacy::Unlisted),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let keys = |v: &[ActivityRecord]| -> Vec<String> {
        v.iter().map(|r| format!("{}/{}", r.handle, r.id)).collect()
    };
    let (all, total) = a.listed_page(0, 100).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        keys(&all),
        ["carol/x", "bob/x", "alice/a3", "bob/b1", "alice/a1"]
    );
    let (page, total) = a.listed_page(2, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(keys(&page), ["alice/a3", "bob/b1"]);
    let (past, total) = a.listed_page(10, 2).await.unwrap();
    assert!(past.is_empty());
    assert_eq!(total, 5);
}

/// The light read: records without their detail (`Null`), with summary,
/// edits and `duplicate_of` as stored; listed = the *effective* privacy
/// (edit over extracted); `since` inclusive, `until` exclusive; newest
/// first by `(started_at, id)`; limit and cursor as in feeds; one owner or
/// everyone; `lean` leaves only `preview_coords` out of the summary.
pub async fn activity_summaries_light_and_filtered(b: &dyn Backend) {
    use bincio_core::store::SummaryQuery;
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    for (h, id, t, p) in [
        ("alice", "a1", 100, Privacy::Public),
        ("alice", "a2", 200, Privacy::Unlisted),
        ("alice", "a3", 200, Privacy::NoGps),
        ("alice", "a4", 300, Privacy::Public),
        ("alice", "a5", 400, Privacy::Private),
        ("bob", "b1", 200, Privacy::BlurStart),
        ("bob", "b2", 500, Privacy::Public),
    ] {
        let mut r = rec(h, id, t, &format!("sha256:{h}{id}"));
        r.privacy = p;
        a.insert_activity(r, tracks()).await.unwrap();
    }
    // Edits over the extracted privacy: a4 unlisted, a5 made public.
    for (id, p) in [("a4", Privacy::Unlisted), ("a5", Privacy::Public)] {
        a.patch_edits(
            "alice",
            id,
            ActivityEdits {
                privacy: Some(p),
                title: Some(format!("edited {id}")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    a.set_duplicate_of("alice", "a3", Some("a1")).await.unwrap();

    let q = |handle: Option<&str>, listed_only, since, until, limit| SummaryQuery {
        handle: handle.map(str::to_owned),
        listed_only,
        since,
        until,
        before: None,
        limit,
        lean: false,
    };
    let own = a
        .summaries(q(Some("alice"), false, None, None, 100))
        .await
        .unwrap();
    assert_eq!(
        ids(&own),
        ["a5", "a4", "a3", "a2", "a1"],
        "newest first, id tiebreak"
    );
    for r in &own {
        let full = a.get_activity("alice", &r.id).await.unwrap().unwrap();
        assert_eq!(r.detail, serde_json::Value::Null, "no detail");
        assert_ne!(full.detail, serde_json::Value::Null);
        let mut expected = full;
        expected.detail = serde_json::Value::Null;
        assert_eq!(*r, expected, "everything but the detail as stored");
    }
    assert_eq!(own[0].edits.title.as_deref(), Some("edited a5"));
    assert_eq!(own[2].duplicate_of.as_deref(), Some("a1"));

    let listed = a
        .summaries(q(Some("alice"), true, None, None, 100))
        .await
        .unwrap();
    assert_eq!(
        ids(&listed),
        ["a5", "a3", "a1"],
        "effective privacy decides"
    );

    // since inclusive, until exclusive.
    let window = a
        .summaries(q(Some("alice"), false, Some(200), Some(400), 100))
        .await
        .unwrap();
    assert_eq!(ids(&window), ["a4", "a3", "a2"]);
    let from = a
        .summaries(q(Some("alice"), false, Some(300), None, 100))
        .await
        .unwrap();
    assert_eq!(ids(&from), ["a5", "a4"]);
    let empty = a
        .summaries(q(Some("alice"), false, Some(300), Some(300), 100))
        .await
        .unwrap();
    assert!(empty.is_empty());

    // Everyone, listed, with a window; then limit and cursor.
    let all = a
        .summaries(q(None, true, Some(100), Some(500), 100))
        .await
        .unwrap();
    assert_eq!(ids(&all), ["a5", "b1", "a3", "a1"]);
    let first = a.summaries(q(None, false, None, None, 2)).await.unwrap();
    assert_eq!(ids(&first), ["b2", "a5"]);
    let last = first.last().unwrap();
    let mut next = q(None, false, None, Some(400), 3);
    next.before = Some(FeedCursor {
        started_at: last.started_at,
        id: last.id.clone(),
    });
    let page = a.summaries(next).await.unwrap();
    assert_eq!(ids(&page), ["a4", "b1", "a3"], "cursor and until together");
    assert!(a
        .summaries(q(Some("nobody"), false, None, None, 10))
        .await
        .unwrap()
        .is_empty());

    // Lean: the summary without its track preview, all else the same.
    let mut r = rec("bob", "b3", 50, "sha256:bobb3");
    r.summary = json!({"id": "b3", "title": "Preview", "distance_m": 1.5, "big": 12345678901234_i64,
                       "preview_coords": [[46.1, 7.25], [46.2, 7.3]], "mmp": [[5, 900]]});
    a.insert_activity(r.clone(), tracks()).await.unwrap();
    let mut lean = q(Some("bob"), false, None, Some(100), 10);
    lean.lean = true;
    let got = a.summaries(lean).await.unwrap();
    assert_eq!(ids(&got), ["b3"]);
    let mut want = r.summary.clone();
    want.as_object_mut().unwrap().remove("preview_coords");
    assert_eq!(got[0].summary, want);
    assert_eq!(got[0].detail, serde_json::Value::Null);
    assert_eq!(got[0].edits, r.edits);
    let full = a
        .summaries(q(Some("bob"), false, None, Some(100), 10))
        .await
        .unwrap();
    assert_eq!(
        full[0].summary, r.summary,
        "not lean: the summary as stored"
    );
}
