//! The staff console's reads over a big event, on SQLite:
//! `cargo bench -p bincio-store-sqlite --bench event_search` (release).
//!
//! 100 000 audience attendees of the fixture event (`tests/fixtures/event`),
//! imported from one generated CSV; then the desk's search (a display
//! name, a token prefix, a CSV column value, and a query matching nothing,
//! which reads everything) and the CSV export of every attendee with each
//! scenario's state. Under `cargo test`, 2 000 attendees.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bincio_core::event::{EventConfig, EventService};
use bincio_core::{Clock, ManualClock};
use bincio_store_sqlite::SqliteStore;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n = if bench { 100_000 } else { 2_000 };
    let rounds = if bench { 30 } else { 2 };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("i.db")).expect("sqlite"));
    let event = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event");
    let config = EventConfig::load(&event).expect("fixture event");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at(1_903_827_600));
    let svc = EventService::new(config, store.clone(), store.clone(), clock);
    svc.init().await.expect("init");
    let mut csv = String::from("token,display_name,title,diet,sponsor,shirt_size\n");
    for i in 0..n {
        csv.push_str(&format!(
            "tok{i:012x}abcdef,Attendee {i:06},{},{},{},{}\n",
            if i % 10 == 0 { "speaker" } else { "" },
            if i % 2 == 0 { "veg" } else { "meat" },
            if i % 4 == 0 { "Y" } else { "N" },
            ["S", "M", "L"][i % 3],
        ));
    }
    let t = Instant::now();
    svc.import_csv("audience", csv.as_bytes())
        .await
        .expect("import");
    println!(
        "{n} attendees imported in {:.1} s (one CSV, one transaction)",
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<34} {:>9} {:>9} {:>8}",
        "read (release, SQLite)", "p50 ms", "p99 ms", "found"
    );
    for (name, q) in [
        ("search: a display name", "attendee 000042"),
        ("search: a token prefix", "tok00000000001"),
        ("search: a column value (veg)", "veg"),
        ("search: no match (reads all)", "zzzz-nobody"),
    ] {
        let mut times = Vec::with_capacity(rounds);
        let mut found = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            found = svc.search(q, None, 0, 50).await.expect("search").total;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{name:<34} {:>9.1} {:>9.1} {found:>8}",
            pct(&times, 0.5),
            pct(&times, 0.99)
        );
    }
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..rounds.min(10) {
        let t = Instant::now();
        bytes = svc
            .export_csv(Some("audience"))
            .await
            .expect("export")
            .len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{:<34} {:>9.1} {:>9.1} {:>8}",
        "CSV export of every attendee",
        pct(&times, 0.5),
        pct(&times, 0.99),
        format!("{} KB", bytes / 1024)
    );
}
