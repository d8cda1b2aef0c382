//! Runs a scenario: every pool of every replication as an independent
//! simulation, in parallel, merged in a fixed order.

use crate::engine::{Engine, Progress, Streams};
use crate::error::BadInput;
use crate::model::{FleetSim, Plan, PoolResult, PoolSim};
use crate::scenario::Scenario;
use crate::stats::{Counters, PoolPart, Replication, RunResult, SyncDelays};
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
    let (counters, delays, part) = split_pool(r);
    Replication::of_pools(counters, delays, vec![part])
}

/// A pool's counters and delays, which its replication sums as pools
/// finish, and its own share, kept apart.
fn split_pool(r: PoolResult) -> (Counters, SyncDelays, PoolPart) {
    let part = PoolPart {
        pool: r.pool,
        load: r.load,
        series: r.series,
    };
    (r.counters, r.delays, part)
}

/// Why the fast engine cannot run `sc` exactly, if it cannot: the
/// scenario then runs on the per-connection engine whatever was asked.
/// Every condition the fast engine does not simulate belongs here: today
/// the calendar and device modes (issue 15), whose time-varying arrival
/// rates and push/fetch devices only the per-connection engine knows.
pub fn fast_engine_inexact(sc: &Scenario) -> Option<String> {
    sc.uses_calendar()
        .then(|| "the calendar and device modes run on the per-connection engine".into())
}

/// Whether the fast engine pays on `sc`: it aggregates connections whose
/// poll intervals are exponential; with another `poll_interval` every
/// connection would poll on its own, which the per-connection engine does
/// in less memory.
pub fn fast_engine_pays(sc: &Scenario) -> bool {
    matches!(sc.devices.poll_interval, crate::scenario::Dist::Exponential { .. })
}

/// The engine that runs `sc` when `requested` was asked for (`None`: the
/// default, the fast engine wherever it is exact and pays), with the
/// reason when it is not the one asked for.
pub fn engine_choice(sc: &Scenario, requested: Option<Engine>) -> (Engine, Option<String>) {
    let inexact = fast_engine_inexact(sc);
    match (requested, inexact) {
        (Some(Engine::PerConnection), _) => (Engine::PerConnection, None),
        (Some(Engine::Fast), None) => (Engine::Fast, None),
        (Some(Engine::Fast), Some(why)) => (Engine::PerConnection, Some(why)),
        (None, None) if fast_engine_pays(sc) => (Engine::Fast, None),
        (None, _) => (Engine::PerConnection, None),
    }
}

/// The engine that runs `sc` when `requested` was asked for (`None`: the default).
pub fn engine_for(sc: &Scenario, requested: Option<Engine>) -> Engine {
    engine_choice(sc, requested).0
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
    /// The engine asked for (`None`: the default); `engine_for` decides.
    pub engine: Option<Engine>,
}

/// Simulates replication `rep` on the default engine: its pools in
/// parallel, merged in pool order.
pub fn run_replication(sc: &Scenario, rep: u32, progress: Option<&Progress>) -> Replication {
    run_pools(sc, rep, progress, None, engine_for(sc, None))
}

/// Simulates replication `rep` on `engine` (if it can run `sc`, see `engine_for`).
pub fn run_replication_on(sc: &Scenario, rep: u32, engine: Engine) -> Replication {
    run_pools(sc, rep, None, None, engine_for(sc, Some(engine)))
}

/// Simulates the pools of replication `rep` that `shard` owns (all without
/// one) on `engine`, in parallel on the current rayon pool.
pub fn run_pools(
    sc: &Scenario,
    rep: u32,
    progress: Option<&Progress>,
    shard: Option<ShardId>,
    engine: Engine,
) -> Replication {
    pools_of(sc, rep, progress, shard, engine, true)
}

/// `run_pools`, in parallel or one pool after the other on this thread.
fn pools_of(
    sc: &Scenario,
    rep: u32,
    progress: Option<&Progress>,
    shard: Option<ShardId>,
    engine: Engine,
    parallel: bool,
) -> Replication {
    let streams = Streams::new(sc.seed, rep);
    let plan = Plan::draw(sc, &streams);
    let pools: Vec<u32> = (0..sc.evaluator.pools)
        .filter(|&p| shard.is_none_or(|s| s.owns(p)))
        .collect();
    let simulate = |pool: u32| {
        let (counters, delays, part) = split_pool(match engine {
            Engine::PerConnection => PoolSim::new(sc, &plan, streams, pool).run(progress),
            Engine::Fast => FleetSim::new(sc, &plan, streams, pool).run(progress),
        });
        (counters, delays, vec![part])
    };
    // Merging is exact whatever the order; `of_pools` sorts the parts.
    let merge = |(mut counters, mut delays, mut parts): Pooled, (c, d, p): Pooled| {
        counters.merge(&c);
        delays.absorb(d);
        parts.extend(p);
        (counters, delays, parts)
    };
    let merged = if parallel {
        pools.into_par_iter().map(simulate).reduce_with(merge)
    } else {
        pools.into_iter().map(simulate).reduce(merge)
    };
    let (counters, delays, parts) = merged.expect("every shard owns a pool (the CLI checks shards <= pools)");
    Replication::of_pools(counters, delays, parts)
}

/// One pool's results, or several merged.
type Pooled = (Counters, SyncDelays, Vec<PoolPart>);

/// Runs every replication of `sc`.
pub fn run(sc: &Scenario, opts: &RunOptions) -> anyhow::Result<RunResult> {
    let engine = engine_for(sc, opts.engine);
    // One thread runs on this one: a pool of one would cost a thread's
    // start and stop, a tenth of a small run.
    let parallel = opts.threads != 1;
    let replication = |rep| pools_of(sc, rep, opts.progress.as_deref(), opts.shard, engine, parallel);
    let replications = if parallel {
        let threads = rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build()?;
        threads.install(|| (0..sc.replications).into_par_iter().map(replication).collect())
    } else {
        (0..sc.replications).map(replication).collect()
    };
    Ok(RunResult::new(replications))
}
