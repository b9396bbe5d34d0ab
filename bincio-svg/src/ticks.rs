//! "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten.

/// Ticks for an axis: `values` go from `lo` to `hi` (both multiples of
/// `step`, `lo` at or below the data minimum, `hi` at or above the maximum), so a chart
/// whose domain is `lo..=hi` has a gridline at both ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// About `target` (1..=20) intervals covering `lo..=hi` with a 1-2-5 step;
/// at most `target + 2` intervals. Never panics:
/// non-finite bounds give `0..=1`; a zero span is widened around the value
/// (±10 %, or ±1 around 0) so all-equal data still gets an axis.
/// The values are rounded to the step's decimals, so `0.1 * 3` prints `0.3`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let target = target.clamp(1, 20);
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= 0.0 {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return nice_ticks(0.0, 1.0, target);
    }
    let step = nice_step(span / target as f64);
    let k0 = (lo / step).floor();
    let k1 = (hi / step).ceil();
    // Mathematically k1 - k0 <= target + 2; the cap guards float surprises
    // at extreme magnitudes.
    let n = ((k1 - k0).max(1.0) as usize).min(target + 2);
    let decimals = (-step.log10().floor()).max(0.0) as i32;
    let round = |v: f64| {
        let r = if decimals > 0 && decimals < 15 {
            let p = 10f64.powi(decimals);
            (v * p).round() / p
        } else {
            v
        };
        if r == 0.0 {
            0.0
        } else {
            r
        }
    };
    let values: Vec<f64> = (0..=n).map(|i| round((k0 + i as f64) * step)).collect();
    Ticks {
        lo: values[0],
        hi: values[n],
        step,
        values,
    }
}

/// The smallest of 1, 2, 5, 10 × 10^k that is at least `raw` (> 0).
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_two_five() {
        let t = nice_ticks(0.0, 347.0, 5);
        assert_eq!(t.step, 100.0);
        assert_eq!(t.values, vec![0.0, 100.0, 200.0, 300.0, 400.0]);
        let t = nice_ticks(0.0, 9.0, 5);
        assert_eq!(t.step, 2.0);
        assert_eq!(t.hi, 10.0);
        let t = nice_ticks(212.0, 1388.0, 4);
        assert_eq!(t.step, 500.0);
        assert_eq!(t.values, vec![0.0, 500.0, 1000.0, 1500.0]);
        let t = nice_ticks(0.0, 0.9, 3);
        assert_eq!(t.values, vec![0.0, 0.5, 1.0]);
        let t = nice_ticks(0.1, 0.35, 5);
        assert_eq!(t.step, 0.05);
        assert!(t.values.contains(&0.3), "{:?}", t.values);
    }

    #[test]
    fn covers_the_data() {
        for (lo, hi) in [(-3.2, 7.9), (1e-3, 2e-3), (1234.5, 1234.6), (-50.0, -10.0)] {
            let t = nice_ticks(lo, hi, 5);
            assert!(t.lo <= lo && t.hi >= hi, "{lo}..{hi}: {t:?}");
            assert!(t.values.len() <= 8, "{t:?}");
        }
    }

    #[test]
    fn degenerate_spans() {
        let t = nice_ticks(5.0, 5.0, 4);
        assert!(t.lo < 5.0 && t.hi > 5.0);
        let t = nice_ticks(0.0, 0.0, 4);
        assert!(t.lo <= -1.0 && t.hi >= 1.0);
        let t = nice_ticks(f64::NAN, 3.0, 4);
        assert_eq!((t.lo, t.hi), (0.0, 1.0));
        let t = nice_ticks(-f64::MAX, f64::MAX, 4);
        assert!(t.values.iter().all(|v| v.is_finite()));
        let t = nice_ticks(7.0, 1.0, 0);
        assert!(t.lo <= 1.0 && t.hi >= 7.0);
    }
}
