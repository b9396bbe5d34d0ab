//! What several processes on one SQLite file pay to coordinate, in one run:
//! `cargo bench -p bincio-store-sqlite --bench coord` (release).
//!
//! 16 concurrent tasks on one store: failed attempts counted
//! (`CoordStore::count_failure`, one `INSERT … ON CONFLICT … RETURNING`
//! each) over 1 000 keys, the limiter's read of a login's two windows
//! (`failure_windows`), job-row writes (`put_job`, what the job flusher
//! does at most once a second per job) and lease acquires (one per
//! scheduled tick). Under `cargo test`, a tenth of the work.

use std::sync::Arc;
use std::time::Instant;

use bincio_core::jobs::JobInfo;
use bincio_core::store::{CoordStore, JobRow};
use bincio_store_sqlite::SqliteStore;

const TASKS: usize = 16;

async fn rate<F, Fut>(store: &Arc<SqliteStore>, n: usize, op: F) -> f64
where
    F: Fn(Arc<SqliteStore>, usize) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let s = store.clone();
            tokio::spawn(async move {
                for i in (t..n).step_by(TASKS) {
                    op(s.clone(), i).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 2_000 } else { 20_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(dir.path().join("i.db")).expect("sqlite"));
        let count = rate(&store, n, |s, i| async move {
            s.count_failure(
                &format!("login|10.0.{}.{}|bob", i % 1000 / 250, i % 250),
                1_000,
                900,
            )
            .await
            .expect("count");
        })
        .await;
        let read = rate(&store, n, |s, i| async move {
            let keys = [
                format!("login|10.0.0.{}|bob", i % 250),
                format!("login-client|10.0.0.{}", i % 250),
            ];
            s.failure_windows(&keys, 1_000, 900).await.expect("read");
        })
        .await;
        let jobs = rate(&store, n, |s, i| async move {
            s.put_job(&JobRow {
                info: JobInfo {
                    id: format!("{:08x}", i % 64),
                    user: "alice".into(),
                    kind: "upload".into(),
                    started_at: 1_000,
                    total: 100,
                    done: i as u64,
                    current: "ride.gpx".into(),
                },
                owner: "p1".into(),
                expires_at: 1_030,
            })
            .await
            .expect("job");
        })
        .await;
        let leases = rate(&store, n, |s, i| async move {
            s.acquire_lease(
                &format!("tick{}", i % 8),
                &format!("p{}", i % 2),
                i as i64,
                10,
            )
            .await
            .expect("lease");
        })
        .await;
        println!("coord on SQLite, {TASKS} tasks, {n} operations of each kind:");
        println!("  count_failure     {count:>9.0} /s");
        println!("  failure_windows   {read:>9.0} /s (a login's two keys)");
        println!("  put_job           {jobs:>9.0} /s");
        println!("  acquire_lease     {leases:>9.0} /s");
    });
}
