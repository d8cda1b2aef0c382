//! One module per subcommand, each with its `run`.

pub mod compare;
pub mod merge;
pub mod report;
pub mod run;
pub mod sweep;
pub mod validate;

use crate::cli::Format;
use crate::output::summary::Summary;

/// Prints the summary of an output folder on stdout.
fn print_summary(summary: &Summary, format: Format) {
    match format {
        Format::Text => print!("{}", summary.to_text()),
        Format::Json => print!("{}", summary.to_json()),
    }
}
