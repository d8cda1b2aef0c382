//! `mailsim merge OUT SHARD_DIR...`: combine the partial results of a
//! sharded run into the output folder an unsharded run would have written.

use super::{Format, print_summary};
use crate::error::BadInput;
use crate::output::json::RunInfo;
use crate::output::results::SCENARIO_COPY;
use crate::output::shard::{RunKey, Shard, read_shard};
use crate::output::{Target, write_results};
use crate::report::render;
use crate::report::summary::Summary;
use crate::scenario::Scenario;
use crate::stats::slo::{evaluate, verdict};
use crate::stats::{Replication, RunResult};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn bad(message: String) -> anyhow::Error {
    BadInput(message).into()
}

/// The scenario a shard folder ran, as run (seed and replications of its run.json).
fn scenario_of(dir: &Path) -> anyhow::Result<(Scenario, String)> {
    let path = dir.join(SCENARIO_COPY);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "{}: cannot read ({e}); is this a shard's output folder?",
            path.display()
        ))
    })?;
    let json_path = dir.join("run.json");
    let json: serde_json::Value = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| bad(format!("{}: missing or damaged", json_path.display())))?;
    let mut sc = Scenario::parse(&text, &path.display().to_string())?;
    let field = |k: &str| {
        json["scenario"][k]
            .as_u64()
            .ok_or_else(|| bad(format!("{}: no scenario.{k}", json_path.display())))
    };
    sc.seed = field("seed")?;
    sc.replications = field("replications")? as u32;
    Ok((sc, text))
}

/// Arguments of `mailsim merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The output folder to write.
    pub out: PathBuf,
    /// The shards' output folders, one per shard, in any order.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (an explicit --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if mailsim did not write it.
    #[arg(long)]
    pub force: bool,
}

/// Merges the shard folders into the output folder.
pub fn run(args: &MergeArgs) -> anyhow::Result<()> {
    let (out, dirs, format, quiet) = (args.out.as_path(), args.shards.as_slice(), args.format, args.quiet);
    let shard_dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let target = Target::replace(out, args.force, &shard_dirs)?;
    let (sc, text) = scenario_of(&dirs[0])?;
    let key = RunKey::of(&sc, &text);
    let mut shards: Vec<(PathBuf, Shard)> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let (dir_sc, dir_text) = scenario_of(dir)?;
        let shard = read_shard(dir, &dir_sc)?;
        let dir_key = RunKey::of(&dir_sc, &dir_text);
        if dir_key != key || shard.run != key {
            return Err(bad(format!(
                "{} is a shard of another run ({:?}, seed {}, {} replication(s)) than {} ({:?}, seed {}, {} replication(s)); merge only shards of one scenario and seed",
                dir.display(),
                shard.run.name,
                shard.run.seed,
                shard.run.replications,
                dirs[0].display(),
                key.name,
                key.seed,
                key.replications
            )));
        }
        if let Some((other, _)) = shards.iter().find(|(_, s)| s.id.index == shard.id.index) {
            return Err(bad(format!(
                "{} and {} are both shard {}/{}",
                other.display(),
                dir.display(),
                shard.id.index,
                shard.id.count
            )));
        }
        if let Some((first, s)) = shards.first()
            && s.engine != shard.engine
        {
            return Err(bad(format!(
                "{} ran on the {} engine and {} on the {} engine; merge only shards of one engine (their sample paths differ)",
                first.display(),
                s.engine,
                dir.display(),
                shard.engine
            )));
        }
        if shard.id.count != shards.first().map_or(shard.id.count, |(_, s)| s.id.count) {
            return Err(bad(format!(
                "{} is one of {} shards, the others of {}",
                dir.display(),
                shard.id.count,
                shards[0].1.id.count
            )));
        }
        shards.push((dir.clone(), shard));
    }
    let count = shards[0].1.id.count;
    let missing: Vec<String> = (0..count)
        .filter(|i| !shards.iter().any(|(_, s)| s.id.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!(
            "shard(s) {} missing: give all {count} shard folders",
            missing.join(", ")
        )));
    }
    shards.sort_by_key(|(_, s)| s.id.index);
    let wall_s: f64 = shards.iter().map(|(_, s)| s.wall_s).sum();
    let engine = shards[0].1.engine;
    let mut reps: Vec<Option<Replication>> = vec![None; sc.replications as usize];
    for (dir, shard) in shards {
        if shard.replications.len() != sc.replications as usize {
            return Err(bad(format!(
                "{}: has {} replication(s), not {}",
                dir.display(),
                shard.replications.len(),
                sc.replications
            )));
        }
        for (slot, rep) in reps.iter_mut().zip(shard.replications) {
            *slot = Some(match slot.take() {
                None => rep,
                Some(acc) => acc.merge_pools(rep),
            });
        }
    }
    let replications: Vec<Replication> = reps
        .into_iter()
        .map(|r| {
            let mut r = r.expect("every shard has every replication");
            r.pools.sort_by_key(|p| p.pool);
            r
        })
        .collect();
    if replications[0].pools.iter().map(|p| p.pool).ne(0..sc.evaluator.pools) {
        return Err(bad(format!(
            "the shards do not hold pools 0 to {} exactly once",
            sc.evaluator.pools - 1
        )));
    }
    let result = RunResult::new(replications);
    let info = RunInfo {
        scenario_text: text.clone(),
        file: dirs[0].join(SCENARIO_COPY).display().to_string(),
        threads: count as usize,
        wall: Duration::from_secs_f64(wall_s),
        engine,
        engine_note: None,
    };
    let mut results = None;
    target.write(|dir| {
        write_results(dir, &sc, &result, &info)?;
        results = Some(render(dir)?);
        Ok(())
    })?;
    let mut results = results.expect("written above");
    results.dir = out.to_path_buf(); // the folder now has its final name
    print_summary(&Summary::of(&results), format, quiet);
    Ok(verdict(&evaluate(&results.scenario.slos, &results))?)
}
