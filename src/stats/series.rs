//! Per-bucket time series (SPEC §5 `timeseries.csv`).

use super::coarse::{self, CoarseHist};

/// Counts per time bucket, summed over pools when merged.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeries {
    /// Evaluation requests arriving in the bucket.
    pub evaluations: Vec<u64>,
    /// Requests rejected in the bucket (at the moment their wait hit the timeout).
    pub rejected: Vec<u64>,
    /// Prompt emails delivered in the bucket.
    pub prompts: Vec<u64>,
    /// Syncs completed in the bucket.
    pub syncs: Vec<u64>,
    /// Quarantined connections at the bucket's end.
    pub quarantined: Vec<u64>,
    /// Blocked connections at the bucket's end.
    pub blocked: Vec<u64>,
    /// Waits of evaluations completed in the bucket.
    pub wait: Vec<CoarseHist>,
    /// Counts by hour of week and device mode (with a calendar or modes).
    pub calendar: super::week::CalendarStats,
}

impl TimeSeries {
    /// Zeroed series of `buckets` buckets.
    pub fn new(buckets: usize) -> Self {
        TimeSeries {
            evaluations: vec![0; buckets],
            rejected: vec![0; buckets],
            prompts: vec![0; buckets],
            syncs: vec![0; buckets],
            quarantined: vec![0; buckets],
            blocked: vec![0; buckets],
            wait: vec![CoarseHist::default(); buckets],
            calendar: Default::default(),
        }
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.evaluations.len()
    }

    /// True when there are no buckets.
    pub fn is_empty(&self) -> bool {
        self.evaluations.is_empty()
    }

    /// Adds another series of the same length.
    pub fn merge(&mut self, o: &TimeSeries) {
        let add = |a: &mut Vec<u64>, b: &Vec<u64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.evaluations, &o.evaluations);
        add(&mut self.rejected, &o.rejected);
        add(&mut self.prompts, &o.prompts);
        add(&mut self.syncs, &o.syncs);
        add(&mut self.quarantined, &o.quarantined);
        add(&mut self.blocked, &o.blocked);
        self.wait.iter_mut().zip(&o.wait).for_each(|(a, b)| a.merge(b));
        self.calendar.merge(&o.calendar);
    }
}

/// Collects waits of the current bucket densely, then stores them sparse.
pub struct WaitRecorder {
    dense: Vec<u64>,
    touched: Vec<u16>,
    max: u64,
    /// Waits of zero, counted apart: most requests do not wait.
    zeros: u64,
}

impl Default for WaitRecorder {
    fn default() -> Self {
        WaitRecorder {
            dense: vec![0; coarse::BINS],
            touched: Vec::with_capacity(256),
            max: 0,
            zeros: 0,
        }
    }
}

impl WaitRecorder {
    /// Records one wait in the current bucket.
    #[inline]
    pub fn record(&mut self, wait_us: u64) {
        if wait_us == 0 {
            self.zeros += 1;
            return;
        }
        self.max = self.max.max(wait_us);
        let b = coarse::bin_of(wait_us);
        let slot = &mut self.dense[b as usize];
        if *slot == 0 {
            self.touched.push(b);
        }
        *slot += 1;
    }

    /// Ends the bucket: returns its histogram and starts an empty one.
    pub fn take(&mut self) -> CoarseHist {
        if self.zeros > 0 {
            let b = coarse::bin_of(0);
            if self.dense[b as usize] == 0 {
                self.touched.push(b);
            }
            self.dense[b as usize] += std::mem::take(&mut self.zeros);
        }
        if self.touched.is_empty() {
            return CoarseHist::default();
        }
        self.touched.sort_unstable();
        let mut pairs = Vec::with_capacity(self.touched.len());
        for &b in &self.touched {
            pairs.push(self.dense[b as usize]);
        }
        let hist = CoarseHist::from_pairs(self.touched.iter().copied().zip(pairs).collect(), self.max);
        self.max = 0;
        for &b in &self.touched {
            self.dense[b as usize] = 0;
        }
        self.touched.clear();
        hist
    }
}
