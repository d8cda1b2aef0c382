//! Partial results of a sharded run (`mailsim run --shard I/N`) and their
//! exact merge (`mailsim merge`).
//!
//! A shard simulates the pools `p` with `p mod N == I` of every replication
//! and writes, beside its CSVs, `shard.json`: every counter, exact sum and
//! time series of its pools, and every histogram in HdrHistogram's V2
//! encoding (base64). Merging is the same integer arithmetic as within one
//! process, so the merged CSVs are byte-identical to an unsharded run.

use crate::engine::Engine as SimEngine;
use crate::error::BadInput;
use crate::run::ShardId;
use crate::scenario::Scenario;
use crate::stats::delay::DelayCell;
use crate::stats::{CoarseHist, Counters, PoolStats, SyncDelays, TimeSeries, at_bound};
use crate::stats::{PoolPart, Replication, RunResult};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name of the raw statistics in a shard's folder.
pub const SHARD_FILE: &str = "shard.json";
const FORMAT: &str = "mailsim-shard-2";

/// What identifies the run a shard belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunKey {
    /// Scenario name.
    pub name: String,
    /// FNV-1a hash of the scenario file's text.
    pub scenario_hash: String,
    /// Seed used.
    pub seed: u64,
    /// Replications run.
    pub replications: u32,
}

impl RunKey {
    /// The key of running `sc`, read from `text`.
    pub fn of(sc: &Scenario, text: &str) -> RunKey {
        RunKey {
            name: sc.name.clone(),
            scenario_hash: format!("{:016x}", fnv1a(text.as_bytes())),
            seed: sc.seed,
            replications: sc.replications,
        }
    }
}

/// FNV-1a, 64 bits: enough to tell files apart and to catch corruption.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Serialize, Deserialize)]
struct ShardFile {
    format: String,
    /// FNV-1a of the serialized `payload`, to catch a damaged file.
    checksum: String,
    payload: Payload,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    shard: ShardId,
    run: RunKey,
    /// The simulation engine's name; shards written before there were two
    /// engines ran on the per-connection one.
    #[serde(default = "per_connection")]
    engine: String,
    /// Simulation wall time of this shard, seconds.
    wall_s: f64,
    replications: Vec<RepData>,
}

#[derive(Serialize, Deserialize)]
struct RepData {
    counters: CountersData,
    delays: Vec<CellData>,
    pools: Vec<PoolData>,
}

#[derive(Serialize, Deserialize)]
struct CountersData {
    tenants: u64,
    users: u64,
    connections_initial: u64,
    activations: u64,
    readds: u64,
    prompts: u64,
    quarantines: u64,
    evaluations: u64,
    evaluations_rejected: u64,
    mdm_tenants: u64,
    changes_ignored_mdm: u64,
    events: u64,
    requests: u64,
    outlook_setups: u64,
    outlook_setups_done: u64,
    outlook_setups_after_horizon: u64,
}

#[derive(Serialize, Deserialize)]
struct CellData {
    index: usize,
    count: u64,
    sum_us: String,
    max_us: u64,
    hist: String,
}

#[derive(Serialize, Deserialize)]
struct PoolData {
    pool: u32,
    arrivals: u64,
    served: u64,
    rejected: u64,
    busy_us: String,
    capacity_us: String,
    queue_area: String,
    span_us: String,
    queue_max: u64,
    wait_sum_us: String,
    wait_max_us: u64,
    response_max_us: u64,
    wait: String,
    response: String,
    series: SeriesData,
}

#[derive(Serialize, Deserialize)]
struct SeriesData {
    evaluations: Vec<u64>,
    rejected: Vec<u64>,
    prompts: Vec<u64>,
    syncs: Vec<u64>,
    quarantined: Vec<u64>,
    blocked: Vec<u64>,
    /// Per bucket: `[max, bin, count, bin, count, …]`.
    wait: Vec<Vec<u64>>,
    /// Hour-of-week and device-mode counts; absent without a calendar or modes.
    #[serde(default, skip_serializing_if = "crate::stats::week::CalendarStats::is_unused")]
    calendar: crate::stats::week::CalendarStats,
}

/// `h` as base64 V2, in the layout of a histogram sized to `max_us` (as
/// shard files were before histograms grew lazily).
fn encode(h: &Histogram<u64>, max_us: u64) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(&at_bound(h, max_us), &mut bytes)
        .expect("serializing to memory cannot fail");
    B64.encode(bytes)
}

fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = B64.decode(text).map_err(|e| format!("histogram: {e}"))?;
    let mut h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram: {e:?}"))?;
    h.auto(true); // merged into, like every duration histogram
    Ok(h)
}

fn big(text: &str) -> Result<u128, String> {
    text.parse().map_err(|_| format!("{text:?} is not a whole number"))
}

