//! Results: histograms, counters and time series, every one with a `merge`
//! so that pools and replications combine by the same code path.
//!
//! All merged quantities are integers (counts, microsecond sums, histogram
//! bins), so merging is exact and the order of merging cannot change a byte
//! of the output.

pub mod coarse;
pub mod compare;
pub mod delay;
pub mod evaluator;
pub mod hdr_counts;
pub mod metrics;
pub mod replication;
pub mod series;
pub mod slo;
pub mod sweep;
pub mod week;

pub use coarse::CoarseHist;
pub use delay::{Cohort, Outcome, SyncDelays};
pub use evaluator::PoolStats;
pub use replication::{PoolPart, Replication, RunResult};
pub use series::TimeSeries;

use hdrhistogram::Histogram;

/// Significant digits of every HdrHistogram (SPEC §2).
pub const SIGFIG: u8 = 3;

/// A histogram of microsecond durations, which never exceed the horizon.
/// It starts small and grows with the values recorded: most durations
/// (waits of milliseconds) are far below the horizon, so a pool's histogram
/// costs kilobytes, not the 200 KB (50 fresh pages) of one sized to six
/// hours. Record into it with `record_duration`; `at_bound` gives the
/// histogram sized to the horizon where its layout is written out.
pub fn duration_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, SIGFIG).expect("valid histogram bounds");
    h.auto(true);
    h
}

/// Records `n` durations of `v` µs. A duration past `max_us` (the horizon)
/// would be a bug; it is clamped there rather than growing the histogram.
#[inline]
pub fn record_duration(h: &mut Histogram<u64>, v: u64, n: u64, max_us: u64) {
    h.record_n(v.min(max_us.max(2)), n)
        .expect("a growing histogram takes any duration");
}

/// `h` in the layout of a histogram sized to `max_us` (as every duration
/// histogram was before they grew lazily): what `.hgrm` footers and shard
/// files write, so that they do not depend on the largest value seen.
pub fn at_bound(h: &Histogram<u64>, max_us: u64) -> Histogram<u64> {
    let mut full = Histogram::new_with_bounds(1, max_us.max(2), SIGFIG).expect("valid histogram bounds");
    full.add(h).expect("durations are clamped at the bound");
    full
}

/// Adds `src` into `dst`, growing `dst` as needed; a failure would mean a
/// bug, not bad input.
pub fn add_histogram(dst: &mut Histogram<u64>, src: &Histogram<u64>) {
    dst.add(src).expect("a growing histogram takes any duration");
}

/// The plain counters of a run (SPEC §5 `summary.csv`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Tenants simulated.
    pub tenants: u64,
    /// Users at t=0.
    pub users: u64,
    /// Connections at t=0.
    pub connections_initial: u64,
    /// New device activations.
    pub activations: u64,
    /// Re-adds on existing devices.
    pub readds: u64,
    /// Prompt emails delivered.
    pub prompts: u64,
    /// Times a connection entered quarantine.
    pub quarantines: u64,
    /// Requests that needed a quarantine evaluation.
    pub evaluations: u64,
    /// Evaluations rejected after waiting `queue_timeout`.
    pub evaluations_rejected: u64,
    /// Tenants under MDM.
    pub mdm_tenants: u64,
    /// Scheduled policy changes not applied because the tenant is under MDM.
    pub changes_ignored_mdm: u64,
    /// Events processed by the event loop.
    pub events: u64,
    /// Device requests: polls and pushed syncs, evaluated or not.
    pub requests: u64,
    /// Outlook set-ups people decided on (after a prompt or a block); not in
    /// summary.csv, kept to check that each one completes.
    pub outlook_setups: u64,
    /// Of those, set-ups that completed with a working Outlook connection.
    pub outlook_setups_done: u64,
    /// Of those, set-ups due at or after the horizon.
    pub outlook_setups_after_horizon: u64,
}

impl Counters {
    /// Adds another run's counters.
    pub fn merge(&mut self, o: &Counters) {
        self.tenants += o.tenants;
        self.users += o.users;
        self.connections_initial += o.connections_initial;
        self.activations += o.activations;
        self.readds += o.readds;
        self.prompts += o.prompts;
        self.quarantines += o.quarantines;
        self.evaluations += o.evaluations;
        self.evaluations_rejected += o.evaluations_rejected;
        self.mdm_tenants += o.mdm_tenants;
        self.changes_ignored_mdm += o.changes_ignored_mdm;
        self.events += o.events;
        self.requests += o.requests;
        self.outlook_setups += o.outlook_setups;
        self.outlook_setups_done += o.outlook_setups_done;
        self.outlook_setups_after_horizon += o.outlook_setups_after_horizon;
    }
}
