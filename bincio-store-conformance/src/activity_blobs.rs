//! Conformance cases of [`ActivityStore`](bincio_core::store::ActivityStore):
//! originals and photos, storage usage, large payloads, and the per-user
//! change counters.

use serde_json::json;

use super::activities::{rec, tracks, with_users};
use super::Backend;
use bincio_core::model::{ActivityEdits, ActivityTracks, Blob};
use bincio_core::store::StoreError;

pub(crate) fn blob(name: &str, n: usize) -> Blob {
    Blob {
        name: name.to_owned(),
        content_type: "image/jpeg".into(),
        bytes: vec![7; n],
    }
}

/// Photos and originals: names unique per activity, usage in bytes,
/// originals dropped on request, everything gone with the activity.
pub async fn activity_blobs_and_usage(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    a.insert_activity(rec("alice", "a2", 2, "sha256:2"), tracks())
        .await
        .unwrap();
    a.put_image("alice", "a1", blob("b.jpg", 100))
        .await
        .unwrap();
    a.put_image("alice", "a1", blob("a.jpg", 50)).await.unwrap();
    let dup = a.put_image("alice", "a1", blob("a.jpg", 1)).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let orphan = a.put_image("alice", "nope", blob("a.jpg", 1)).await;
    assert!(matches!(orphan, Err(StoreError::NotFound(_))), "{orphan:?}");
    assert_eq!(
        a.list_images("alice", "a1").await.unwrap(),
        ["a.jpg", "b.jpg"]
    );
    assert_eq!(
        a.get_image("alice", "a1", "b.jpg")
            .await
            .unwrap()
            .unwrap()
            .bytes
            .len(),
        100
    );
    assert!(a.get_image("alice", "a2", "b.jpg").await.unwrap().is_none());
    let orig = Blob {
        name: "ride.fit".into(),
        content_type: "application/vnd.ant.fit".into(),
        bytes: vec![1; 1000],
    };
    a.put_original("alice", "a2", orig.clone()).await.unwrap();
    assert_eq!(a.get_original("alice", "a2").await.unwrap().unwrap(), orig);
    let u = a.storage_usage("alice").await.unwrap();
    assert_eq!(u.activities_count, 2);
    assert!(u.activities_bytes > 0);
    assert_eq!(u.images_bytes, 150);
    assert_eq!(u.originals_bytes, 1000);
    assert_eq!(a.delete_originals("alice").await.unwrap(), 1000);
    assert!(a.get_original("alice", "a2").await.unwrap().is_none());
    assert!(a.delete_image("alice", "a1", "a.jpg").await.unwrap());
    assert!(!a.delete_image("alice", "a1", "a.jpg").await.unwrap());
    assert!(a.delete_activity("alice", "a1").await.unwrap());
    assert!(!a.delete_activity("alice", "a1").await.unwrap());
    assert!(a.get_image("alice", "a1", "b.jpg").await.unwrap().is_none());
    assert!(a.get_tracks("alice", "a1").await.unwrap().is_none());
    // Re-inserting the same id starts clean.
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    assert!(a.list_images("alice", "a1").await.unwrap().is_empty());
    assert_eq!(a.storage_usage("alice").await.unwrap().images_bytes, 0);
}

/// Originals larger than a MongoDB document (16 MiB; uploads may be 50 MiB)
/// and large tracks round-trip byte for byte; replacing an original frees
/// the old bytes.
pub async fn activity_large_original_and_tracks(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let a = &s.activities;
    let big = |n: usize, seed: u8| -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 16) as u8)
            .collect()
    };
    // ~5 MiB of timeseries JSON.
    let series: Vec<f64> = (0..400_000).map(|i| f64::from(i) * 0.5).collect();
    let large_tracks = ActivityTracks {
        timeseries: Some(json!({ "t": series, "lat": series })),
        geojson: tracks().geojson,
    };
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), large_tracks.clone())
        .await
        .unwrap();
    assert_eq!(
        a.get_tracks("alice", "a1").await.unwrap().unwrap(),
        large_tracks
    );
    let orig = Blob {
        name: "ride.fit".into(),
        content_type: "application/vnd.ant.fit".into(),
        bytes: big(17 * 1024 * 1024 + 3, 1),
    };
    a.put_original("alice", "a1", orig.clone()).await.unwrap();
    assert_eq!(a.get_original("alice", "a1").await.unwrap().unwrap(), orig);
    let smaller = Blob {
        name: "ride2.fit".into(),
        content_type: "application/vnd.ant.fit".into(),
        bytes: big(5 * 1024 * 1024, 2),
    };
    a.put_original("alice", "a1", smaller.clone())
        .await
        .unwrap();
    assert_eq!(
        a.get_original("alice", "a1").await.unwrap().unwrap(),
        smaller
    );
    let u = a.storage_usage("alice").await.unwrap();
    assert_eq!(u.originals_bytes, smaller.bytes.len() as u64);
    // Re-extraction with small tracks replaces the large ones.
    assert!(a
        .replace_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap());
    assert_eq!(
        a.get_tracks("alice", "a1").await.unwrap().unwrap(),
        tracks()
    );
    assert_eq!(
        a.get_original("alice", "a1").await.unwrap().unwrap(),
        smaller,
        "original kept by replace"
    );
    assert_eq!(
        a.delete_originals("alice").await.unwrap(),
        smaller.bytes.len() as u64
    );
    assert!(a.get_original("alice", "a1").await.unwrap().is_none());
}

