//! `mailsim report DIR`: redraw charts and the HTML report from the CSV
//! files of an earlier run, without simulating again.

use super::{Format, print_summary};
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
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Rebuilds the charts and report in the folder and prints the summary.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let results = render(&args.dir)?;
    if !args.quiet {
        print_summary(&Summary::of(&results), args.format);
    }
    Ok(())
}
