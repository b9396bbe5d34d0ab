//! Weighted piece choice (§4), with an injectable random source.
//!
//! Bounded rejection sampling: up to N uniform draws over the N pieces; a
//! draw is accepted when nothing was delivered yet, when it is the last
//! try, or when the piece's share of the circulation (`currency` ÷ total
//! `quantity`) is below its weight share. The counters read for this are a
//! heuristic snapshot: the delivery itself (append + increments) is one
//! atomic store call, so a stale read can skew the mix slightly but never
//! loses or duplicates a piece.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::{PuzzleCounter, TOTAL};

/// A source of uniform indices.
pub trait PieceRng: Send + Sync + 'static {
    /// A uniform index in `0..n` (`n > 0`).
    fn index(&self, n: usize) -> usize;
}

/// The thread-local OS-seeded generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadRng;

impl PieceRng for ThreadRng {
    fn index(&self, n: usize) -> usize {
        rand::rng().random_range(0..n)
    }
}

/// A seeded generator: the same seed gives the same pieces (tests).
#[derive(Debug)]
pub struct SeededRng(Mutex<StdRng>);

impl SeededRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }
}

impl PieceRng for SeededRng {
    fn index(&self, n: usize) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random_range(0..n)
    }
}

/// Choose one piece. `rates` are `(piece, weight share)` in config order;
/// `counters` the current rows (missing rows count as zero). `None` when
/// there are no pieces.
pub fn choose_piece(
    rates: &[(String, f64)],
    counters: &[PuzzleCounter],
    rng: &dyn PieceRng,
) -> Option<String> {
    let n = rates.len();
    if n == 0 {
        return None;
    }
    let get = |name: &str| counters.iter().find(|c| c.puzzle == name);
    let total = get(TOTAL).map_or(0, |c| c.quantity);
    for i in 0..n {
        let (p, rate) = &rates[rng.index(n)];
        let currency = get(p).map_or(0, |c| c.currency);
        if i == n - 1 || total == 0 || (currency as f64 / total as f64) < *rate {
            return Some(p.clone());
        }
    }
    None
}

/// Choose `n` pieces for one delivery of several (a `/use` with
/// `deliver_puzzle: n`), from one counter snapshot: after each choice the
/// snapshot is bumped locally, as the store will bump it, so the mix of the
/// `n` pieces follows the weights as `n` single deliveries would. Empty
/// when there are no pieces.
pub fn choose_pieces(
    rates: &[(String, f64)],
    counters: &[PuzzleCounter],
    n: usize,
    rng: &dyn PieceRng,
) -> Vec<String> {
    let mut snapshot = counters.to_vec();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let Some(p) = choose_piece(rates, &snapshot, rng) else {
            break;
        };
        for name in [p.as_str(), TOTAL] {
            match snapshot.iter_mut().find(|c| c.puzzle == name) {
                Some(c) => {
                    c.quantity += 1;
                    c.currency += 1;
                }
                None => snapshot.push(PuzzleCounter {
                    id: String::new(),
                    puzzle: name.to_owned(),
                    quantity: 1,
                    currency: 1,
                }),
            }
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<usize>, Mutex<usize>);
    impl PieceRng for Fixed {
        fn index(&self, _n: usize) -> usize {
            let mut i = self.1.lock().unwrap();
            *i += 1;
            self.0[*i - 1]
        }
    }

    fn c(p: &str, q: i64, cur: i64) -> PuzzleCounter {
        PuzzleCounter {
            id: String::new(),
            puzzle: p.into(),
            quantity: q,
            currency: cur,
        }
    }

    #[test]
    fn rejection_sampling() {
        let rates = vec![("a".to_owned(), 0.5), ("b".to_owned(), 0.5)];
        // Nothing delivered yet: the first draw wins.
        let r = Fixed(vec![1], Mutex::new(0));
        assert_eq!(choose_piece(&rates, &[], &r).as_deref(), Some("b"));
        // "a" holds all circulation: drawing "a" is rejected, the last try wins.
        let counters = [c("a", 4, 4), c("b", 0, 0), c(TOTAL, 4, 4)];
        let r = Fixed(vec![0, 0], Mutex::new(0));
        assert_eq!(choose_piece(&rates, &counters, &r).as_deref(), Some("a"));
        let r = Fixed(vec![0, 1], Mutex::new(0));
        assert_eq!(choose_piece(&rates, &counters, &r).as_deref(), Some("b"));
        assert_eq!(choose_piece(&[], &counters, &r), None);
    }

    #[test]
    fn several_pieces_follow_the_snapshot() {
        let rates = vec![("a".to_owned(), 0.5), ("b".to_owned(), 0.5)];
        // First pick "a" (nothing delivered); then "a" holds all the
        // circulation of the local snapshot, so a draw of "a" is rejected
        // until the last try, and "b" is accepted.
        let r = Fixed(vec![0, 0, 1], Mutex::new(0));
        assert_eq!(choose_pieces(&rates, &[], 2, &r), vec!["a", "b"]);
        assert!(choose_pieces(&[], &[], 3, &r).is_empty());
    }
}
