//! Drop-folder and Garmin-export benchmark: `cargo bench --bench
//! drop_scan` (release; `--profile dev` for a quick figure).
//!
//! Writes N synthetic GPX rides (default 1 000, `BINCIO_BENCH_N`; 600
//! points each) into a member's drop folder on a temp SQLite instance and
//! times:
//! 1. the first scan (every file read, hashed, claimed and ingested),
//! 2. a scan with nothing changed (the steady state of `--drop-interval`:
//!    a walk and one store read, no file read),
//! 3. the same rides imported as a Garmin account export (two nested ZIPs)
//!    by a second member.
//!
//! Prints one line per figure; no assertions on time. Under `cargo test`
//! (no `--bench` argument) it runs with 20 rides, as a smoke test.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bincio::core::accounts::Accounts;
use bincio::core::activities::Activities;
use bincio::core::model::Role;
use bincio::core::sources::Sources;
use bincio::core::SystemClock;
use bincio::store_sqlite::SqliteStore;

fn ride(i: usize) -> Vec<u8> {
    let start = 1_500_000_000 + i as i64 * 86_400;
    let mut pts = String::new();
    for k in 0..600i64 {
        let t = chrono::DateTime::from_timestamp(start + k * 5, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ");
        pts.push_str(&format!(
            "<trkpt lat=\"{:.6}\" lon=\"{:.6}\"><ele>{}</ele><time>{t}</time></trkpt>",
            45.0 + k as f64 * 1e-4,
            7.0 + (k as f64 / 40.0).sin() * 1e-3,
            300 + k % 40
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"bench\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><name>Ride {i}</name>\
         <trkseg>{pts}</trkseg></trk></gpx>"
    )
    .into_bytes()
}

fn export(n: usize) -> Vec<u8> {
    let opts = zip::write::SimpleFileOptions::default();
    let part = |range: std::ops::Range<usize>| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in range {
            w.start_file(format!("me@example.com_{}.gpx", 10_000_000 + i), opts)
                .unwrap();
            w.write_all(&ride(i)).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = opts.compression_method(zip::CompressionMethod::Stored);
    for (k, r) in [(1, 0..n / 2), (2, n / 2..n)] {
        w.start_file(
            format!("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part{k}.zip"),
            stored,
        )
        .unwrap();
        w.write_all(&part(r)).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("BINCIO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|_| bench)
        .unwrap_or(if bench { 1000 } else { 20 });
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).unwrap());
    let clock = Arc::new(SystemClock);
    let accounts = Accounts::new(store.clone(), clock.clone());
    let activities = Activities::new(store.clone(), store.clone(), clock);
    let sources = Sources::new(activities.clone(), store.clone(), store.clone(), dir.path());
    for h in ["alice", "bob"] {
        accounts
            .create_user(h, h, "bench-password", Role::User)
            .await
            .unwrap();
    }
    let alice = accounts.require_user("alice").await.unwrap();
    let folder = dir.path().join("drop/alice");
    std::fs::create_dir_all(&folder).unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    for i in 0..n {
        let p = folder.join(format!("ride-{i:05}.gpx"));
        std::fs::write(&p, ride(i)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let t = Instant::now();
    let s = sources.scan_drop(&alice).await.unwrap();
    let first = t.elapsed();
    assert_eq!(s.imported as usize, n, "{s:?}");
    println!(
        "drop first scan: {n} files in {:.2} s = {:.0} files/s",
        first.as_secs_f64(),
        n as f64 / first.as_secs_f64()
    );
    let t = Instant::now();
    let s = sources.scan_drop(&alice).await.unwrap();
    let idle = t.elapsed();
    assert_eq!(s.unchanged as usize, n);
    println!(
        "drop unchanged scan: {n} files in {:.1} ms",
        idle.as_secs_f64() * 1e3
    );
    let zip = dir.path().join("export.zip");
    std::fs::write(&zip, export(n)).unwrap();
    let bob = accounts.require_user("bob").await.unwrap();
    let t = Instant::now();
    activities
        .import_garmin_export(&bob, zip, None, |_| {})
        .await
        .unwrap();
    let g = t.elapsed();
    println!(
        "garmin export: {n} files in {:.2} s = {:.0} files/s",
        g.as_secs_f64(),
        n as f64 / g.as_secs_f64()
    );
}
