//! `mailsim validate SCENARIO`: check a file and print its expected size.

use crate::scenario::Scenario;
use std::path::Path;

/// Validates `path` and prints what it would simulate.
pub fn run(path: &Path) -> anyhow::Result<()> {
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
