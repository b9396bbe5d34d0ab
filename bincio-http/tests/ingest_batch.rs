//! `Activities::ingest_batch`, the loop behind `POST /api/upload`, `bincio
//! extract` into a store and the Strava ZIP import, over SQLite: every
//! file is reported once (started, then finished with `n` counting up),
//! outcomes are counted the same way whatever the concurrency, a failed
//! or refused file is reported by name and the batch goes on.

use std::collections::BTreeSet;
use std::sync::Arc;

use bincio_core::accounts::Accounts;
use bincio_core::activities::batch::{BatchEvent, BatchFile};
use bincio_core::activities::ingest::{IngestOptions, IngestStatus};
use bincio_core::activities::Activities;
use bincio_core::model::Role;
use bincio_core::{Clock, SystemClock};
use bincio_store_sqlite::SqliteStore;

/// A 5-minute GPX walk starting at `hour`:00 UTC.
fn walk(hour: u32) -> Vec<u8> {
    let mut gpx = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#,
    );
    for i in 0..6 {
        gpx.push_str(&format!(
            r#"<trkpt lat="45.0" lon="{}"><ele>100</ele><time>2024-05-01T{hour:02}:0{i}:00Z</time></trkpt>"#,
            7.0 + f64::from(i) * 0.001
        ));
    }
    gpx.push_str("</trkseg></trk></gpx>");
    gpx.into_bytes()
}

fn file(name: &str, bytes: Vec<u8>) -> BatchFile {
    BatchFile::new(name, async move { Ok(bytes) })
}

#[derive(Debug, Default)]
struct Seen {
    started: Vec<usize>,
    finished: Vec<(usize, String, Result<IngestStatus, String>)>,
}

async fn run(concurrency: usize) -> (Seen, bincio_core::activities::batch::BatchReport) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("store"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let user = Accounts::new(store.clone(), clock.clone())
        .create_user("rider", "Rider", "rider-password", Role::User)
        .await
        .expect("user");
    let acts = Activities::new(store.clone(), store, clock);
    let files = vec![
        file("a.gpx", walk(8)),
        file("b.gpx", walk(10)),
        file("a-again.gpx", walk(8)),
        file("broken.gpx", b"<gpx>".to_vec()),
        BatchFile::refused("huge.gpx", "huge.gpx: file larger than 50 MiB".into()),
        file("notes.txt", b"hello".to_vec()),
    ];
    let mut seen = Seen::default();
    let report = acts
        .ingest_batch(
            &user,
            files,
            IngestOptions::default(),
            concurrency,
            |ev| match ev {
                BatchEvent::Started { index, .. } => seen.started.push(index),
                BatchEvent::Finished {
                    n, name, outcome, ..
                } => seen.finished.push((n, name.to_owned(), outcome.clone())),
            },
        )
        .await;
    (seen, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_file_is_reported_once_whatever_the_concurrency() {
    for concurrency in [1, 3] {
        let (seen, report) = run(concurrency).await;
        assert_eq!(seen.started, (0..6).collect::<Vec<_>>(), "{concurrency}");
        let ns: Vec<usize> = seen.finished.iter().map(|f| f.0).collect();
        assert_eq!(ns, (1..=6).collect::<Vec<_>>(), "{concurrency}");
        let names: BTreeSet<&str> = seen.finished.iter().map(|f| f.1.as_str()).collect();
        assert_eq!(names.len(), 6, "{concurrency}: {names:?}");
        assert_eq!(report.total, 6);
        assert_eq!(report.added(), 2, "{concurrency}: {report:?}");
        assert_eq!(report.duplicates, 1, "{concurrency}: {report:?}");
        assert_eq!(report.errors.len(), 3, "{concurrency}: {report:?}");
        for (_, name, outcome) in &seen.finished {
            if let Err(e) = outcome {
                assert!(e.contains(name.trim_end_matches(".gpx")), "{name}: {e}");
            }
        }
    }
}

#[tokio::test]
async fn sequential_batches_finish_in_order() {
    let (seen, _) = run(1).await;
    let names: Vec<&str> = seen.finished.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "a.gpx",
            "b.gpx",
            "a-again.gpx",
            "broken.gpx",
            "huge.gpx",
            "notes.txt"
        ]
    );
    assert!(matches!(
        seen.finished[2].2,
        Ok(IngestStatus::Duplicate { .. })
    ));
}