impl CountersData {
    fn of(c: &Counters) -> Self {
        CountersData {
            tenants: c.tenants,
            users: c.users,
            connections_initial: c.connections_initial,
            activations: c.activations,
            readds: c.readds,
            prompts: c.prompts,
            quarantines: c.quarantines,
            evaluations: c.evaluations,
            evaluations_rejected: c.evaluations_rejected,
            mdm_tenants: c.mdm_tenants,
            changes_ignored_mdm: c.changes_ignored_mdm,
            events: c.events,
            requests: c.requests,
            outlook_setups: c.outlook_setups,
            outlook_setups_done: c.outlook_setups_done,
            outlook_setups_after_horizon: c.outlook_setups_after_horizon,
        }
    }

    fn counters(&self) -> Counters {
        Counters {
            tenants: self.tenants,
            users: self.users,
            connections_initial: self.connections_initial,
            activations: self.activations,
            readds: self.readds,
            prompts: self.prompts,
            quarantines: self.quarantines,
            evaluations: self.evaluations,
            evaluations_rejected: self.evaluations_rejected,
            mdm_tenants: self.mdm_tenants,
            changes_ignored_mdm: self.changes_ignored_mdm,
            events: self.events,
            requests: self.requests,
            outlook_setups: self.outlook_setups,
            outlook_setups_done: self.outlook_setups_done,
            outlook_setups_after_horizon: self.outlook_setups_after_horizon,
        }
    }
}

impl SeriesData {
    fn of(s: &TimeSeries) -> Self {
        SeriesData {
            evaluations: s.evaluations.clone(),
            rejected: s.rejected.clone(),
            prompts: s.prompts.clone(),
            syncs: s.syncs.clone(),
            quarantined: s.quarantined.clone(),
            blocked: s.blocked.clone(),
            wait: s
                .wait
                .iter()
                .map(|h| {
                    std::iter::once(h.max())
                        .chain(h.bins().iter().flat_map(|&(b, c)| [b as u64, c]))
                        .collect()
                })
                .collect(),
            calendar: s.calendar.clone(),
        }
    }

    fn series(&self, buckets: usize) -> Result<TimeSeries, String> {
        let columns = [
            &self.evaluations,
            &self.rejected,
            &self.prompts,
            &self.syncs,
            &self.quarantined,
            &self.blocked,
        ];
        if columns.iter().any(|c| c.len() != buckets) || self.wait.len() != buckets {
            return Err(format!("time series do not have the scenario's {buckets} buckets"));
        }
        let wait = self
            .wait
            .iter()
            .map(|w| {
                let (max, pairs) = w.split_first().ok_or("empty wait histogram")?;
                if pairs.len() % 2 != 0 || pairs.chunks(2).any(|p| p[0] >= crate::stats::coarse::BINS as u64) {
                    return Err("malformed wait histogram");
                }
                let bins: Vec<(u16, u64)> = pairs.chunks(2).map(|p| (p[0] as u16, p[1])).collect();
                if !bins.windows(2).all(|w| w[0].0 < w[1].0) {
                    return Err("unsorted wait histogram");
                }
                Ok(CoarseHist::from_pairs(bins, *max))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TimeSeries {
            evaluations: self.evaluations.clone(),
            rejected: self.rejected.clone(),
            prompts: self.prompts.clone(),
            syncs: self.syncs.clone(),
            quarantined: self.quarantined.clone(),
            blocked: self.blocked.clone(),
            wait,
            calendar: self.calendar.clone(),
        })
    }
}

impl PoolData {
    fn of(p: &PoolPart) -> Self {
        let l = &p.load;
        PoolData {
            pool: p.pool,
            arrivals: l.arrivals,
            served: l.served,
            rejected: l.rejected,
            busy_us: l.busy_us.to_string(),
            capacity_us: l.capacity_us.to_string(),
            queue_area: l.queue_area.to_string(),
            span_us: l.span_us.to_string(),
            queue_max: l.queue_max,
            wait_sum_us: l.wait_sum_us.to_string(),
            wait_max_us: l.wait_max_us,
            response_max_us: l.response_max_us,
            wait: encode(&l.wait, l.bound_us),
            response: encode(&l.response, l.bound_us),
            series: SeriesData::of(&p.series),
        }
    }

