//! The command line (SPEC §4): clap definitions only; each subcommand's
//! work lives in `cmd/`.

use crate::output::shard::ShardId;
use crate::scenario::set::Override;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    Run(RunArgs),
    /// Check a scenario file and print its expected size.
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
    /// Combine the output folders of `run --shard` into one, as if run whole.
    Merge {
        /// The output folder to write.
        out: PathBuf,
        /// The shards' output folders, one per shard, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// How to print the summary.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a grid of scenario variants; write sweep.csv and a chart, and name
    /// the cheapest point that meets every SLO.
    Sweep {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// A key and its values: key=a..b[:step], key=x,y,z or key=x (repeatable; first varies slowest).
        #[arg(long = "set", value_name = "KEY=VALUES", value_parser = crate::cmd::sweep::parse_axis, required = true)]
        set: Vec<crate::cmd::sweep::Axis>,
        /// An SLO: METRIC<=VALUE or METRIC>=VALUE (repeatable; the scenario's [[slo]] apply too).
        #[arg(long, value_name = "SLO", value_parser = crate::cmd::sweep::parse_slo)]
        slo: Vec<crate::output::sweep::SweepSlo>,
        /// The metric to chart [default: the first SLO's, else evaluator.wait_p99_ms].
        #[arg(long)]
        metric: Option<String>,
        /// Output folder [default: output/<scenario file stem>-sweep].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: one per core]. Results do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
        threads: Option<u64>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare two runs' key metrics; exit 3 when one got worse beyond tolerance and noise.
    Compare {
        /// The reference output folder.
        base: PathBuf,
        /// The output folder to judge.
        new: PathBuf,
        /// Relative change that counts as a change at all.
        #[arg(long, default_value = "5%", value_parser = crate::cmd::compare::parse_tolerance)]
        tolerance: f64,
        /// Compare runs of differently named scenarios.
        #[arg(long)]
        force: bool,
        /// Where to write compare.csv [default: NEW].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Redraw the charts and HTML report of an earlier run from its CSV files.
    Report {
        /// An output folder written by `mailsim run`.
        dir: PathBuf,
        /// How to print the summary.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a live quarantine-evaluation service (HTTP) with the capacity of one evaluator pool.
    Serve(crate::serve::ServeArgs),
}

/// How the end-of-run summary is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Text,
    /// JSON for scripts.
    Json,
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
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (no progress bar, no summary).
    #[arg(long, short)]
    pub quiet: bool,
    /// Simulate only shard I of N (pools p with p mod N = I) and write a
    /// partial result for `mailsim merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardId>,
    /// Change a scenario key by its dotted path before running (repeatable),
    /// e.g. --set evaluator.servers=8 --set tenants[0].changes[0].share=0.5
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<Override>,
}

fn parse_set(text: &str) -> Result<Override, String> {
    Override::parse(text)
}

fn parse_shard(text: &str) -> Result<ShardId, String> {
    ShardId::parse(text).map_err(|e| e.0)
}

/// Runs the parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => crate::cmd::run::run(&args),
        Command::Validate { scenario } => crate::cmd::validate::run(&scenario),
        Command::Report { dir, format, quiet } => crate::cmd::report::run(&dir, format, quiet),
        Command::Sweep {
            scenario,
            set,
            slo,
            metric,
            out,
            threads,
            quiet,
        } => crate::cmd::sweep::run(&crate::cmd::sweep::SweepArgs {
            scenario: &scenario,
            axes: &set,
            slos: &slo,
            metric: metric.as_deref(),
            out: out.as_deref(),
            threads: threads.map_or(0, |t| t as usize),
            quiet,
        }),
        Command::Compare {
            base,
            new,
            tolerance,
            force,
            out,
            quiet,
        } => crate::cmd::compare::run(&base, &new, tolerance, force, out.as_deref(), quiet),
        Command::Merge {
            out,
            shards,
            format,
            quiet,
        } => crate::cmd::merge::run(&out, &shards, format, quiet),
        Command::Serve(args) => crate::serve::run(&args),
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
