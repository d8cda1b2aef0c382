//! The command line: `mailsim run` and `mailsim validate` (SPEC §4).

use crate::error::BadInput;
use crate::output::json::RunInfo;
use crate::output::{write_atomically, write_results};
use crate::run::{RunOptions, RunResult, run};
use crate::scenario::Scenario;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// mailsim: simulate mobile-mail-app policies, prompts, quarantines and the
/// load they put on the quarantine evaluation service.
#[derive(Parser, Debug)]
#[command(name = "mailsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and write CSV results into an output folder.
    Run(RunArgs),
    /// Check a scenario file and print its expected size.
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
}

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
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Validate { scenario } => validate_command(&scenario),
    }
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

fn run_command(args: &RunArgs) -> anyhow::Result<()> {
    let mut sc = Scenario::load(&args.scenario)?;
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
    let threads = args.threads.map(|t| t as usize).unwrap_or(0);
    let started = Instant::now();
    let result = run(&sc, &RunOptions { threads })?;
    let info = RunInfo {
        file: args.scenario.display().to_string(),
        threads: if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        wall: started.elapsed(),
    };
    write_atomically(&out, |dir| write_results(dir, &sc, &result, &info))?;
    if !args.quiet {
        print_summary(&sc, &result, &info, &out);
    }
    Ok(())
}

fn print_summary(sc: &Scenario, result: &RunResult, info: &RunInfo, out: &Path) {
    let c = &result.all.counters;
    let load = &result.all.load;
    let wall = info.wall.as_secs_f64().max(1e-9);
    println!(
        "{}: {} replication(s) of {} simulated",
        sc.name, sc.replications, sc.horizon
    );
    println!(
        "  population   {} tenants, {} users, {} connections",
        c.tenants, c.users, c.connections_initial
    );
    println!("  prompts      {} ({} quarantines)", c.prompts, c.quarantines);
    println!(
        "  evaluator    {} evaluations, {} rejected, utilization {:.1}%",
        c.evaluations,
        c.evaluations_rejected,
        load.utilization() * 100.0
    );
    println!(
        "  speed        {} events, {} requests in {:.2} s ({:.2} M requests/s, {} threads)",
        c.events,
        c.requests,
        wall,
        c.requests as f64 / wall / 1e6,
        info.threads
    );
    println!("  results      {}", out.display());
}

fn validate_command(path: &Path) -> anyhow::Result<()> {
    let sc = Scenario::load(path)?;
    let size = sc.expected_size();
    println!("{}: valid", path.display());
    println!("  name          {}", sc.name);
    println!(
        "  horizon       {} (bucket {}), {} replication(s), seed {}",
        sc.horizon, sc.bucket, sc.replications, sc.seed
    );
    println!(
        "  evaluator     {} pool(s) × {} servers",
        sc.evaluator.pools, sc.evaluator.servers
    );
    println!("  groups        {}", sc.groups.len());
    println!("  tenants       {}", size.tenants);
    println!("  users         ~{:.0} (expected)", size.users);
    println!("  connections   ~{:.0} (expected at t=0)", size.connections);
    println!("  events        ~{:.0} per replication (estimate)", size.events);
    Ok(())
}
