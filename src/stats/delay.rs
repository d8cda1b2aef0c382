//! Sync-delay distributions by policy × cohort × outcome (SPEC §2).

use super::{add_histogram, duration_histogram, record_duration};
use crate::scenario::Policy;
pub use crate::scenario::{Cohort, Outcome};
use hdrhistogram::Histogram;

/// Number of policy × cohort × outcome cells.
pub const CELLS: usize = Policy::ALL.len() * Cohort::ALL.len() * Outcome::COUNT;

/// Dense index of a cell.
pub fn cell_index(policy: Policy, cohort: Cohort, outcome: Outcome) -> usize {
    (policy.index() * Cohort::ALL.len() + cohort as usize) * Outcome::COUNT + outcome as usize
}

/// The key of a cell index.
pub fn cell_key(index: usize) -> (Policy, Cohort, Outcome) {
    (
        Policy::ALL[index / (Cohort::ALL.len() * Outcome::COUNT)],
        Cohort::ALL[(index / Outcome::COUNT) % Cohort::ALL.len()],
        Outcome::ALL[index % Outcome::COUNT],
    )
}

/// The same policy and cohort as `index`, with another outcome.
pub fn with_outcome(index: usize, outcome: Outcome) -> usize {
    index / Outcome::COUNT * Outcome::COUNT + outcome as usize
}

/// One cell: every connection counted, the synced ones measured.
#[derive(Clone, Debug)]
pub struct DelayCell {
    /// Connections in the cell, synced or not.
    pub count: u64,
    /// Exact sum of delays of synced connections, for an exact mean.
    pub sum_us: u128,
    /// Exact largest delay.
    pub max_us: u64,
    /// Delays of synced connections.
    pub hist: Histogram<u64>,
}

impl DelayCell {
    /// Adds another cell's connections and delays.
    pub fn add(&mut self, src: &DelayCell) {
        self.count += src.count;
        self.sum_us += src.sum_us;
        self.max_us = self.max_us.max(src.max_us);
        add_histogram(&mut self.hist, &src.hist);
    }

    /// Connections that synced before the horizon.
    pub fn synced(&self) -> u64 {
        self.hist.len()
    }

    /// Exact mean delay of synced connections, in microseconds.
    pub fn mean_us(&self) -> f64 {
        if self.synced() == 0 {
            0.0
        } else {
            self.sum_us as f64 / self.synced() as f64
        }
    }
}

/// Delays a cell keeps as plain values before they go into its histogram.
/// A pool of a small run records a few hundred per cell, spread over hours:
/// each would otherwise grow a histogram over the horizon's whole range
/// (tens of fresh pages), only to be added to the replication's.
const PENDING_MAX: usize = 4096;

/// Sync delays of one run, or of merged runs.
#[derive(Clone, Debug)]
pub struct SyncDelays {
    max_us: u64,
    cells: Vec<Option<DelayCell>>,
    /// Per cell, delays counted in it but not yet in its histogram: kept by
    /// a pool as it runs, put in place by `settle` when its replication is
    /// made (`Replication::of_pools`), before anything reads the cells.
    pending: Vec<Vec<u64>>,
}

impl SyncDelays {
    /// Empty, for delays up to `max_us` (the horizon).
    pub fn new(max_us: u64) -> Self {
        SyncDelays {
            max_us,
            cells: vec![None; CELLS],
            pending: vec![Vec::new(); CELLS],
        }
    }

    fn cell(&mut self, index: usize) -> &mut DelayCell {
        self.cells[index].get_or_insert_with(|| DelayCell {
            count: 0,
            sum_us: 0,
            max_us: 0,
            hist: duration_histogram(),
        })
    }

    /// A connection that synced after `delay_us`.
    pub fn record(&mut self, index: usize, delay_us: u64) {
        let c = self.cell(index);
        c.count += 1;
        c.sum_us += delay_us as u128;
        c.max_us = c.max_us.max(delay_us);
        self.pend(index, std::iter::once(delay_us));
    }

    /// Keeps `values` for cell `index`'s histogram, putting them in once
    /// there are many.
    fn pend(&mut self, index: usize, values: impl IntoIterator<Item = u64>) {
        self.pending[index].extend(values);
        if self.pending[index].len() >= PENDING_MAX {
            // Its room, for the next ones.
            self.pending[index] = self.flush(index);
        }
    }

    /// Puts cell `index`'s pending delays in its histogram; returns their
    /// emptied buffer.
    fn flush(&mut self, index: usize) -> Vec<u64> {
        let mut values = std::mem::take(&mut self.pending[index]);
        // The largest first: the histogram grows once, not once per octave.
        if let Some(top) = (0..values.len()).max_by_key(|&i| values[i]) {
            values.swap(0, top);
        }
        let max_us = self.max_us;
        let hist = &mut self.cell(index).hist;
        for &v in &values {
            record_duration(hist, v, 1, max_us);
        }
        values.clear();
        values
    }

    /// Puts every pending delay in its cell's histogram: the cells are
    /// complete from then on.
    pub fn settle(&mut self) {
        for i in 0..CELLS {
            // Its buffer is dropped either way: no more delays come.
            if self.pending[i].is_empty() {
                self.pending[i] = Vec::new();
            } else {
                self.flush(i);
            }
        }
    }

