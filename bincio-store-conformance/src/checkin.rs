//! Conformance cases of the check-in as one outcome: a `/use` and the
//! puzzle pieces it delivers, and the first `/status` and its bucket, are
//! each one atomic store step (see [`AttendeeStore`](bincio_core::store::AttendeeStore)).
//! Every case ends by checking the invariant a crash must never break:
//! the counters equal what the buckets hold.

use super::attendees::row;
use super::{Backend, Stores};
use bincio_core::event::model::{public_token, TOTAL};
use bincio_core::event::rules::{UseRefusal, UseRequest};
use std::collections::BTreeMap;

const T: i64 = 1_900_000_000;

pub(crate) fn use_with_pieces(token: &str, id: &str, now: i64, pieces: &[&str]) -> UseRequest {
    let mut deliver = BTreeMap::new();
    deliver.insert(
        "audience".to_owned(),
        pieces.iter().map(|p| (*p).to_owned()).collect(),
    );
    UseRequest {
        token: token.into(),
        scenario_id: id.into(),
        now,
        effects: BTreeMap::new(),
        deliver,
        audit: None,
    }
}

/// Counters per name as `(quantity, currency)`, `total` included, from the
/// store; and the same figures recomputed from the buckets of `tokens`.
pub(crate) async fn counters_equal_buckets(s: &Stores, tokens: &[&str]) {
    let mut from_buckets: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for t in tokens {
        let Some(b) = s.puzzles.bucket(&public_token(t)).await.unwrap() else {
            continue;
        };
        for p in b
            .puzzle
            .iter()
            .map(String::as_str)
            .chain(std::iter::repeat_n(TOTAL, b.puzzle.len()))
        {
            let e = from_buckets.entry(p.to_owned()).or_default();
            e.0 += 1;
            e.1 += i64::from(b.valid.is_none());
        }
    }
    let stored: BTreeMap<String, (i64, i64)> = s
        .puzzles
        .counters()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.quantity != 0 || c.currency != 0)
        .map(|c| (c.puzzle, (c.quantity, c.currency)))
        .collect();
    assert_eq!(stored, from_buckets, "counters must equal the buckets");
}

/// A use delivers its pieces in the same step: bucket created, pieces
/// appended, counters bumped; a refused use delivers nothing; a role
/// without pieces in the request touches no bucket.
pub async fn checkin_use_delivers_its_pieces(b: &dyn Backend) {
    let s = b.fresh().await;
    s.attendees
        .import_attendees(vec![
            row("tok", "Ada", "audience"),
            row("st", "Bob", "staff"),
        ])
        .await
        .unwrap();
    let a = s
        .attendees
        .use_scenario(use_with_pieces("tok", "checkin", T, &["a", "b"]))
        .await
        .unwrap()
        .expect("first use succeeds");
    let bucket = s.puzzles.bucket(&a.public_token()).await.unwrap().unwrap();
    assert_eq!(bucket.puzzle, ["a", "b"]);
    assert_eq!(bucket.attendee, a.id);
    let again = s
        .attendees
        .use_scenario(use_with_pieces("tok", "checkin", T + 1, &["a"]))
        .await
        .unwrap();
    assert_eq!(again.unwrap_err(), UseRefusal::AlreadyUsed);
    let bucket = s.puzzles.bucket(&a.public_token()).await.unwrap().unwrap();
    assert_eq!(bucket.puzzle, ["a", "b"], "a refused use delivers nothing");
    // Staff is not in the request's `deliver`: no bucket.
    s.attendees
        .use_scenario(use_with_pieces("st", "checkin", T, &["a"]))
        .await
        .unwrap()
        .unwrap();
    assert!(s
        .puzzles
        .bucket(&public_token("st"))
        .await
        .unwrap()
        .is_none());
    // An empty list still creates the bucket (pieces not configured).
    s.attendees
        .import_attendees(vec![row("t3", "Cy", "audience")])
        .await
        .unwrap();
    s.attendees
        .use_scenario(use_with_pieces("t3", "checkin", T, &[]))
        .await
        .unwrap()
        .unwrap();
    let empty = s
        .puzzles
        .bucket(&public_token("t3"))
        .await
        .unwrap()
        .unwrap();
    assert!(empty.puzzle.is_empty());
    counters_equal_buckets(&s, &["tok", "st", "t3"]).await;
}

