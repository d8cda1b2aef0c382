//! `mailsim compare BASE NEW`: key metrics side by side with verdicts;
//! exit 3 when one got worse beyond the tolerance and the noise.

use crate::error::BadInput;
use crate::output::results::{Results, scenario_differences};
use crate::output::tables::write_compare_csv;
use crate::stats::compare::{Regression, compare};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `mailsim compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The reference output folder.
    pub base: PathBuf,
    /// The output folder to judge.
    pub new: PathBuf,
    /// Relative change that counts as a change at all.
    #[arg(long, default_value = "5%", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// Compare runs of differently named scenarios.
    #[arg(long)]
    pub force: bool,
    /// Where to write compare.csv [default: NEW].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses `5%` or `0.05`.
pub fn parse_tolerance(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("--tolerance {text}: expected a share like 5% or 0.05"))?;
    if !(0.0..=10.0).contains(&v) {
        return Err(format!("--tolerance {text}: must be between 0% and 1000%"));
    }
    Ok(v)
}

/// Compares two output folders; writes `compare.csv` into `--out` (default: NEW).
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let (base, new, tolerance, force, out, quiet) = (
        args.base.as_path(),
        args.new.as_path(),
        args.tolerance,
        args.force,
        args.out.as_deref(),
        args.quiet,
    );
    let (b, n) = (Results::load(base)?, Results::load(new)?);
    if b.run.scenario.name != n.run.scenario.name && !force {
        return Err(BadInput(format!(
            "{} ran {:?} and {} ran {:?}: different scenarios; use --force to compare them anyway",
            base.display(),
            b.run.scenario.name,
            new.display(),
            n.run.scenario.name
        ))
        .into());
    }
    let rows = compare(&b, &n, tolerance);
    let diffs = scenario_differences(&b, &n);
    let target = out.unwrap_or(new).join("compare.csv");
    let mut file = std::fs::File::create(&target)?;
    write_compare_csv(&rows, &mut file)?;
    if !quiet {
        println!(
            "{} → {} (tolerance {:.1}%)",
            base.display(),
            new.display(),
            tolerance * 100.0
        );
        if diffs.is_empty() {
            println!("  scenario: the same keys and values");
        } else {
            println!("  scenario keys that differ:");
            for (k, a, z) in &diffs {
                println!("    {k:<40} {a} → {z}");
            }
        }
        println!(
            "  {:<52} {:>14} {:>14} {:>9}  verdict",
            "metric", "base", "new", "change"
        );
        for r in &rows {
            let change = if r.change.is_finite() {
                format!("{:+.1}%", r.change * 100.0)
            } else {
                "new".into()
            };
            println!(
                "  {:<52} {:>14.4} {:>14.4} {:>9}  {}",
                r.metric, r.base, r.new, change, r.verdict
            );
        }
        println!("  written to {}", target.display());
    }
    let worse = rows.iter().filter(|r| r.verdict == "worse").count();
    if worse > 0 {
        return Err(Regression(worse).into());
    }
    Ok(())
}
