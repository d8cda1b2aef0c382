//! `mailsim report DIR`: redraw charts and the HTML report from the CSV
//! files of an earlier run, without simulating again.

use super::print_summary;
use crate::cli::Format;
use crate::output::report::render;
use crate::output::summary::Summary;
use std::path::Path;

/// Rebuilds the charts and report in `dir` and prints the summary.
pub fn run(dir: &Path, format: Format, quiet: bool) -> anyhow::Result<()> {
    let results = render(dir)?;
    if !quiet {
        print_summary(&Summary::of(&results), format);
    }
    Ok(())
}
