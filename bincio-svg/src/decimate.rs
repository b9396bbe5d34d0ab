//! Bounding the drawn points: a hostile (or merely long) document must not
//! make a huge page, and no screen shows more than a few thousand points.

/// At most `max` (>= 2) items spread evenly over `items`, first and last
/// kept (so a track still starts and ends where it did).
pub(crate) fn evenly<T: Copy>(items: &[T], max: usize) -> Vec<T> {
    let n = items.len();
    let max = max.max(2);
    if n <= max {
        return items.to_vec();
    }
    (0..max).map(|i| items[i * (n - 1) / (max - 1)]).collect()
}

/// Min/max decimation of `n` samples read through `get` (`None` = a gap)
/// into at most `buckets` runs of consecutive samples; each run gives its
/// lowest and highest sample in their original order, so peaks and dips
/// survive (an even pick would skip a summit). A run holding a gap is
/// followed by a `None`: the break may move by up to one run, i.e. about a
/// pixel. Output: at most `2 * buckets` points plus `buckets` breaks.
/// Samples are read through `get` so no copy of a huge input is made.
pub(crate) fn min_max(
    n: usize,
    buckets: usize,
    get: impl Fn(usize) -> Option<(f64, f64)>,
) -> Vec<Option<(f64, f64)>> {
    let buckets = buckets.max(1);
    let mut out = Vec::new();
    if n <= 2 * buckets {
        for i in 0..n {
            let s = get(i);
            if s.is_some() || matches!(out.last(), Some(Some(_))) {
                out.push(s);
            }
        }
        return out;
    }
    let run = n.div_ceil(buckets);
    let mut start = 0;
    while start < n {
        let end = (start + run).min(n);
        let mut lo: Option<(usize, (f64, f64))> = None;
        let mut hi: Option<(usize, (f64, f64))> = None;
        let mut gap = false;
        for i in start..end {
            match get(i) {
                None => gap = true,
                Some(p) => {
                    if lo.is_none_or(|(_, q)| p.1 < q.1) {
                        lo = Some((i, p));
                    }
                    if hi.is_none_or(|(_, q)| p.1 > q.1) {
                        hi = Some((i, p));
                    }
                }
            }
        }
        if let (Some((i, p)), Some((j, q))) = (lo, hi) {
            match i.cmp(&j) {
                std::cmp::Ordering::Less => out.extend([Some(p), Some(q)]),
                std::cmp::Ordering::Greater => out.extend([Some(q), Some(p)]),
                std::cmp::Ordering::Equal => out.push(Some(p)),
            }
        }
        if gap && matches!(out.last(), Some(Some(_))) {
            out.push(None);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evenly_keeps_ends_and_caps() {
        let v: Vec<usize> = (0..10_001).collect();
        let d = evenly(&v, 5_000);
        assert_eq!(d.len(), 5_000);
        assert_eq!((d[0], d[4_999]), (0, 10_000));
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(evenly(&[1, 2, 3], 5), vec![1, 2, 3]);
    }

    #[test]
    fn min_max_keeps_the_peak_and_the_gaps() {
        let n = 100_000;
        let get = |i: usize| {
            if (40_000..40_010).contains(&i) {
                None
            } else {
                let y = if i == 77_777 {
                    9_000.0
                } else {
                    (i % 100) as f64
                };
                Some((i as f64, y))
            }
        };
        let d = min_max(n, 500, get);
        let points = d.iter().flatten().count();
        assert!(points <= 1_000, "{points}");
        assert!(d.iter().flatten().any(|p| p.1 == 9_000.0));
        assert_eq!(d.iter().filter(|p| p.is_none()).count(), 1);
        // x stays in order.
        let xs: Vec<f64> = d.iter().flatten().map(|p| p.0).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn min_max_small_input_passes_through_without_leading_gaps() {
        let v = [None, Some((0.0, 1.0)), None, None, Some((1.0, 2.0))];
        let d = min_max(v.len(), 500, |i| v[i]);
        assert_eq!(d, vec![Some((0.0, 1.0)), None, Some((1.0, 2.0))]);
    }
}