    fn part(&self, buckets: usize, max_us: u64) -> Result<PoolPart, String> {
        Ok(PoolPart {
            pool: self.pool,
            load: PoolStats {
                arrivals: self.arrivals,
                served: self.served,
                rejected: self.rejected,
                busy_us: big(&self.busy_us)?,
                capacity_us: big(&self.capacity_us)?,
                queue_area: big(&self.queue_area)?,
                span_us: big(&self.span_us)?,
                queue_max: self.queue_max,
                wait_sum_us: big(&self.wait_sum_us)?,
                wait_max_us: self.wait_max_us,
                response_max_us: self.response_max_us,
                bound_us: max_us,
                wait: decode(&self.wait)?,
                response: decode(&self.response)?,
            },
            series: self.series.series(buckets)?,
        })
    }
}

fn per_connection() -> String {
    SimEngine::PerConnection.name().into()
}

fn payload_checksum(payload: &Payload) -> String {
    let text = serde_json::to_string(payload).expect("plain data");
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// Writes `shard.json` for the pools this shard ran.
pub fn write_shard(
    dir: &Path,
    shard: ShardId,
    run: RunKey,
    engine: SimEngine,
    wall_s: f64,
    result: &RunResult,
    sc: &Scenario,
) -> anyhow::Result<()> {
    let payload = Payload {
        shard,
        run,
        engine: engine.name().into(),
        wall_s,
        replications: result
            .replications
            .iter()
            .map(|r| RepData {
                counters: CountersData::of(&r.counters),
                delays: r
                    .delays
                    .indexed_cells()
                    .map(|(index, c)| CellData {
                        index,
                        count: c.count,
                        sum_us: c.sum_us.to_string(),
                        max_us: c.max_us,
                        hist: encode(&c.hist, sc.horizon.0),
                    })
                    .collect(),
                pools: r.pools.iter().map(PoolData::of).collect(),
            })
            .collect(),
    };
    let file = ShardFile {
        format: FORMAT.into(),
        checksum: payload_checksum(&payload),
        payload,
    };
    let path = dir.join(SHARD_FILE);
    std::fs::write(&path, serde_json::to_string(&file)?)?;
    Ok(())
}

/// A shard read back.
pub struct Shard {
    /// Which shard.
    pub id: ShardId,
    /// Which run.
    pub run: RunKey,
    /// The engine that simulated it.
    pub engine: SimEngine,
    /// Its simulation wall time, seconds.
    pub wall_s: f64,
    /// Its pools' results, per replication.
    pub replications: Vec<Replication>,
}

/// Reads the `shard.json` of a shard's output folder.
pub fn read_shard(dir: &Path, sc: &Scenario) -> anyhow::Result<Shard> {
    let path = dir.join(SHARD_FILE);
    let bad = |what: String| -> anyhow::Error { BadInput(format!("{}: {what}", path.display())).into() };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "cannot read ({e}); is this a folder written by `mailsim run --shard`?"
        ))
    })?;
    let file: ShardFile = serde_json::from_str(&text).map_err(|e| bad(format!("damaged: {e}")))?;
    if file.format != FORMAT {
        return Err(bad(format!("format {:?} is not {FORMAT:?}", file.format)));
    }
    if payload_checksum(&file.payload) != file.checksum {
        return Err(bad("damaged: its checksum does not match its contents".into()));
    }
    let p = file.payload;
    let engine = SimEngine::parse(&p.engine).ok_or_else(|| bad(format!("unknown engine {:?}", p.engine)))?;
    let buckets = sc.bucket_count();
    let mut replications = Vec::with_capacity(p.replications.len());
    for rep in &p.replications {
        let mut delays = SyncDelays::new(sc.horizon.0);
        for c in &rep.delays {
            if c.index >= crate::stats::delay::CELLS {
                return Err(bad(format!("unknown sync-delay cell {}", c.index)));
            }
            let cell = DelayCell {
                count: c.count,
                sum_us: big(&c.sum_us).map_err(&bad)?,
                max_us: c.max_us,
                hist: decode(&c.hist).map_err(&bad)?,
            };
            delays.set_cell(c.index, cell);
        }
        let pools = rep
            .pools
            .iter()
            .map(|d| d.part(buckets, sc.horizon.0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(&bad)?;
        let mut load = PoolStats::new(0, sc.horizon.0);
        load.span_us = 0; // spans and capacities add up from the pools
        let mut series = TimeSeries::new(buckets);
        for part in &pools {
            load.merge(&part.load);
            series.merge(&part.series);
        }
        replications.push(Replication {
            counters: rep.counters.counters(),
            delays,
            load,
            series,
            pools,
        });
    }
    Ok(Shard {
        id: p.shard,
        run: p.run,
        engine,
        wall_s: p.wall_s,
        replications,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ids_parse_and_own_pools() {
        assert_eq!(ShardId::parse("1/3"), Ok(ShardId { index: 1, count: 3 }));
        for bad in ["3/3", "1", "a/2", "-1/2", "1/0", "", "1/2/3"] {
            assert!(ShardId::parse(bad).is_err(), "{bad}");
        }
        let s = ShardId { index: 1, count: 3 };
        assert_eq!((0..8).filter(|&p| s.owns(p)).collect::<Vec<_>>(), vec![1, 4, 7]);
    }

    #[test]
    fn histograms_survive_the_v2_round_trip() {
        let mut h = crate::stats::duration_histogram();
        for v in [0, 1, 17, 1_000, 123_456_789, 1 << 39] {
            h.record_n(v, v % 7 + 1).unwrap();
        }
        let back = decode(&encode(&h, 1 << 40)).unwrap();
        assert_eq!(back, at_bound(&h, 1 << 40));
        assert!(decode("not base64!").is_err());
    }
}
