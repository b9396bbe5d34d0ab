//! Conformance cases of [`CoordStore`](bincio_core::store::CoordStore) —
//! job rows, failure windows, leases — and of the services built on it
//! (the rate limiter, the job registry, leases), so what several processes
//! on one database share behaves alike on every backend.

use std::sync::Arc;
use std::time::Duration;

use super::{Backend, Stores};
use bincio_core::clock::ManualClock;
use bincio_core::jobs::{JobInfo, JobRegistry, JOB_TTL_S};
use bincio_core::lease::Leases;
use bincio_core::ratelimit::{
    Attempt, RateLimiter, LOGIN_PER_ACCOUNT, LOGIN_PER_CLIENT, REGISTER_PER_CLIENT, WINDOW_SECS,
};
use bincio_core::store::{CoordStore, FailureWindow, JobRow};
use bincio_core::CoreError;

fn coord(s: &Stores) -> Arc<dyn CoordStore> {
    s.users.clone()
}

fn row(id: &str, owner: &str, started_at: i64, expires_at: i64) -> JobRow {
    JobRow {
        info: JobInfo {
            id: id.into(),
            user: "alice".into(),
            kind: "upload".into(),
            started_at,
            total: 3,
            done: 0,
            current: String::new(),
        },
        owner: owner.into(),
        expires_at,
    }
}

/// Rows are listed oldest first while alive, replaced by their owner only,
/// deleted by their owner only, and purged once expired.
pub async fn coord_jobs_lifecycle(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    c.put_job(&row("0000000b", "p1", 20, 100)).await.unwrap();
    c.put_job(&row("0000000a", "p2", 10, 50)).await.unwrap();
    let ids = |v: Vec<JobRow>| v.into_iter().map(|r| r.info.id).collect::<Vec<_>>();
    assert_eq!(ids(c.list_jobs(0).await.unwrap()), ["0000000a", "0000000b"]);
    let mut j = row("0000000b", "p1", 20, 130);
    j.info.done = 2;
    j.info.total = 5;
    j.info.current = "b.gpx".into();
    c.put_job(&j).await.unwrap();
    // Another owner's row with the same id is left alone.
    c.put_job(&row("0000000b", "p9", 1, 999)).await.unwrap();
    let l = c.list_jobs(0).await.unwrap();
    assert_eq!(l[1], j);
    assert_eq!(l.len(), 2);
    // Expired rows are not listed, and purged.
    assert_eq!(ids(c.list_jobs(50).await.unwrap()), ["0000000b"]);
    assert_eq!(c.purge_jobs(50).await.unwrap(), 1);
    assert_eq!(ids(c.list_jobs(0).await.unwrap()), ["0000000b"]);
    assert!(!c.delete_job("0000000b", "p2").await.unwrap(), "not p2's");
    assert!(c.delete_job("0000000b", "p1").await.unwrap());
    assert!(!c.delete_job("0000000b", "p1").await.unwrap());
    assert!(c.list_jobs(0).await.unwrap().is_empty());
}

/// A window grows by one per failure, restarts once `window_s` old, reads
/// back per key in order, and old windows are purged.
pub async fn coord_failure_windows(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    let w = |started, failures| FailureWindow { started, failures };
    assert_eq!(c.count_failure("k", 1000, 60).await.unwrap(), w(1000, 1));
    assert_eq!(c.count_failure("k", 1030, 60).await.unwrap(), w(1000, 2));
    assert_eq!(c.count_failure("j", 1030, 60).await.unwrap(), w(1030, 1));
    let keys = ["k".to_owned(), "none".to_owned(), "j".to_owned()];
    assert_eq!(
        c.failure_windows(&keys, 1059, 60).await.unwrap(),
        [Some(w(1000, 2)), None, Some(w(1030, 1))]
    );
    assert_eq!(
        c.failure_windows(&keys, 1060, 60).await.unwrap(),
        [None, None, Some(w(1030, 1))],
        "a window is over once window_s old"
    );
    assert_eq!(c.count_failure("k", 1060, 60).await.unwrap(), w(1060, 1));
    assert_eq!(c.purge_failures(1090, 60).await.unwrap(), 1, "j only");
    assert_eq!(
        c.failure_windows(&keys, 1060, 60).await.unwrap(),
        [Some(w(1060, 1)), None, None]
    );
}

