//! `mailsim run SCENARIO`: simulate, write results atomically, summarise.

use super::{Format, memory_warning, print_summary};
use crate::engine::Engine;
use crate::engine::Progress;
use crate::error::BadInput;
use crate::output::json::RunInfo;
use crate::output::shard::{RunKey, write_shard};
use crate::output::{Target, write_results};
use crate::report::progress::ProgressDisplay;
use crate::report::render;
use crate::report::summary::Summary;
use crate::run::{RunOptions, ShardId, engine_choice, run as simulate, total_us};
use crate::scenario::set::{Override, SloBound, apply};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::slo::{evaluate, verdict};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `mailsim run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder [default: output/<scenario file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed, instead of the scenario's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications, instead of the scenario's.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub replications: Option<u32>,
    /// Worker threads [default: one per core]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (no progress bar, no summary; an explicit
    /// --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if mailsim did not write it.
    #[arg(long)]
    pub force: bool,
    /// Simulate only shard I of N (pools p with p mod N = I) and write a
    /// partial result for `mailsim merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardId>,
    /// Change a scenario key by its dotted path before running (repeatable),
    /// e.g. --set evaluator.servers=8 --set tenants[0].changes[0].share=0.5
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<Override>,
    /// An SLO: METRIC<=VALUE or METRIC>=VALUE (repeatable; added to the scenario's [[slo]]).
    #[arg(long, value_name = "SLO", value_parser = SloBound::parse)]
    pub slo: Vec<SloBound>,
    /// The simulation engine: `fast` or `per-connection` (the reference)
    /// [default: fast where it is exact]. run.json records the one used.
    #[arg(long, value_name = "ENGINE", value_parser = parse_engine)]
    pub engine: Option<Engine>,
}

/// Parses `--engine`.
pub fn parse_engine(text: &str) -> Result<Engine, String> {
    Engine::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Engine::ALL.iter().map(|e| e.name()).collect();
        format!("unknown engine {text:?}; expected one of: {}", names.join(", "))
    })
}

fn parse_set(text: &str) -> Result<Override, String> {
    Override::parse(text)
}

fn parse_shard(text: &str) -> Result<ShardId, String> {
    ShardId::parse(text).map_err(|e| e.0)
}

/// `output/<stem>` for a scenario path.
pub fn default_out(scenario: &Path) -> anyhow::Result<PathBuf> {
    let stem = scenario.file_stem().ok_or_else(|| {
        BadInput(format!(
            "{}: cannot name an output folder after this path; use --out",
            scenario.display()
        ))
    })?;
    Ok(Path::new("output").join(stem))
}

/// Reads a scenario, applies `--set` overrides to its text, and validates
/// the result; returns it with the text as run.
pub fn load_with_overrides(path: &Path, sets: &[Override], slos: &[SloBound]) -> anyhow::Result<(Scenario, String)> {
    let file = path.display().to_string();
    let original = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: None,
        key: None,
        message: format!("cannot read the scenario: {e}"),
    })?;
    let mut text = apply(&original, sets).map_err(BadInput)?;
    // An SLO from the command line becomes part of the scenario as run, so
    // that the copy in the output folder (and `mailsim report`) holds it.
    for slo in slos {
        text.push_str(&slo.to_toml());
    }
    let label = match (sets.is_empty(), slos.is_empty()) {
        (true, true) => file,
        (false, true) => format!("{file} (with --set)"),
        (true, false) => format!("{file} (with --slo)"),
        (false, false) => format!("{file} (with --set and --slo)"),
    };
    // Lines of the rewritten text would not match the file: name the key only.
    let sc = Scenario::parse(&text, &label).map_err(|e| ScenarioError {
        line: if sets.is_empty() { e.line } else { None },
        ..e
    })?;
    Ok((sc, text))
}

/// Runs the scenario of `args` and writes its output folder.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let (mut sc, text) = load_with_overrides(&args.scenario, &args.set, &args.slo)?;
    if let Some(seed) = args.seed {
        sc.seed = seed;
    }
    if let Some(r) = args.replications {
        sc.replications = r;
    }
    let out = match &args.out {
        Some(o) => o.clone(),
        None => default_out(&args.scenario)?,
    };
    let target = Target::replace(&out, args.force, &[&args.scenario])?;
    let threads = args.threads.map_or(0, |t| t as usize);
    if let Some(shard) = args.shard
        && shard.count > sc.evaluator.pools
    {
        return Err(BadInput(format!(
            "--shard {}/{}: the scenario has only {} pool(s), so at most {} shards",
            shard.index, shard.count, sc.evaluator.pools, sc.evaluator.pools
        ))
        .into());
    }
    let (engine, engine_note) = engine_choice(&sc, args.engine);
    if let Some(note) = &engine_note
        && !args.quiet
    {
        eprintln!("note: running on the {engine} engine: {note}");
    }
    if let Some(warning) = memory_warning(
        &sc,
        if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        engine,
    ) {
        eprintln!("{warning}");
    }
    let progress = Arc::new(Progress::default());
    let display = ProgressDisplay::start(&progress, total_us(&sc, args.shard), sc.horizon, args.quiet);
    let started = Instant::now();
    let result = simulate(
        &sc,
        &RunOptions {
            threads,
            progress: Some(progress),
            shard: args.shard,
            engine: Some(engine),
        },
    );
    let wall = started.elapsed();
    display.finish();
    let result = result?;
    let info = RunInfo {
        scenario_text: text.clone(),
        file: args.scenario.display().to_string(),
        threads: if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        wall,
        engine,
        engine_note,
    };
    if let Some(shard) = args.shard {
        target.write(|dir| {
            write_results(dir, &sc, &result, &info)?;
            write_shard(
                dir,
                shard,
                RunKey::of(&sc, &text),
                engine,
                wall.as_secs_f64(),
                &result,
                &sc,
            )
        })?;
        if !args.quiet {
            let pools: Vec<String> = (0..sc.evaluator.pools)
                .filter(|&p| shard.owns(p))
                .map(|p| p.to_string())
                .collect();
            println!(
                "shard {}/{} of {}: pools {} simulated in {:.2} s; merge with `mailsim merge OUT_DIR SHARD_DIR...`",
                shard.index,
                shard.count,
                sc.name,
                pools.join(", "),
                wall.as_secs_f64()
            );
            println!("  results      {}", out.display());
        }
        return Ok(());
    }
    let mut results = None;
    target.write(|dir| {
        write_results(dir, &sc, &result, &info)?;
        results = Some(render(dir)?);
        Ok(())
    })?;
    let mut results = results.expect("written above");
    results.dir = out; // the folder now has its final name
    print_summary(&Summary::of(&results), args.format, args.quiet);
    Ok(verdict(&evaluate(&results.scenario.slos, &results))?)
}