/// The first `mark_first_use` creates the bucket in the same step; later
/// calls leave it as it is.
pub async fn checkin_first_use_creates_the_bucket(b: &dyn Backend) {
    let s = b.fresh().await;
    s.attendees
        .import_attendees(vec![row("tok", "Ada", "audience")])
        .await
        .unwrap();
    assert!(s
        .puzzles
        .bucket(&public_token("tok"))
        .await
        .unwrap()
        .is_none());
    let (a, set) = s.attendees.mark_first_use("tok", T).await.unwrap().unwrap();
    assert!(set);
    let bucket = s
        .puzzles
        .bucket(&public_token("tok"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bucket.attendee, a.id);
    assert!(bucket.puzzle.is_empty() && bucket.deliverer.is_empty());
    let (_, set) = s
        .attendees
        .mark_first_use("tok", T + 5)
        .await
        .unwrap()
        .unwrap();
    assert!(!set);
    let same = s
        .puzzles
        .bucket(&public_token("tok"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.id, bucket.id);
}

/// Concurrent uses (one scenario, racing), first uses, booth deliveries
/// and a revoke on a few attendees: each use delivers exactly once, and
/// the counters equal the buckets at the end.
pub async fn checkin_concurrent_mix_keeps_counters_exact(b: &dyn Backend) {
    let s = b.fresh().await;
    let tokens = ["t0", "t1", "t2", "t3"];
    s.attendees
        .import_attendees(tokens.iter().map(|t| row(t, t, "audience")).collect())
        .await
        .unwrap();
    s.puzzles
        .ensure_counters(&["a".into(), "b".into()], T)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40_i64 {
        let s = s.clone();
        let t = tokens[(i % 4) as usize];
        tasks.push(tokio::spawn(async move {
            match i % 4 {
                0 | 1 => {
                    let piece = if i % 8 < 4 { "a" } else { "b" };
                    let r = s
                        .attendees
                        .use_scenario(use_with_pieces(t, "checkin", T + i, &[piece, "a"]))
                        .await
                        .unwrap();
                    u32::from(r.is_ok())
                }
                2 => {
                    s.attendees.mark_first_use(t, T + i).await.unwrap();
                    0
                }
                _ => {
                    let a = s.attendees.get_attendee(t).await.unwrap().unwrap();
                    s.puzzles
                        .deliver(bincio_core::store::Delivery {
                            attendee_id: a.id.clone(),
                            public_token: a.public_token(),
                            piece: Some("b".into()),
                            deliverer: Some(bincio_core::event::model::DelivererStamp {
                                deliverer: format!("booth{}", i % 3),
                                timestamp: T as f64,
                            }),
                            now: T,
                        })
                        .await
                        .unwrap();
                    0
                }
            }
        }));
    }
    let mut uses = 0;
    for t in tasks {
        uses += t.await.unwrap();
    }
    // Uses race on t0 and t1 only (i % 4 of 0 and 1): one each wins.
    assert_eq!(uses, 2);
    for t in ["t0", "t1"] {
        let bucket = s.puzzles.bucket(&public_token(t)).await.unwrap().unwrap();
        let from_use = bucket.puzzle.len() - bucket.deliverer.len();
        assert_eq!(from_use, 2, "{t}: one use's two pieces: {bucket:?}");
    }
    s.puzzles.revoke(&public_token("t3"), T + 99).await.unwrap();
    counters_equal_buckets(&s, &tokens).await;
}