/// N concurrent failures of one key count N: each sees a distinct count.
pub async fn coord_concurrent_failures_count_all(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    // A stale window first, so the racers also race its restart.
    c.count_failure("k", 0, 60).await.unwrap();
    let n = 16;
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.count_failure("k", 1000, 60).await })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        let w = t.await.unwrap().unwrap();
        assert_eq!(w.started, 1000);
        seen.push(w.failures);
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=n).collect::<Vec<u32>>());
    let now = c
        .failure_windows(&["k".to_owned()], 1000, 60)
        .await
        .unwrap();
    assert_eq!(
        now,
        [Some(FailureWindow {
            started: 1000,
            failures: n
        })]
    );
}

/// A lease is taken when free, renewed by its owner, refused to others
/// until it expires, then taken over; released only by its owner.
pub async fn coord_lease_rules(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    assert_eq!(c.lease("scan", 0).await.unwrap(), None);
    assert!(c.acquire_lease("scan", "a", 100, 10).await.unwrap());
    assert_eq!(c.lease("scan", 100).await.unwrap(), Some(("a".into(), 110)));
    assert!(!c.acquire_lease("scan", "b", 105, 10).await.unwrap());
    assert!(
        c.acquire_lease("scan", "a", 108, 10).await.unwrap(),
        "renewed"
    );
    assert!(!c.acquire_lease("scan", "b", 117, 10).await.unwrap());
    assert!(c.acquire_lease("other", "b", 117, 10).await.unwrap());
    assert_eq!(c.lease("scan", 118).await.unwrap(), None, "expired");
    assert!(
        c.acquire_lease("scan", "b", 118, 10).await.unwrap(),
        "taken over"
    );
    assert!(
        !c.release_lease("scan", "a").await.unwrap(),
        "not a's any more"
    );
    assert!(!c.acquire_lease("scan", "a", 119, 10).await.unwrap());
    assert!(c.release_lease("scan", "b").await.unwrap());
    assert!(
        c.acquire_lease("scan", "a", 119, 10).await.unwrap(),
        "free again"
    );
}

