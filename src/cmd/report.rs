//! `mailsim report DIR`: redraw charts and the HTML report from the CSV
//! files of an earlier run, without simulating again.

use super::{Format, print_summary};
use crate::output::Target;
use crate::report::render;
use crate::report::summary::Summary;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `mailsim report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// An output folder written by `mailsim run`.
    pub dir: PathBuf,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (an explicit --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Redraw even in a folder without mailsim's marker (one written by an
    /// older mailsim).
    #[arg(long)]
    pub force: bool,
}

/// Rebuilds the charts and report in the folder and prints the summary.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let target = Target::update(&args.dir, args.force, &[])?;
    let mut results = None;
    target.write(|dir| {
        results = Some(render(dir)?);
        Ok(())
    })?;
    let mut results = results.expect("written above");
    results.dir = args.dir.clone(); // the folder now has its final name
    print_summary(&Summary::of(&results), args.format, args.quiet);
    Ok(())
}
