//! `run.json`: what varies between runs of the same scenario (wall time,
//! speed, threads, version) and what the run was, for people and scripts.

use crate::engine::Engine;
use crate::scenario::Scenario;
use crate::stats::RunResult;
use serde_json::json;
use std::time::Duration;

/// How a run went, beside what it computed.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The scenario file as given.
    pub file: String,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock time of the simulation (not of writing files).
    pub wall: Duration,
    /// The scenario text as run (after any `--set`), saved as scenario.toml.
    pub scenario_text: String,
    /// The simulation engine that ran it.
    pub engine: Engine,
    /// Why that engine and not the one asked for, when they differ.
    pub engine_note: Option<String>,
}

/// The JSON text of `run.json`.
pub fn run_json(sc: &Scenario, run: &RunResult, info: &RunInfo) -> String {
    let c = &run.all().counters;
    let wall = info.wall.as_secs_f64().max(1e-9);
    let size = sc.expected_size();
    let value = json!({
        "mailsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": sc.name,
            "file": info.file,
            "seed": sc.seed,
            "replications": sc.replications,
            "horizon_s": sc.horizon.as_secs_f64(),
            "bucket_s": sc.bucket.as_secs_f64(),
            "pools": sc.evaluator.pools,
            "servers_per_pool": sc.evaluator.servers,
            "tenants": size.tenants,
        },
        "engine": info.engine.name(),
        "engine_note": info.engine_note,
        "threads": info.threads,
        "wall_s": info.wall.as_secs_f64(),
        "events": c.events,
        "requests": c.requests,
        "evaluations": c.evaluations,
        "events_per_s": c.events as f64 / wall,
        "requests_per_s": c.requests as f64 / wall,
        "evaluations_per_s": c.evaluations as f64 / wall,
    });
    serde_json::to_string_pretty(&value).expect("JSON of plain values") + "\n"
}