/// Among concurrent acquirers of a free lease, and then of an expired one,
/// exactly one wins.
pub async fn coord_concurrent_lease_one_wins(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    for (round, now) in [(0, 100), (1, 200)] {
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let c = c.clone();
                let owner = format!("r{round}-p{i}");
                tokio::spawn(async move { c.acquire_lease("tick", &owner, now, 50).await })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            if t.await.unwrap().unwrap() {
                won += 1;
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one acquirer wins");
    }
}

fn login<'a>(client: &'a str, handle: &'a str) -> Attempt<'a> {
    Attempt::Login { client, handle }
}

/// The limiter's rules over the store: per (client, handle), per client,
/// non-handles sharing a key, windows ending.
pub async fn ratelimit_rules(b: &dyn Backend) {
    let s = b.fresh().await;
    let clock = Arc::new(ManualClock::at(1_000));
    let rl = RateLimiter::new(coord(&s), clock.clone());
    for i in 0..LOGIN_PER_ACCOUNT {
        // Case and spaces do not make a fresh key.
        let h = if i % 2 == 0 { "bob" } else { " BOB " };
        assert!(rl.allowed(login("a", h)).await.unwrap());
        rl.record_failure(login("a", h)).await;
    }
    assert!(!rl.allowed(login("a", "bob")).await.unwrap());
    assert!(
        rl.allowed(login("a", "alice")).await.unwrap(),
        "a neighbour's account"
    );
    assert!(
        rl.allowed(login("b", "bob")).await.unwrap(),
        "another client"
    );
    assert!(rl.allowed(Attempt::Register { client: "a" }).await.unwrap());
    // retry_after is the rest of the window.
    assert_eq!(rl.retry_after(login("a", "bob")).await, WINDOW_SECS as u64);
    clock.advance(60);
    assert_eq!(
        rl.retry_after(login("a", "bob")).await,
        WINDOW_SECS as u64 - 60
    );
    assert_eq!(rl.retry_after(login("a", "alice")).await, 0);
    clock.advance(WINDOW_SECS);
    assert!(rl.allowed(login("a", "bob")).await.unwrap());
    assert_eq!(rl.retry_after(login("a", "bob")).await, 0);

    // Non-handles share one key per client.
    for i in 0..LOGIN_PER_ACCOUNT {
        rl.record_failure(login("n", &format!("../{i}"))).await;
    }
    assert!(!rl.allowed(login("n", "../zzz")).await.unwrap());
    assert!(rl.allowed(login("n", "bob")).await.unwrap());

    // Spraying one client: held to one guess per account.
    for i in 0..LOGIN_PER_CLIENT {
        rl.record_failure(login("s", &format!("user{i}"))).await;
    }
    assert!(
        !rl.allowed(login("s", "user0")).await.unwrap(),
        "failed once already"
    );
    assert!(
        rl.allowed(login("s", "alice")).await.unwrap(),
        "first try at an account"
    );
    rl.record_failure(login("s", "alice")).await;
    assert!(!rl.allowed(login("s", "alice")).await.unwrap());
    assert!(rl.allowed(login("t", "user0")).await.unwrap());
}

/// `run` counts only the caller's faults; two limiters on one store (two
/// processes) share the budget, and concurrent failures all count.
pub async fn ratelimit_shared_and_concurrent(b: &dyn Backend) {
    let s = b.fresh().await;
    let clock = Arc::new(ManualClock::at(0));
    let a = Arc::new(RateLimiter::new(coord(&s), clock.clone()));
    let other = Arc::new(RateLimiter::new(coord(&s), clock.clone()));
    let reg = Attempt::Register { client: "a" };
    for _ in 0..REGISTER_PER_CLIENT {
        let r: Result<(), _> = a
            .run(reg, async { Err(CoreError::Internal("disk".into())) })
            .await;
        assert!(matches!(r, Err(CoreError::Internal(_))));
    }
    assert!(
        a.allowed(reg).await.unwrap(),
        "internal faults are not counted"
    );
    for i in 0..REGISTER_PER_CLIENT {
        let rl = if i % 2 == 0 { &a } else { &other };
        let _ = rl
            .run(reg, async { Err::<(), _>(CoreError::invalid("bad code")) })
            .await;
    }
    let r = other.run(reg, async { Ok(()) }).await;
    assert!(
        matches!(r, Err(CoreError::RateLimited(_))),
        "spread over two, counted once each"
    );

    // LOGIN_PER_ACCOUNT concurrent failures over both limiters lock the
    // account exactly: one fewer does not.
    let tasks: Vec<_> = (0..LOGIN_PER_ACCOUNT - 1)
        .map(|i| {
            let rl = if i % 2 == 0 { a.clone() } else { other.clone() };
            tokio::spawn(async move { rl.record_failure(login("c", "bob")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(
        a.allowed(login("c", "bob")).await.unwrap(),
        "one guess left"
    );
    other.record_failure(login("c", "bob")).await;
    assert!(!a.allowed(login("c", "bob")).await.unwrap());
    assert!(!other.allowed(login("c", "bob")).await.unwrap());
}

/// Two registries on one store (two processes): a job started on one is
/// listed by the other with its progress once flushed, and gone once its
/// handle drops; a row whose owner stopped renewing goes after its TTL.
pub async fn jobs_shared_between_registries(b: &dyn Backend) {
    let s = b.fresh().await;
    let clock = Arc::new(ManualClock::at(1_000));
    let a = JobRegistry::new(coord(&s), clock.clone());
    let other = JobRegistry::new(coord(&s), clock.clone());
    let h = a.start("alice", "upload", 3);
    assert_eq!(a.list().await.len(), 1, "its own job at once");
    a.flush().await;
    let l = other.list().await;
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].id.as_str(), l[0].user.as_str()), (h.id(), "alice"));
    h.progress(2, "b.gpx");
    assert_eq!(a.list().await[0].done, 2, "its own progress at once");
    a.flush().await;
    let l = other.list().await;
    assert_eq!((l[0].done, l[0].current.as_str()), (2, "b.gpx"));
    assert_eq!(other.local().len(), 0);
    assert_eq!(a.local().len(), 1);
    drop(h);
    assert!(a.list().await.is_empty(), "gone here at once");
    a.flush().await;
    assert!(other.list().await.is_empty(), "and there once flushed");

    // A process that dies leaves its last row (as written with the
    // registry's TTL); it goes once that passes unrenewed.
    coord(&s)
        .put_job(&row("dead0001", "crashed", 1_000, 1_000 + JOB_TTL_S))
        .await
        .unwrap();
    assert_eq!(other.list().await.len(), 1);
    clock.advance(JOB_TTL_S);
    assert!(other.list().await.is_empty(), "not renewed: expired");
}

/// Two processes' leases: the task runs under one of them only, the
/// holder keeps it across ticks, and the other takes over once released
/// or expired.
pub async fn lease_runs_once_across_processes(b: &dyn Backend) {
    let s = b.fresh().await;
    let clock = Arc::new(ManualClock::at(1_000));
    let a = Leases::new(coord(&s), clock.clone());
    let other = Leases::new(coord(&s), clock.clone());
    let ttl = Duration::from_secs(30);
    assert_eq!(a.run_held("drop-scan", ttl, async { 1 }).await, Some(1));
    assert_eq!(other.run_held("drop-scan", ttl, async { 2 }).await, None);
    clock.advance(10);
    assert_eq!(
        a.run_held("drop-scan", ttl, async { 3 }).await,
        Some(3),
        "kept"
    );
    clock.advance(31);
    assert_eq!(
        other.run_held("drop-scan", ttl, async { 4 }).await,
        Some(4),
        "expired: taken over"
    );
    assert_eq!(a.run_held("drop-scan", ttl, async { 5 }).await, None);
    // run_exclusive waits for the lease, runs, and gives it up.
    let poll = Duration::from_millis(20);
    assert_eq!(
        a.run_exclusive("refresh|bob", ttl, poll, async { 6 }).await,
        6
    );
    assert!(
        other.try_acquire("refresh|bob", ttl).await,
        "released after"
    );
    other.release("refresh|bob").await;
    // Concurrent exclusive runs never overlap.
    let inside = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let l = if i % 2 == 0 { a.clone() } else { other.clone() };
            let inside = inside.clone();
            tokio::spawn(async move {
                l.run_exclusive("refresh|bob", ttl, poll, async {
                    let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    n
                })
                .await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 0, "nobody else inside");
    }
}

/// Staged files: kept whole (20 MiB: more than one MongoDB document),
/// taken once, gone after their expiry, ids unique, purged when old.
pub async fn coord_staged_files(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    let big: Vec<u8> = (0..20 * 1024 * 1024 + 7)
        .map(|i: usize| (i % 251) as u8)
        .collect();
    c.put_staged("big", "audience", &big, 100).await.unwrap();
    c.put_staged("empty", "staff", b"", 100).await.unwrap();
    c.put_staged("old", "staff", b"a,b\n", 50).await.unwrap();
    let again = c.put_staged("big", "other", b"x", 100).await;
    assert!(
        matches!(again, Err(bincio_core::store::StoreError::Conflict(_))),
        "{again:?}"
    );
    assert_eq!(
        c.take_staged("big", 10).await.unwrap(),
        Some(("audience".to_owned(), big)),
        "whole, and the refused put changed nothing"
    );
    assert_eq!(c.take_staged("big", 10).await.unwrap(), None, "taken once");
    assert_eq!(
        c.take_staged("empty", 10).await.unwrap(),
        Some(("staff".to_owned(), Vec::new()))
    );
    assert_eq!(c.take_staged("nope", 10).await.unwrap(), None);
    assert_eq!(c.take_staged("old", 50).await.unwrap(), None, "expired");
    c.put_staged("later", "staff", b"x", 60).await.unwrap();
    c.put_staged("kept", "staff", b"y", 90).await.unwrap();
    assert_eq!(c.purge_staged(60).await.unwrap(), 1);
    assert_eq!(c.take_staged("later", 10).await.unwrap(), None);
    assert_eq!(
        c.take_staged("kept", 10).await.unwrap(),
        Some(("staff".to_owned(), b"y".to_vec()))
    );
}

/// Concurrent takers of one staged file (two processes confirming the same
/// import): exactly one gets it.
pub async fn coord_concurrent_take_staged_once(b: &dyn Backend) {
    let s = b.fresh().await;
    let c = coord(&s);
    c.put_staged("f", "audience", b"token,display_name\n", 100)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.take_staged("f", 10).await.unwrap() })
        })
        .collect();
    let mut got = 0;
    for t in tasks {
        if t.await.unwrap().is_some() {
            got += 1;
        }
    }
    assert_eq!(got, 1);
}
