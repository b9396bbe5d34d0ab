//! Staff check-ins with and without the audit log, on SQLite, in one run:
//! `cargo bench -p bincio-store-sqlite --bench event_audit` (release).
//!
//! 20 000 attendees; every attendee checked in once through
//! `AttendeeStore::use_scenario` (one `BEGIN IMMEDIATE` transaction each),
//! by 16 concurrent tasks; first without an audit entry, then on a fresh
//! store with one (and a nonce) per use — the extra work the log costs a
//! check-in. Under `cargo test`, 500 attendees.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use bincio_core::event::audit::AuditDraft;
use bincio_core::event::model::Scenario;
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{ImportAttendee, ImportScenario, UseRequest};
use bincio_core::store::AttendeeStore;
use bincio_store_sqlite::SqliteStore;

const T: i64 = 1_900_000_000;

fn attendee(i: usize) -> ImportAttendee {
    ImportAttendee {
        id: new_oid(T),
        event_id: "EV".into(),
        token: format!("token-{i:08}"),
        user_id: format!("Attendee {i}"),
        attr: vec![],
        role: "audience".into(),
        scenarios: vec![ImportScenario {
            scenario: Scenario {
                id: "checkin".into(),
                order: 0,
                display_text: vec![("en-US".into(), "Check-in".into())],
                available_time: T,
                expire_time: T + 86_400,
                used: None,
                disabled: None,
                countdown: 0,
                attr: vec![],
            },
            affected_by: vec![],
        }],
    }
}

async fn run(n: usize, audited: bool) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("i.db")).expect("sqlite"));
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        store
            .import_attendees(chunk.iter().map(|i| attendee(*i)).collect())
            .await
            .expect("import");
    }
    let start = Instant::now();
    let tasks = 16;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for i in (t..n).step_by(tasks) {
                let req = UseRequest {
                    token: format!("token-{i:08}"),
                    scenario_id: "checkin".into(),
                    now: T + 10,
                    effects: BTreeMap::new(),
                    deliver: BTreeMap::new(),
                    audit: audited.then(|| AuditDraft {
                        id: new_oid(T + 10),
                        actor: "staff:bench".into(),
                        nonce: std::env::var("NO_NONCE")
                            .is_err()
                            .then(|| format!("scan-{i}")),
                    }),
                };
                store.use_scenario(req).await.expect("use").expect("ok");
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n = if bench { 20_000 } else { 500 };
    println!("{n} staff check-ins on SQLite, 16 concurrent tasks (release build)");
    let plain = run(n, false).await;
    let audited = run(n, true).await;
    println!("without audit log: {plain:>8.0} check-ins/s");
    println!(
        "with audit log:    {audited:>8.0} check-ins/s ({:.0} %)",
        audited / plain * 100.0
    );
}
