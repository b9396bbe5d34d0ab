//! Ramer–Douglas–Peucker track simplification and the feed preview
//! (contract §4.6).
//!
//! Coordinates are `[lon, lat]` degrees treated as planar, as in the
//! reference: ε = 0.0001° (~11 m) keeps the map line visually identical at
//! a fraction of the points.

/// Distance from `p` to the segment `a`–`b` (projection clamped to [0, 1];
/// a degenerate segment measures to `a`).
fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return ((p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2)).sqrt();
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt()
}

/// RDP keep-mask (iterative, explicit stack: no recursion depth limit on
/// long tracks). Endpoints are always kept; the farthest point of a span is
/// kept when its distance is ≥ ε (inclusive, so ε = 0 keeps every point).
///
/// RDP is O(n log n) on real tracks but O(n²) on adversarial shapes, so the
/// number of distance evaluations is capped (see [`rdp_budget`]); once the
/// budget is spent, every point of the spans not yet refined is kept. The
/// result is then less simplified, never wrong, and a hostile file cannot
/// stall extraction.
pub fn rdp_mask(coords: &[[f64; 2]], epsilon: f64) -> Vec<bool> {
    rdp_mask_with_budget(coords, epsilon, rdp_budget(coords.len()))
}

/// Distance evaluations allowed for `n` points: generous for real tracks
/// (≈ 32 · n · log2 n plus a constant).
pub fn rdp_budget(n: usize) -> u64 {
    let log = (usize::BITS - n.leading_zeros()) as u64;
    10_000_000 + 32 * n as u64 * (log + 1)
}

/// [`rdp_mask`] with an explicit budget of distance evaluations.
pub fn rdp_mask_with_budget(coords: &[[f64; 2]], epsilon: f64, budget: u64) -> Vec<bool> {
    let n = coords.len();
    let mut keep = vec![false; n];
    if n <= 2 {
        keep.iter_mut().for_each(|k| *k = true);
        return keep;
    }
    keep[0] = true;
    keep[n - 1] = true;
    let mut spent = 0u64;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((s, e)) = stack.pop() {
        if e <= s + 1 {
            continue;
        }
        if spent >= budget {
            keep[s..=e].iter_mut().for_each(|k| *k = true);
            continue;
        }
        spent += (e - s - 1) as u64;
        let (mut best, mut idx) = (-1.0f64, s);
        for i in s + 1..e {
            let d = seg_dist(coords[i], coords[s], coords[e]);
            if d > best {
                best = d;
                idx = i;
            }
        }
        if best >= epsilon {
            keep[idx] = true;
            stack.push((s, idx));
            stack.push((idx, e));
        }
    }
    keep
}

/// Preview for feeds: RDP ε = 0.001 over `[lon, lat]`, at most `max_points`
/// (evenly sampled, then the last raw point appended), rounded to 5
/// decimals, as **`[lat, lon]`** pairs. None with fewer than two points.
pub fn preview(coords: &[[f64; 2]], max_points: usize) -> Option<Vec<[f64; 2]>> {
    if coords.len() < 2 || max_points < 2 {
        return None;
    }
    let mask = rdp_mask(coords, 0.001);
    let reduced: Vec<[f64; 2]> = coords
        .iter()
        .zip(&mask)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    let picked: Vec<[f64; 2]> = if reduced.len() > max_points {
        let step = reduced.len() as f64 / (max_points - 1) as f64;
        let mut v: Vec<[f64; 2]> = (0..max_points - 1)
            .map(|i| reduced[((i as f64 * step) as usize).min(reduced.len() - 1)])
            .collect();
        v.push(coords[coords.len() - 1]);
        v
    } else {
        reduced
    };
    let r5 = |x: f64| super::metrics::round_dp(x, 5);
    Some(picked.iter().map(|c| [r5(c[1]), r5(c[0])]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collinear_middle_dropped() {
        let c = [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]];
        assert_eq!(rdp_mask(&c, 0.1), vec![true, false, true]);
        assert_eq!(rdp_mask(&c, 0.0), vec![true, true, true]);
        let corner = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]];
        assert_eq!(rdp_mask(&corner, 0.1), vec![true, true, true]);
        assert_eq!(rdp_mask(&c[..1], 0.1), vec![true]);
    }

    #[test]
    fn budget_exhaustion_keeps_points() {
        // A shape where every split peels one point: offsets shrink so the
        // farthest point is always next to the span's start.
        let c: Vec<[f64; 2]> = (0..2000)
            .map(|i| [i as f64, if i % 2 == 0 { 0.0 } else { 1.0 / (i as f64) }])
            .collect();
        let full = rdp_mask_with_budget(&c, 0.0, u64::MAX);
        let capped = rdp_mask_with_budget(&c, 0.0, 10);
        assert!(full.iter().all(|k| *k));
        assert!(capped.iter().all(|k| *k));
        let line: Vec<[f64; 2]> = (0..100).map(|i| [i as f64, 0.0]).collect();
        let m = rdp_mask_with_budget(&line, 0.1, 0);
        assert!(m.iter().all(|k| *k), "no budget: nothing dropped");
    }

    #[test]
    fn preview_limits() {
        let c: Vec<[f64; 2]> = (0..1000)
            .map(|i| [i as f64 * 0.01, ((i % 7) as f64) * 0.01])
            .collect();
        let p = preview(&c, 20).unwrap();
        assert!(p.len() <= 20);
        assert_eq!(p[p.len() - 1], [0.05, 9.99]);
        assert_eq!(preview(&c[..1], 20), None);
    }
}
