//! Runs a scenario: every pool of every replication as an independent
//! simulation, in parallel, merged in a fixed order.

use crate::engine::Streams;
use crate::model::{Plan, PoolResult, PoolSim};
use crate::output::shard::ShardId;
use crate::scenario::Scenario;
use crate::stats::{Counters, PoolStats, SyncDelays, TimeSeries};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

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

/// What `run` needs besides the scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; 0 lets rayon choose (one per core).
    pub threads: usize,
    /// Where pools report how far they got, for a progress display.
    pub progress: Option<Arc<Progress>>,
    /// Simulate only this shard's pools (`mailsim run --shard I/N`).
    pub shard: Option<ShardId>,
}

/// Work done so far, summed over every pool of every replication. Pools
/// add to it every few tens of thousands of events, so reading it costs
/// the simulation nothing measurable.
#[derive(Debug, Default)]
pub struct Progress {
    /// Simulated microseconds completed, over all pools and replications.
    pub simulated_us: AtomicU64,
    /// Events processed.
    pub events: AtomicU64,
}

impl Progress {
    /// Simulated microseconds when everything is done.
    pub fn total_us(sc: &Scenario, shard: Option<ShardId>) -> u64 {
        let pools = (0..sc.evaluator.pools)
            .filter(|&p| shard.is_none_or(|s| s.owns(p)))
            .count() as u64;
        sc.horizon.0.saturating_mul(pools * sc.replications as u64)
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

/// Simulates replication `rep`: its pools in parallel, merged in pool order.
pub fn run_replication(sc: &Scenario, rep: u32, progress: Option<&Progress>) -> Replication {
    run_pools(sc, rep, progress, None)
}

/// Simulates the pools of replication `rep` that `shard` owns (all without one).
pub fn run_pools(sc: &Scenario, rep: u32, progress: Option<&Progress>, shard: Option<ShardId>) -> Replication {
    let streams = Streams::new(sc.seed, rep);
    let plan = Plan::draw(sc, &streams);
    let pools: Vec<u32> = (0..sc.evaluator.pools)
        .filter(|&p| shard.is_none_or(|s| s.owns(p)))
        .collect();
    let mut rep = pools
        .into_par_iter()
        .map(|pool| Replication::from_pool(PoolSim::new(sc, &plan, streams, pool).run(progress)))
        .reduce_with(Replication::merge_pools)
        .expect("every shard owns a pool (the CLI checks shards <= pools)");
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
            .map(|rep| run_pools(sc, rep, opts.progress.as_deref(), opts.shard))
            .collect()
    });
    Ok(RunResult::new(replications))
}
