//! Conformance cases of [`SourceStore`](bincio_core::store::SourceStore):
//! drop-folder settings, atomic claims of file versions, the bounded
//! history of sync runs.

use std::sync::Arc;

use super::{Backend, Stores};
use bincio_core::model::{DropConfig, DropFile, NewUser, Role, SyncItem, SyncRun};

async fn with_users(b: &dyn Backend, handles: &[&str]) -> Stores {
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

fn file(path: &str, hash: &str, mtime_ms: i64, claimed_at: i64) -> DropFile {
    DropFile {
        path: path.into(),
        size: 100,
        mtime_ms,
        hash: hash.into(),
        claimed_at,
        done: false,
    }
}

fn run(handle: &str, id: &str, started_at: i64) -> SyncRun {
    SyncRun {
        id: id.into(),
        handle: handle.into(),
        source: "drop".into(),
        started_at,
        finished_at: started_at + 1,
        imported: 1,
        duplicates: 2,
        errors: 1,
        items: vec![
            SyncItem {
                name: "a/ride.fit".into(),
                status: "imported".into(),
                id: Some("20260101T000000Z".into()),
                detail: None,
            },
            SyncItem {
                name: "notes.txt".into(),
                status: "error".into(),
                id: None,
                detail: Some("notes.txt: not an activity file".into()),
            },
        ],
    }
}

/// Defaults until set; a folder set and reset; the scan time kept apart
/// from it; nothing for a handle without a user.
pub async fn sources_drop_config_roundtrip(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    let src = &s.sources;
    assert_eq!(
        src.drop_config("alice").await.unwrap(),
        DropConfig::default()
    );
    assert!(src
        .set_drop_folder("alice", Some("/srv/garmin/alice"))
        .await
        .unwrap());
    src.mark_drop_scanned("alice", 50).await.unwrap();
    assert_eq!(
        src.drop_config("alice").await.unwrap(),
        DropConfig {
            folder: Some("/srv/garmin/alice".into()),
            last_scan_at: Some(50),
        }
    );
    assert!(src.set_drop_folder("alice", None).await.unwrap());
    let c = src.drop_config("alice").await.unwrap();
    assert_eq!((c.folder, c.last_scan_at), (None, Some(50)));
    assert!(!src.set_drop_folder("nobody", Some("/x")).await.unwrap());
    src.mark_drop_scanned("nobody", 1).await.unwrap();
    assert_eq!(
        src.drop_config("nobody").await.unwrap(),
        DropConfig::default()
    );
}

/// A version is claimed once; the same content touched is remembered
/// unclaimed; new content is claimed again; a claim not finished within
/// the lease can be taken over, a finished one never.
pub async fn sources_drop_claim_rules(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let src = &s.sources;
    assert!(src
        .claim_drop_file("alice", &file("r.fit", "h1", 10, 100), 60)
        .await
        .unwrap());
    // Another scan, same version, within the lease.
    assert!(!src
        .claim_drop_file("alice", &file("r.fit", "h1", 10, 120), 60)
        .await
        .unwrap());
    // Past the lease and still not done: taken over.
    assert!(src
        .claim_drop_file("alice", &file("r.fit", "h1", 10, 161), 60)
        .await
        .unwrap());
    src.finish_drop_file("alice", "r.fit", "h1").await.unwrap();
    // Done: never again, however late; a touch updates the mtime.
    assert!(!src
        .claim_drop_file("alice", &file("r.fit", "h1", 20, 9_999), 60)
        .await
        .unwrap());
    let files = src.drop_files("alice").await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (
            files[0].mtime_ms,
            files[0].hash.as_str(),
            files[0].done,
            files[0].claimed_at
        ),
        (20, "h1", true, 161)
    );
    // New content: claimed; finishing the old hash does not mark it.
    assert!(src
        .claim_drop_file("alice", &file("r.fit", "h2", 30, 10_000), 60)
        .await
        .unwrap());
    src.finish_drop_file("alice", "r.fit", "h1").await.unwrap();
    let f = &src.drop_files("alice").await.unwrap()[0];
    assert_eq!((f.hash.as_str(), f.done), ("h2", false));
    // Per member, per path.
    assert!(src
        .claim_drop_file("bob", &file("r.fit", "h2", 30, 10_000), 60)
        .await
        .unwrap());
    assert!(src
        .claim_drop_file("alice", &file("sub/x.gpx", "h2", 30, 10_000), 60)
        .await
        .unwrap());
    let paths: Vec<String> = src
        .drop_files("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(paths, ["r.fit", "sub/x.gpx"]);
    // No user, no claim.
    assert!(!src
        .claim_drop_file("nobody", &file("r.fit", "h1", 1, 1), 60)
        .await
        .unwrap());
    // The rows go with the member.
    src.record_sync_run(&run("alice", "00000000000000a1", 5), 10)
        .await
        .unwrap();
    src.set_drop_folder("alice", Some("/d")).await.unwrap();
    assert!(s.users.delete_user("alice").await.unwrap());
    assert!(src.drop_files("alice").await.unwrap().is_empty());
    assert!(src.sync_runs("alice", 10).await.unwrap().is_empty());
    assert_eq!(
        src.drop_config("alice").await.unwrap(),
        DropConfig::default()
    );
    assert_eq!(src.drop_files("bob").await.unwrap().len(), 1);
}

/// Many scans claiming one version at once (a scheduled scan and a manual
/// one, two processes): exactly one wins, for a new path and for new
/// content of a known path.
pub async fn sources_concurrent_claims_once(b: &dyn Backend) {
    let s = with_users(b, &["alice"]).await;
    for (round, hash) in ["h1", "h2"].into_iter().enumerate() {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let src = Arc::clone(&s.sources);
                let f = file("ride.fit", hash, round as i64, 100 + i);
                tokio::spawn(async move { src.claim_drop_file("alice", &f, 600).await })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one claim wins");
    }
}

/// Runs come back newest first with their items; each member keeps only
/// the newest `keep`; ids are unique.
pub async fn sources_sync_runs_bounded(b: &dyn Backend) {
    let s = with_users(b, &["alice", "bob"]).await;
    let src = &s.sources;
    for i in 0..5 {
        src.record_sync_run(&run("alice", &format!("00000000000000a{i}"), 10 + i), 3)
            .await
            .unwrap();
    }
    src.record_sync_run(&run("bob", "00000000000000b0", 1), 3)
        .await
        .unwrap();
    let runs = src.sync_runs("alice", 10).await.unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["00000000000000a4", "00000000000000a3", "00000000000000a2"]
    );
    assert_eq!(runs[0], run("alice", "00000000000000a4", 14));
    assert_eq!(src.sync_runs("alice", 1).await.unwrap().len(), 1);
    assert_eq!(src.sync_runs("bob", 10).await.unwrap().len(), 1);
    let again = src
        .record_sync_run(&run("alice", "00000000000000a4", 20), 3)
        .await;
    assert!(again.is_err(), "a run id is unique");
    // Unknown member: nothing recorded.
    src.record_sync_run(&run("nobody", "00000000000000c0", 1), 3)
        .await
        .unwrap();
    assert!(src.sync_runs("nobody", 10).await.unwrap().is_empty());
}
