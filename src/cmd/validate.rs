//! `mailsim validate SCENARIO`: check a file and print its expected size.

use super::{megabytes, memory_warning};
use crate::report::summary::plural;
use crate::scenario::Scenario;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `mailsim validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
}

/// Validates the scenario and prints what it would simulate.
pub fn run(args: &ValidateArgs) -> anyhow::Result<()> {
    let path = &args.scenario;
    let sc = Scenario::load(path)?;
    let size = sc.expected_size();
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
    println!("  events        ~{:.0} per replication (estimate)", size.events);
    let threads = rayon::current_num_threads();
    println!(
        "  memory        ~{} on {} (estimate)",
        megabytes(size.memory_bytes(&sc, threads)),
        plural(threads as u64, "thread", "threads")
    );
    if let Some(warning) = memory_warning(&sc, threads) {
        eprintln!("{warning}");
    }
    Ok(())
}
