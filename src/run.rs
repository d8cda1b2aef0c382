//! Runs a scenario: every pool of every replication as an independent
//! simulation, in parallel, merged in a fixed order.

use crate::engine::{Progress, Streams};
use crate::error::BadInput;
use crate::model::{Plan, PoolResult, PoolSim};
use crate::scenario::Scenario;
use crate::stats::{PoolPart, Replication, RunResult};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which part of a run: shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    /// 0-based.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl ShardId {
    /// Parses `I/N` with 0 ≤ I < N.
    pub fn parse(text: &str) -> Result<ShardId, BadInput> {
        let bad = || BadInput(format!("--shard {text}: expected I/N with 0 <= I < N, for example 0/4"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<u32>().map_err(|_| bad())?,
            n.trim().parse::<u32>().map_err(|_| bad())?,
        );
        if index >= count {
            return Err(bad());
        }
        Ok(ShardId { index, count })
    }

    /// Whether this shard simulates `pool`.
    pub fn owns(&self, pool: u32) -> bool {
        pool % self.count == self.index
    }
}

/// Simulated microseconds when every pool `shard` owns is done, over all replications.
pub fn total_us(sc: &Scenario, shard: Option<ShardId>) -> u64 {
    let pools = (0..sc.evaluator.pools)
        .filter(|&p| shard.is_none_or(|s| s.owns(p)))
        .count() as u64;
    sc.horizon.0.saturating_mul(pools * sc.replications as u64)
}

/// One pool's results as a replication of that pool alone.
pub fn replication_of(r: PoolResult) -> Replication {
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
        .map(|pool| replication_of(PoolSim::new(sc, &plan, streams, pool).run(progress)))
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
