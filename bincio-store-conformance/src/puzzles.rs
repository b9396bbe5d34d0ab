//! Conformance cases of [`PuzzleStore`](bincio_core::store::PuzzleStore).

use std::sync::Arc;

use super::Backend;
use bincio_core::event::model::{public_token, DelivererStamp, PuzzleCounter, TOTAL};
use bincio_core::store::{DeliverOutcome, Delivery, PuzzleStore, RevokeOutcome};

const T: i64 = 1_900_000_000;
const AID: &str = "0123456789abcdef01234567";

fn delivery(token: &str, piece: Option<&str>, deliverer: Option<&str>) -> Delivery {
    Delivery {
        attendee_id: AID.into(),
        public_token: public_token(token),
        piece: piece.map(str::to_owned),
        deliverer: deliverer.map(|d| DelivererStamp {
            deliverer: d.into(),
            timestamp: T as f64 + 0.25,
        }),
        now: T,
    }
}

fn figures(cs: &[PuzzleCounter]) -> Vec<(&str, i64, i64)> {
    cs.iter()
        .map(|c| (c.puzzle.as_str(), c.quantity, c.currency))
        .collect()
}

async fn counter(st: &Arc<dyn PuzzleStore>, name: &str) -> (i64, i64) {
    let cs = st.counters().await.unwrap();
    cs.iter()
        .find(|c| c.puzzle == name)
        .map_or((0, 0), |c| (c.quantity, c.currency))
}

/// Counters: created at zero once, pieces in creation order, total last,
/// pieces added later get a counter, ids are stable.
pub async fn puzzle_counters_upsert(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.puzzles;
    assert!(st.counters().await.unwrap().is_empty());
    st.ensure_counters(&["a".into(), "b".into()], T)
        .await
        .unwrap();
    let first = st.counters().await.unwrap();
    assert_eq!(figures(&first), [("a", 0, 0), ("b", 0, 0), (TOTAL, 0, 0)]);
    st.deliver(delivery("tok", Some("a"), None)).await.unwrap();
    st.ensure_counters(&["a".into(), "b".into(), "c".into()], T)
        .await
        .unwrap();
    let again = st.counters().await.unwrap();
    assert_eq!(
        figures(&again),
        [("a", 1, 1), ("b", 0, 0), ("c", 0, 0), (TOTAL, 1, 1)]
    );
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[3].id, first[2].id);
}

/// Buckets: created once (also concurrently), fresh shape.
pub async fn puzzle_bucket_created_once(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.puzzles.clone();
    let pt = public_token("tok");
    assert!(st.bucket(&pt).await.unwrap().is_none());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let st = Arc::clone(&st);
            let pt = pt.clone();
            tokio::spawn(async move { st.ensure_bucket(AID, &pt, T).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let bk = st.bucket(&pt).await.unwrap().unwrap();
    assert_eq!(bk.attendee, AID);
    assert_eq!(bk.public_token, pt);
    assert!(bk.puzzle.is_empty() && bk.deliverer.is_empty());
    assert_eq!((bk.valid, bk.coupon), (None, None));
    assert_eq!(bk.id.len(), 24);
}

/// Delivery appends piece and stamp, counts, dedupes by deliverer name.
pub async fn puzzle_deliver_and_dedupe(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.puzzles;
    let r = st
        .deliver(delivery("tok", Some("a"), Some("Booth")))
        .await
        .unwrap();
    assert_eq!(r, DeliverOutcome::Delivered);
    let r = st
        .deliver(delivery("tok", Some("b"), Some("Booth")))
        .await
        .unwrap();
    assert_eq!(r, DeliverOutcome::AlreadyFromDeliverer);
    st.deliver(delivery("tok", Some("a"), None)).await.unwrap();
    st.deliver(delivery("tok", None, Some("Other")))
        .await
        .unwrap();
    let bk = st.bucket(&public_token("tok")).await.unwrap().unwrap();
    assert_eq!(bk.puzzle, ["a", "a"]);
    let names: Vec<_> = bk.deliverer.iter().map(|d| d.deliverer.as_str()).collect();
    assert_eq!(names, ["Booth", "Other"]);
    assert_eq!(bk.deliverer[0].timestamp, T as f64 + 0.25);
    assert_eq!(
        figures(&st.counters().await.unwrap()),
        [("a", 2, 2), (TOTAL, 2, 2)]
    );
}

/// 200 concurrent deliveries from distinct deliverers: none lost.
pub async fn puzzle_concurrent_distinct_deliverers(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.puzzles.clone();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let st = Arc::clone(&st);
            tokio::spawn(async move {
                let name = format!("booth-{i}");
                st.deliver(delivery("tok", Some("a"), Some(&name))).await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), DeliverOutcome::Delivered);
    }
    let bk = st.bucket(&public_token("tok")).await.unwrap().unwrap();
    assert_eq!(bk.puzzle.len(), 200);
    assert_eq!(bk.deliverer.len(), 200);
    assert_eq!(counter(&st, TOTAL).await, (200, 200));
}

/// 50 concurrent deliveries from one deliverer: exactly one.
pub async fn puzzle_concurrent_one_deliverer(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.puzzles.clone();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let st = Arc::clone(&st);
            tokio::spawn(async move { st.deliver(delivery("tok", Some("a"), Some("Booth"))).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() == DeliverOutcome::Delivered {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    let bk = st.bucket(&public_token("tok")).await.unwrap().unwrap();
    assert_eq!(bk.puzzle.len(), 1);
    assert_eq!(counter(&st, TOTAL).await, (1, 1));
}

/// Revoke once (idempotent), coupon repeatable, unknown buckets reported.
pub async fn puzzle_revoke_and_coupon(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.puzzles;
    let pt = public_token("tok");
    assert_eq!(st.revoke(&pt, T).await.unwrap(), RevokeOutcome::NoBucket);
    assert!(!st.use_coupon(&pt, T).await.unwrap());
    st.deliver(delivery("tok", Some("a"), None)).await.unwrap();
    st.deliver(delivery("tok", Some("a"), None)).await.unwrap();
    st.deliver(delivery("tok", Some("b"), None)).await.unwrap();
    assert_eq!(
        st.revoke(&pt, T + 10).await.unwrap(),
        RevokeOutcome::Revoked
    );
    assert_eq!(
        figures(&st.counters().await.unwrap()),
        [("a", 2, 0), ("b", 1, 0), (TOTAL, 3, 0)]
    );
    let bk = st.bucket(&pt).await.unwrap().unwrap();
    assert_eq!((bk.valid, bk.coupon), (Some(T + 10), Some(0)));
    assert_eq!(bk.puzzle.len(), 3, "pieces are kept");
    assert!(st.use_coupon(&pt, T + 20).await.unwrap());
    assert_eq!(
        st.revoke(&pt, T + 30).await.unwrap(),
        RevokeOutcome::AlreadyRevoked
    );
    let bk = st.bucket(&pt).await.unwrap().unwrap();
    assert_eq!((bk.valid, bk.coupon), (Some(T + 10), Some(T + 20)));
    assert_eq!(
        figures(&st.counters().await.unwrap()),
        [("a", 2, 0), ("b", 1, 0), (TOTAL, 3, 0)]
    );
    assert!(st.use_coupon(&pt, T + 40).await.unwrap());
    assert_eq!(st.bucket(&pt).await.unwrap().unwrap().coupon, Some(T + 40));
}
