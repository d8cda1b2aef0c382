//! Durations counted in a hot loop exactly as a `duration_histogram` would
//! count them, then handed to it in one go. `Histogram::record` is a call
//! with range checks and saturating arithmetic on every value; here a
//! record is an index computation and an increment, inlined.

use super::{SIGFIG, record_duration};
use hdrhistogram::Histogram;

// HdrHistogram's layout for lowest value 1 and 3 significant digits: unit
// resolution up to 2,048, then 1,024 sub-buckets per power of two.
const SUB_BUCKET_HALF_MAGNITUDE: u32 = 10;
const SUB_BUCKET_MASK: u64 = (1 << (SUB_BUCKET_HALF_MAGNITUDE + 1)) - 1;
const LEADING_ZERO_BASE: u32 = 64 - (SUB_BUCKET_HALF_MAGNITUDE + 1);

/// Counts by HdrHistogram index, with the exact extremes.
#[derive(Clone, Debug)]
pub struct HdrCounts {
    /// Grown as values come (durations of milliseconds need a few thousand
    /// entries where the bound, a week, needs 30,000).
    counts: Vec<u64>,
    /// Entries the bound allows.
    limit: usize,
    /// Values past the counts (none, for durations within the bound).
    over: Vec<u64>,
    /// The bound, where values are clamped.
    max_us: u64,
    min_nonzero: u64,
    max: u64,
}

/// HdrHistogram's index of `v` (lowest value 1, 3 significant digits).
#[inline]
fn index_of(v: u64) -> usize {
    let bucket = LEADING_ZERO_BASE - (v | SUB_BUCKET_MASK).leading_zeros();
    let sub = v >> bucket;
    (((bucket + 1) as u64) << SUB_BUCKET_HALF_MAGNITUDE) as usize + sub as usize - (1 << SUB_BUCKET_HALF_MAGNITUDE)
}

/// The lowest value of index `i`.
fn value_of(i: usize) -> u64 {
    let half = 1usize << SUB_BUCKET_HALF_MAGNITUDE;
    let bucket = (i >> SUB_BUCKET_HALF_MAGNITUDE) as i64 - 1;
    let sub = (i & (half - 1)) + half;
    if bucket < 0 {
        (sub - half) as u64
    } else {
        (sub as u64) << bucket
    }
}

impl HdrCounts {
    /// Empty, for durations up to `max_us` (clamped there).
    pub fn new(max_us: u64) -> HdrCounts {
        debug_assert_eq!(SIGFIG, 3, "the layout above is that of 3 significant digits");
        HdrCounts {
            counts: Vec::new(),
            limit: index_of(max_us.max(2)) + 1,
            over: Vec::new(),
            max_us,
            min_nonzero: u64::MAX,
            max: 0,
        }
    }

    /// Counts one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        let i = index_of(v);
        match self.counts.get_mut(i) {
            Some(c) => *c += 1,
            None => self.count_beyond(i, v),
        }
        self.max = self.max.max(v);
        if v != 0 {
            self.min_nonzero = self.min_nonzero.min(v);
        }
    }

    #[cold]
    fn count_beyond(&mut self, i: usize, v: u64) {
        if i < self.limit {
            self.counts.resize((i + 1).next_power_of_two().min(self.limit), 0);
            self.counts[i] += 1;
        } else {
            self.over.push(v);
        }
    }

    /// Adds the counts to `hist` (a `duration_histogram`): the same counts, total, minimum and maximum as recording each
    /// value in it, because each index is recorded with a value of its own
    /// range, the extremes' indices with the extremes themselves.
    pub fn add_to(&self, hist: &mut Histogram<u64>) {
        let (lo, hi) = (index_of(self.min_nonzero), index_of(self.max));
        // Highest first: a growing `hist` grows once, not once per octave.
        for (i, &n) in self.counts.iter().enumerate().rev() {
            if n == 0 {
                continue;
            }
            let v = if i == hi && self.max > 0 {
                self.max
            } else if i == lo && self.min_nonzero != u64::MAX {
                self.min_nonzero
            } else {
                value_of(i)
            };
            record_duration(hist, v, n, self.max_us);
        }
        for &v in &self.over {
            record_duration(hist, v, 1, self.max_us);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{at_bound, duration_histogram};
    use hdrhistogram::Histogram;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn indices_are_hdrhistograms() {
        let h = Histogram::<u64>::new_with_bounds(1, 1 << 40, SIGFIG).unwrap();
        for v in (0..5000).chain([2047, 2048, 2049, 4095, 4096, 1 << 20, (1 << 20) + 7, (1 << 40) - 1]) {
            assert_eq!(value_of(index_of(v)), h.lowest_equivalent(v), "value {v}");
        }
    }

    #[test]
    fn adding_equals_recording_each_value() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for max in [10u64, 5_000, 86_400_000_000] {
            // What a histogram sized to the bound records, value by value.
            let mut direct = Histogram::<u64>::new_with_bounds(1, max, SIGFIG).unwrap();
            let mut counts = HdrCounts::new(max);
            for _ in 0..20_000 {
                // Values spread over every magnitude, zeros and the bound included.
                let v = match rng.gen_range(0..10) {
                    0 => 0,
                    1 => max,
                    _ => rng.gen_range(0..=max) >> rng.gen_range(0..40),
                };
                direct.saturating_record(v);
                counts.record(v);
            }
            let mut added = duration_histogram();
            counts.add_to(&mut added);
            let added = at_bound(&added, max);
            assert!(added == direct, "bound {max}");
            assert_eq!(
                (added.min(), added.max(), added.len()),
                (direct.min(), direct.max(), direct.len())
            );
            assert_eq!(added.mean(), direct.mean());
        }
    }
}
