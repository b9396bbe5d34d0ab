//! `ActivityStore::orphans` on MongoDB: what a process killed between the
//! steps of a write or a deletion leaves (bytes without the document naming
//! them, a manifest or tracks of a deleted activity) is found and removed;
//! pieces younger than the cutoff (a write may still be finishing) and
//! every live piece are kept.
//!
//! Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).

use bincio_core::model::{Blob, NewUser, Orphans, Role};
use bincio_core::store::{ActivityStore, UserStore};
use bincio_store_conformance::activities::{rec, tracks};
use mongodb::bson::{doc, oid::ObjectId, spec::BinarySubtype, Binary, Document};

/// An ObjectId minted `secs_ago` seconds ago.
fn oid_aged(secs_ago: u32) -> ObjectId {
    let now = ObjectId::new();
    let mut b = now.bytes();
    let t = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) - secs_ago;
    b[..4].copy_from_slice(&t.to_be_bytes());
    ObjectId::from_bytes(b)
}

fn bin(n: usize) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes: vec![9; n],
    }
}

#[tokio::test]
async fn leftovers_of_a_crash_are_found_and_removed() {
    let Some(base) = bincio_store_mongo::testkit::base_url("mongo_orphans") else {
        return;
    };
    let (store, _guard) = bincio_store_mongo::testkit::fresh_store(&base).await;
    store
        .create_user(NewUser {
            handle: "alice".into(),
            display_name: "Alice".into(),
            password_hash: "x".into(),
            role: Role::User,
            created_at: 1,
        })
        .await
        .unwrap();
    store
        .insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    let original = Blob {
        name: "ride.fit".into(),
        content_type: "application/vnd.ant.fit".into(),
        bytes: vec![5; 20 * 1024 * 1024],
    };
    store
        .put_original("alice", "a1", original.clone())
        .await
        .unwrap();

    let db = store.database();
    let dead = oid_aged(7200);
    // Bytes written, the manifest never was (killed in between).
    let lost = oid_aged(7200);
    db.collection::<Document>("activity_chunks")
        .insert_many([
            doc! { "c": lost, "n": 0, "aid": dead, "handle": "alice", "data": bin(10) },
            doc! { "c": lost, "n": 1, "aid": dead, "handle": "alice", "data": bin(10) },
        ])
        .await
        .unwrap();
    // A write in progress right now: too young to be judged.
    let fresh = ObjectId::new();
    db.collection::<Document>("activity_chunks")
        .insert_one(doc! { "c": fresh, "n": 0, "aid": dead, "handle": "alice", "data": bin(10) })
        .await
        .unwrap();
    // A deletion killed after removing the activity: its manifest and
    // tracks stay.
    db.collection::<Document>("activity_blobs")
        .insert_one(doc! {
            "_id": format!("{dead}/image/p.jpg"), "aid": dead, "handle": "alice", "id": "gone",
            "kind": "image", "name": "p.jpg", "content_type": "image/jpeg", "size": 3_i64,
            "inline": bin(3),
        })
        .await
        .unwrap();
    db.collection::<Document>("activity_tracks")
        .insert_one(doc! { "_id": oid_aged(7200), "aid": dead, "handle": "alice", "size": 2_i64, "inline": bin(2) })
        .await
        .unwrap();

    let cutoff = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
        - 3600;
    let want = Orphans {
        tracks: 1,
        blobs: 1,
        chunks: 1,
    };
    assert_eq!(store.orphans(false, cutoff).await.unwrap(), want);
    assert_eq!(store.orphans(true, cutoff).await.unwrap(), want);
    assert_eq!(
        store.orphans(false, cutoff).await.unwrap(),
        Orphans::default()
    );
    let young = db
        .collection::<Document>("activity_chunks")
        .count_documents(doc! { "c": fresh })
        .await
        .unwrap();
    assert_eq!(young, 1, "a piece younger than the cutoff is kept");
    assert_eq!(
        store.get_original("alice", "a1").await.unwrap().unwrap(),
        original,
        "the live chunked original is whole"
    );
    assert_eq!(
        store.get_tracks("alice", "a1").await.unwrap().unwrap(),
        tracks()
    );
}
