//! `ActivityStore::orphans` on SQLite: rows no activity reaches can only
//! come from a database edited with foreign keys off; they are found and
//! removed, and live rows are kept.

use std::sync::Arc;

use bincio_core::model::Orphans;
use bincio_core::store::{ActivityStore, UserStore};
use bincio_store_conformance::activities::{rec, tracks};
use bincio_store_sqlite::SqliteStore;

#[tokio::test]
async fn rows_of_no_activity_are_found_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("instance.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    store
        .create_user(bincio_core::model::NewUser {
            handle: "alice".into(),
            display_name: "Alice".into(),
            password_hash: "x".into(),
            role: bincio_core::model::Role::User,
            created_at: 1,
        })
        .await
        .unwrap();
    store
        .insert_activity(rec("alice", "a1", 1, "sha256:1"), tracks())
        .await
        .unwrap();
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO activity_tracks (handle, id, timeseries, geojson)
                 VALUES ('alice', 'gone', NULL, NULL);
             INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
                 VALUES ('alice', 'gone', 'image', 'p.jpg', 'image/jpeg', 3, x'010203'),
                        ('bob', 'x', 'original', 'o.fit', 'application/octet-stream', 1, x'01');",
        )
        .unwrap();
    }
    let want = Orphans {
        tracks: 1,
        blobs: 2,
        chunks: 0,
    };
    assert_eq!(store.orphans(false, 0).await.unwrap(), want);
    assert_eq!(
        store.orphans(false, 0).await.unwrap(),
        want,
        "counting removes nothing"
    );
    assert_eq!(store.orphans(true, 0).await.unwrap(), want);
    assert_eq!(store.orphans(false, 0).await.unwrap(), Orphans::default());
    assert_eq!(
        store.get_tracks("alice", "a1").await.unwrap().unwrap(),
        tracks()
    );
}
