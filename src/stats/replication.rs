//! The results of a run: each replication's counters, sync delays, load
//! and series, with each pool's own share, and all of them merged.

use super::{Counters, PoolStats, SyncDelays, TimeSeries};

/// Results of one replication, or of all replications merged.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Plain counts.
    pub counters: Counters,
    /// Sync delays by policy × cohort × outcome.
    pub delays: SyncDelays,
    /// Evaluator load over all pools.
    pub load: PoolStats,
    /// Per-bucket series over all pools.
    pub series: TimeSeries,
    /// Each pool's own load and time series, sorted by pool number.
    pub pools: Vec<PoolPart>,
}

/// One pool's share of a replication's results.
#[derive(Clone, Debug)]
pub struct PoolPart {
    /// Pool number.
    pub pool: u32,
    /// Its evaluator load.
    pub load: PoolStats,
    /// Its time series.
    pub series: TimeSeries,
}

impl Replication {
    /// A replication of these pools' results: `counters` and `delays`
    /// already merged over them, the load and series totals merged here
    /// from their parts (one copy per replication, not one per pool).
    pub fn of_pools(counters: Counters, mut delays: SyncDelays, mut pools: Vec<PoolPart>) -> Self {
        delays.settle();
        pools.sort_by_key(|p| p.pool);
        let (first, rest) = pools.split_first().expect("a replication has a pool");
        let (mut load, mut series) = (first.load.clone(), first.series.clone());
        for p in rest {
            load.merge(&p.load);
            series.merge(&p.series);
        }
        Replication {
            counters,
            delays,
            load,
            series,
            pools,
        }
    }

    /// Adds other pools of the same replication (their `pools` appended;
    /// callers sort by pool number when all are in).
    pub fn merge_pools(mut self, o: Replication) -> Self {
        self.merge_totals(&o);
        self.pools.extend(o.pools);
        self
    }

    /// Adds another replication (pool by pool).
    pub fn merge(&mut self, o: &Replication) {
        self.merge_totals(o);
        for (a, b) in self.pools.iter_mut().zip(&o.pools) {
            debug_assert_eq!(a.pool, b.pool);
            a.load.merge(&b.load);
            a.series.merge(&b.series);
        }
    }

    fn merge_totals(&mut self, o: &Replication) {
        self.counters.merge(&o.counters);
        self.delays.merge(&o.delays);
        self.load.merge(&o.load);
        self.series.merge(&o.series);
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// One per replication, in order.
    pub replications: Vec<Replication>,
    /// All replications merged; `None` with a single replication, which is
    /// then its own merge (no copy of its histograms and series).
    merged: Option<Replication>,
}

impl RunResult {
    /// The results of these replications (at least one), merged in order.
    pub fn new(replications: Vec<Replication>) -> RunResult {
        let merged = (replications.len() > 1).then(|| {
            let mut all = replications[0].clone();
            for r in &replications[1..] {
                all.merge(r);
            }
            all
        });
        RunResult { replications, merged }
    }

    /// All replications merged.
    pub fn all(&self) -> &Replication {
        self.merged.as_ref().unwrap_or(&self.replications[0])
    }
}
