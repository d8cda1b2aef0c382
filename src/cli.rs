//! The command line (SPEC §4): the subcommands, each with the argument
//! struct of its `cmd` module, and the one place where an error becomes an
//! exit code.

use crate::cmd;
use crate::error::BadInput;
use crate::scenario::ScenarioError;
use crate::stats::compare::Regression;
use crate::stats::slo::SloFailed;
use crate::stats::sweep::NoPointMeets;
use clap::{Parser, Subcommand};

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
    /// Run a scenario; write CSV results, charts and an HTML report into an output folder.
    Run(cmd::run::RunArgs),
    /// Check a scenario file and print its expected size.
    Validate(cmd::validate::ValidateArgs),
    /// Combine the output folders of `run --shard` into one, as if run whole.
    Merge(cmd::merge::MergeArgs),
    /// Run a grid of scenario variants; write sweep.csv and a chart, and name
    /// the cheapest point that meets every SLO.
    Sweep(cmd::sweep::SweepArgs),
    /// Compare two runs' key metrics; exit 3 when one got worse beyond tolerance and noise.
    Compare(cmd::compare::CompareArgs),
    /// Redraw the charts and HTML report of an earlier run from its CSV files.
    Report(cmd::report::ReportArgs),
    /// Run a live quarantine-evaluation service (HTTP) with one evaluator pool's capacity.
    Serve(cmd::serve::ServeArgs),
    /// Drive a live HTTP service with a scenario's requests at their instants (open
    /// loop); write measured beside predicted latency, decisions checked, and a report.
    Load(cmd::load::LoadArgs),
}

/// Runs the parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => cmd::run::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Merge(args) => cmd::merge::run(&args),
        Command::Sweep(args) => cmd::sweep::run(&args),
        Command::Compare(args) => cmd::compare::run(&args),
        Command::Report(args) => cmd::report::run(&args),
        Command::Serve(args) => cmd::serve::run(&args),
        Command::Load(args) => cmd::load::run(&args),
    }
}

/// Exit code for bad input (scenario or command line).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for any other failure.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code when a run completed but an SLO failed (`run`, `merge`, `sweep`) or
/// `compare` found a regression.
pub const EXIT_THRESHOLD: i32 = 3;

/// The process exit code for an error, from the typed errors the layers
/// below define.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.downcast_ref::<SloFailed>().is_some()
        || err.downcast_ref::<Regression>().is_some()
        || err.downcast_ref::<NoPointMeets>().is_some()
    {
        EXIT_THRESHOLD
    } else if err.downcast_ref::<ScenarioError>().is_some() || err.downcast_ref::<BadInput>().is_some() {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
