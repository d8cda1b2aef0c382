//! A small log-linear histogram for per-bucket time series.
//!
//! A full 3-digit HdrHistogram per time bucket would cost hundreds of
//! kilobytes per bucket; the time series only needs a p99 per bucket, so
//! values go into 64 bins per power of two (relative error under 1.6 %),
//! kept sparse.

/// Sub-bins per power of two.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

/// The bin of a value: exact below 64, then 64 bins per octave.
#[inline]
pub fn bin_of(v: u64) -> u16 {
    if v < SUB {
        return v as u16;
    }
    let e = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = e - SUB_BITS;
    let mantissa = (v >> shift) - SUB; // 0..SUB
    (((shift + 1) as u64) * SUB + mantissa) as u16
}

/// The largest value that falls in `bin` (what HdrHistogram reports too).
pub fn bin_high(bin: u16) -> u64 {
    let b = bin as u64;
    if b < SUB {
        return b;
    }
    let shift = b / SUB - 1;
    let mantissa = b % SUB + SUB;
    ((mantissa + 1) << shift) - 1
}

/// A sparse histogram: sorted `(bin, count)` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoarseHist {
    bins: Vec<(u16, u64)>,
    /// Exact largest value; quantiles never exceed it.
    max: u64,
}

impl CoarseHist {
    /// From a dense array of counts indexed by bin.
    pub fn from_dense(dense: &[u64]) -> Self {
        let bins: Vec<(u16, u64)> = dense
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(b, &c)| (b as u16, c))
            .collect();
        let max = bins.last().map_or(0, |&(b, _)| bin_high(b));
        CoarseHist { bins, max }
    }

    /// From sorted, distinct `(bin, count)` pairs and the exact largest value.
    pub fn from_pairs(bins: Vec<(u16, u64)>, max: u64) -> Self {
        debug_assert!(bins.windows(2).all(|w| w[0].0 < w[1].0));
        CoarseHist { bins, max }
    }

    /// Adds another histogram.
    pub fn merge(&mut self, o: &CoarseHist) {
        if o.bins.is_empty() {
            return;
        }
        self.max = self.max.max(o.max);
        let mut out = Vec::with_capacity(self.bins.len() + o.bins.len());
        let (mut i, mut j) = (0, 0);
        while i < self.bins.len() || j < o.bins.len() {
            let a = self.bins.get(i).copied();
            let b = o.bins.get(j).copied();
            match (a, b) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    out.push((x.0, x.1 + y.1));
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    out.push(x);
                    i += 1;
                }
                (Some(x), None) => {
                    out.push(x);
                    i += 1;
                }
                (_, Some(y)) => {
                    out.push(y);
                    j += 1;
                }
                (None, None) => unreachable!(),
            }
        }
        self.bins = out;
    }

    /// The sorted `(bin, count)` pairs.
    pub fn bins(&self) -> &[(u16, u64)] {
        &self.bins
    }

    /// The exact largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.bins.iter().map(|b| b.1).sum()
    }

    /// The value at quantile `q` (0..=1), as the highest value of its bin;
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // Same rank rule as HdrHistogram: the smallest value with at least
        // ceil(q·n) values at or below it.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for &(bin, c) in &self.bins {
            seen += c;
            if seen >= rank {
                return Some(bin_high(bin).min(self.max));
            }
        }
        None
    }
}

/// Number of bins needed for values up to `u64::MAX`.
pub const BINS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn value_lies_in_its_bin_within_error(v in 0u64..(1 << 50)) {
            let b = bin_of(v);
            prop_assert!((b as usize) < BINS);
            let hi = bin_high(b);
            prop_assert!(hi >= v);
            prop_assert!((hi - v) as f64 <= v as f64 / 64.0 + 1.0);
            prop_assert!(b == 0 || bin_high(b - 1) < v);
        }

        #[test]
        fn merge_is_associative_and_counts_add(a in proptest::collection::vec(0u64..5000, 0..50),
                                               b in proptest::collection::vec(0u64..5000, 0..50),
                                               c in proptest::collection::vec(0u64..5000, 0..50)) {
            let h = |vals: &[u64]| {
                let mut dense = vec![0u64; BINS];
                for &v in vals { dense[bin_of(v) as usize] += 1; }
                CoarseHist::from_dense(&dense)
            };
            let (ha, hb, hc) = (h(&a), h(&b), h(&c));
            let mut left = ha.clone(); left.merge(&hb); left.merge(&hc);
            let mut bc = hb.clone(); bc.merge(&hc);
            let mut right = ha.clone(); right.merge(&bc);
            prop_assert_eq!(&left, &right);
            let all: Vec<u64> = a.iter().chain(&b).chain(&c).copied().collect();
            prop_assert_eq!(left, h(&all));
        }
    }

    #[test]
    fn quantile_of_known_values() {
        let mut dense = vec![0u64; BINS];
        for v in 1..=100u64 {
            dense[bin_of(v) as usize] += 1;
        }
        let h = CoarseHist::from_dense(&dense);
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.99), Some(99));
        assert_eq!(CoarseHist::default().quantile(0.99), None);
    }
}
