//! `mailsim validate SCENARIO`: check a file and print its expected size.

use super::run::parse_engine;
use super::{megabytes, memory_warning};
use crate::engine::Engine;
use crate::report::summary::plural;
use crate::run::engine_for;
use crate::scenario::Scenario;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `mailsim validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Estimate for this engine [default: the one `run` would choose].
    #[arg(long, value_name = "ENGINE", value_parser = parse_engine)]
    pub engine: Option<Engine>,
}

/// Validates the scenario and prints what it would simulate.
pub fn run(args: &ValidateArgs) -> anyhow::Result<()> {
    let path = &args.scenario;
    let sc = Scenario::load(path)?;
    let size = sc.expected_size();
    let engine = engine_for(&sc, args.engine);
    println!("{}: valid", path.display());
    println!("  name          {}", sc.name);
    println!(
        "  horizon       {} (bucket {}), {}, seed {}",
        sc.horizon,
        sc.bucket,
        plural(sc.replications as u64, "replication", "replications"),
        sc.seed
    );
    println!(
        "  evaluator     {} × {}",
        plural(sc.evaluator.pools as u64, "pool", "pools"),
        plural(sc.evaluator.servers as u64, "server", "servers")
    );
    println!("  groups        {}", sc.groups.len());
    println!("  tenants       {}", size.tenants);
    println!("  users         ~{:.0} (expected)", size.users);
    println!("  connections   ~{:.0} (expected at t=0)", size.connections);
    println!(
        "  events        ~{:.0} per replication on the {engine} engine (estimate)",
        size.events_on(engine)
    );
    let threads = rayon::current_num_threads();
    println!(
        "  memory        ~{} on {} (estimate)",
        megabytes(size.memory_bytes(&sc, threads, engine)),
        plural(threads as u64, "thread", "threads")
    );
    if let Some(warning) = memory_warning(&sc, threads, engine) {
        eprintln!("{warning}");
    }
    Ok(())
}
