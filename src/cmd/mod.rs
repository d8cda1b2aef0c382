//! One module per subcommand, each with its argument struct and its `run`.

pub mod compare;
pub mod merge;
pub mod report;
pub mod run;
pub mod serve;
pub mod sweep;
pub mod validate;

use crate::report::summary::Summary;
use clap::ValueEnum;

/// How the end-of-run summary is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Text,
    /// JSON for scripts.
    Json,
}

/// Prints the summary of an output folder on stdout: JSON whenever asked
/// for, the text for people unless `quiet`.
fn print_summary(summary: &Summary, format: Format, quiet: bool) {
    match format {
        Format::Text if !quiet => print!("{}", summary.to_text()),
        Format::Text => {}
        Format::Json => print!("{}", summary.to_json()),
    }
}
