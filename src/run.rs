//! Runs a scenario: every pool of every replication as an independent
//! simulation, in parallel, merged in a fixed order.

use crate::engine::Streams;
use crate::model::{Plan, PoolResult, PoolSim};
use crate::scenario::Scenario;
use crate::stats::{Counters, PoolStats, SyncDelays, TimeSeries};
use rayon::prelude::*;

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
    fn from_pool(r: PoolResult) -> Self {
        Replication {
            counters: r.counters,
            delays: r.delays,
            load: r.load.clone(),
            series: r.series.clone(),
            pools: vec![PoolPart {
                pool: r.pool,
                load: r.load,
                series: r.series,
            }],
        }
    }

    /// Adds pools of the same replication (`pools` appended in order).
    fn merge_pools(mut self, o: Replication) -> Self {
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

/// What `run` needs besides the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Worker threads; 0 lets rayon choose (one per core).
    pub threads: usize,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// One per replication, in order.
    pub replications: Vec<Replication>,
    /// All replications merged.
    pub all: Replication,
}

/// Simulates replication `rep`: its pools in parallel, merged in pool order.
pub fn run_replication(sc: &Scenario, rep: u32) -> Replication {
    let streams = Streams::new(sc.seed, rep);
    let plan = Plan::draw(sc, &streams);
    let mut rep = (0..sc.evaluator.pools)
        .into_par_iter()
        .map(|pool| Replication::from_pool(PoolSim::new(sc, &plan, streams, pool).run()))
        .reduce_with(Replication::merge_pools)
        .expect("a scenario has at least one pool");
    // Merging is exact whatever the order; only the pool list needs sorting.
    rep.pools.sort_by_key(|p| p.pool);
    rep
}

/// Runs every replication of `sc`.
pub fn run(sc: &Scenario, opts: &RunOptions) -> anyhow::Result<RunResult> {
    let threads = rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build()?;
    let replications: Vec<Replication> = threads.install(|| {
        (0..sc.replications)
            .into_par_iter()
            .map(|rep| run_replication(sc, rep))
            .collect()
    });
    let mut all = replications[0].clone();
    for r in &replications[1..] {
        all.merge(r);
    }
    Ok(RunResult { replications, all })
}