/// Every kind of write moves the owner's change counter forward (and only
/// the owner's); counters survive the account; photos list per user.
pub async fn activity_generations_and_user_images(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    let generation = |h: &'static str| async move {
        a.activity_generations()
            .await
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == h)
            .map_or(0, |(_, g)| g)
    };
    let mut last = generation("alice").await;
    assert_eq!(last, 0, "never written");
    let mut moved = |what: &str, now: u64| {
        assert!(now > last, "{what}: counter {now} did not move past {last}");
        last = now;
    };
    a.insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    moved("insert", generation("alice").await);
    a.insert_activity(rec("alice", "a2", 2, "sha256:2"), tracks())
        .await
        .unwrap();
    moved("second insert", generation("alice").await);
    let edit = ActivityEdits {
        title: Some("Edited".into()),
        ..Default::default()
    };
    a.patch_edits("alice", "a1", edit).await.unwrap();
    moved("edit", generation("alice").await);
    let mut r = rec("alice", "a1", 1, "sha256:1b");
    r.summary = json!({"id": "a1", "title": "Re-extracted"});
    assert!(a.replace_activity(r, tracks()).await.unwrap());
    moved("replace", generation("alice").await);
    assert!(a.set_duplicate_of("alice", "a2", Some("a1")).await.unwrap());
    moved("duplicate flag", generation("alice").await);
    a.put_image("alice", "a2", blob("z.png", 3)).await.unwrap();
    moved("photo added", generation("alice").await);
    a.put_image("alice", "a1", blob("b.jpg", 3)).await.unwrap();
    a.put_image("alice", "a1", blob("a.jpg", 3)).await.unwrap();
    moved("photos added", generation("alice").await);
    assert_eq!(
        a.list_user_images("alice").await.unwrap(),
        [
            ("a1".to_owned(), "a.jpg".to_owned()),
            ("a1".to_owned(), "b.jpg".to_owned()),
            ("a2".to_owned(), "z.png".to_owned()),
        ]
    );
    assert!(a.list_user_images("bob").await.unwrap().is_empty());
    assert!(a.delete_image("alice", "a1", "a.jpg").await.unwrap());
    moved("photo removed", generation("alice").await);
    assert!(a.delete_activity("alice", "a2").await.unwrap());
    moved("delete", generation("alice").await);
    assert_eq!(generation("bob").await, 0, "others untouched");
    a.delete_user_activities("alice").await.unwrap();
    moved("wipe", generation("alice").await);
    assert!(s.users.delete_user("alice").await.unwrap());
    assert!(
        generation("alice").await >= last,
        "a counter outlives its account"
    );
}

/// Every write and deletion path leaves nothing unreachable behind: after
/// inserts, re-extractions with large (chunked) tracks, originals replaced
/// by larger and smaller ones, photos added and removed, an activity
/// deleted and a user's activities wiped, `orphans` finds nothing even
/// with no grace at all (`cutoff` = the far future), and asking it to
/// remove leaves every live piece readable.
pub async fn activity_orphans_none_after_every_write_path(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let a = &s.activities;
    let series: Vec<f64> = (0..300_000).map(|i| f64::from(i) * 0.25).collect();
    let large = ActivityTracks {
        timeseries: Some(json!({ "t": series })),
        geojson: tracks().geojson,
    };
    for (h, id, t) in [("alice", "a1", 1), ("alice", "a2", 2), ("bob", "b1", 3)] {
        a.insert_activity(rec(h, id, t, &format!("sha256:{id}")), tracks())
            .await
            .unwrap();
    }
    assert!(a
        .replace_activity(rec("alice", "a1", 1, "sha256:a1"), large.clone())
        .await
        .unwrap());
    let original = |n: usize| Blob {
        name: "ride.fit".into(),
        content_type: "application/vnd.ant.fit".into(),
        bytes: vec![3; n],
    };
    a.put_original("alice", "a1", original(17 * 1024 * 1024))
        .await
        .unwrap();
    a.put_original("alice", "a1", original(1000)).await.unwrap();
    a.put_original("alice", "a2", original(9 * 1024 * 1024))
        .await
        .unwrap();
    a.put_image("alice", "a1", blob("p.jpg", 10)).await.unwrap();
    a.put_image("alice", "a2", blob("q.jpg", 10)).await.unwrap();
    a.put_image("bob", "b1", blob("r.jpg", 10)).await.unwrap();
    assert!(a.delete_image("alice", "a1", "p.jpg").await.unwrap());
    assert!(a.delete_activity("alice", "a2").await.unwrap());
    assert_eq!(a.delete_user_activities("bob").await.unwrap(), 1);

    let none = bincio_core::model::Orphans::default();
    assert_eq!(a.orphans(false, i64::MAX).await.unwrap(), none);
    assert_eq!(a.orphans(true, i64::MAX).await.unwrap(), none);
    assert_eq!(a.get_tracks("alice", "a1").await.unwrap().unwrap(), large);
    assert_eq!(
        a.get_original("alice", "a1")
            .await
            .unwrap()
            .unwrap()
            .bytes
            .len(),
        1000
    );
    assert!(a.list_images("alice", "a1").await.unwrap().is_empty());
}