    /// Whether every delay is in its cell's histogram.
    fn settled(&self) -> bool {
        self.pending.iter().all(Vec::is_empty)
    }

    /// A connection still waiting at the horizon.
    pub fn record_unsynced(&mut self, index: usize) {
        self.cell(index).count += 1;
    }

    /// Adds another run's delays.
    pub fn merge(&mut self, o: &SyncDelays) {
        for (i, cell) in o.cells.iter().enumerate() {
            if let Some(src) = cell {
                self.cell(i).add(src);
                self.pend(i, o.pending[i].iter().copied());
            }
        }
    }

    /// Adds another run's delays, taking its cells where this has none
    /// (no histogram made only to be added to).
    pub fn absorb(&mut self, o: SyncDelays) {
        for (i, (cell, pending)) in o.cells.into_iter().zip(o.pending).enumerate() {
            match (&mut self.cells[i], cell) {
                (_, None) => continue,
                (dst @ None, src) => *dst = src,
                (Some(dst), Some(src)) => dst.add(&src),
            }
            if self.pending[i].is_empty() {
                self.pending[i] = pending;
            } else {
                self.pend(i, pending);
            }
        }
    }

    /// Puts a whole cell in place (reading back a saved result).
    pub fn set_cell(&mut self, index: usize, cell: DelayCell) {
        self.cells[index] = Some(cell);
    }

    /// Non-empty cells by dense index.
    pub fn indexed_cells(&self) -> impl Iterator<Item = (usize, &DelayCell)> {
        assert!(self.settled(), "sync delays read before `settle`");
        self.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }

    /// Non-empty cells in report order.
    pub fn cells(&self) -> impl Iterator<Item = ((Policy, Cohort, Outcome), &DelayCell)> {
        assert!(self.settled(), "sync delays read before `settle`");
        self.cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (cell_key(i), c)))
    }

    /// All cells of one outcome merged across policies and cohorts.
    pub fn merged_outcome(&self, outcome: Outcome) -> Option<DelayCell> {
        let mut merged: Option<DelayCell> = None;
        for (_, cell) in self.cells().filter(|((_, _, o), _)| *o == outcome) {
            match &mut merged {
                None => merged = Some(cell.clone()),
                Some(m) => m.add(cell),
            }
        }
        merged
    }

    /// Connections counted with this outcome, across policies and cohorts.
    pub fn outcome_count(&self, outcome: Outcome) -> u64 {
        self.cells()
            .filter(|((_, _, o), _)| *o == outcome)
            .map(|(_, c)| c.count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::at_bound;

    #[test]
    fn cell_index_round_trips() {
        for p in Policy::ALL {
            for c in Cohort::ALL {
                for o in Outcome::ALL {
                    assert_eq!(cell_key(cell_index(p, c, o)), (p, c, o));
                }
            }
        }
    }

    #[test]
    fn merge_adds_counts_and_keeps_exact_mean() {
        let i = cell_index(Policy::AnyAppPromptAlways, Cohort::New, Outcome::Timeout);
        let mut a = SyncDelays::new(1 << 40);
        a.record(i, 10);
        a.record_unsynced(i);
        let mut b = SyncDelays::new(1 << 40);
        b.record(i, 30);
        a.merge(&b);
        a.settle();
        let (_, cell) = a.cells().next().unwrap();
        assert_eq!((cell.count, cell.synced(), cell.max_us), (3, 2, 30));
        assert_eq!(cell.mean_us(), 20.0);
    }

    /// Delays kept pending (past the flush threshold or not), absorbed and
    /// merged, end in the histogram that recording each one gives.
    #[test]
    fn pending_delays_end_in_the_histogram() {
        let i = cell_index(Policy::AnyAppPromptOnce, Cohort::Existing, Outcome::Outlook);
        let max = 21_600_000_000u64;
        let mut direct = crate::stats::duration_histogram();
        let mut parts: Vec<SyncDelays> = (0..3).map(|_| SyncDelays::new(max)).collect();
        for k in 0..10_000u64 {
            let v = (k * 2_654_435_761) % (max + 1000); // past the bound too
            crate::stats::record_duration(&mut direct, v, 1, max);
            // 7,000 in one part (past PENDING_MAX), 100 in another.
            let part = if k < 7_000 {
                0
            } else if k < 7_100 {
                1
            } else {
                2
            };
            parts[part].record(i, v);
        }
        let mut c = parts.pop().unwrap();
        let b = parts.pop().unwrap();
        let mut a = parts.pop().unwrap();
        a.absorb(b);
        c.merge(&a);
        c.settle();
        let (_, cell) = c.cells().next().unwrap();
        assert_eq!((cell.count, cell.synced()), (10_000, 10_000));
        assert!(at_bound(&cell.hist, max) == at_bound(&direct, max));
    }

    #[test]
    #[should_panic(expected = "before `settle`")]
    fn cells_are_not_read_before_settling() {
        let mut a = SyncDelays::new(1000);
        a.record(0, 10);
        let _ = a.cells().count();
    }
}
