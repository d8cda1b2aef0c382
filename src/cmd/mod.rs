//! One module per subcommand, each with its argument struct and its `run`.

pub mod compare;
pub mod load;
pub mod merge;
pub mod report;
pub mod run;
pub mod serve;
pub mod sweep;
pub mod validate;

use crate::engine::Engine;
use crate::report::summary::Summary;
use crate::scenario::Scenario;
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

/// The machine's memory in bytes (`MemTotal` of /proc/meminfo), where the
/// system says (Linux).
fn machine_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Bytes in MB, or GB when large, for people.
fn megabytes(bytes: f64) -> String {
    if bytes < 1e10 {
        format!("{:.0} MB", bytes / 1e6)
    } else {
        format!("{:.0} GB", bytes / 1e9)
    }
}

/// A warning, for stderr, when a run of `sc` on `threads` threads is
/// expected to need more memory than the machine has. It stays a warning:
/// the estimate is rough, and the run may still fit (or swap).
fn memory_warning(sc: &Scenario, threads: usize, engine: Engine) -> Option<String> {
    let need = sc.expected_size().memory_bytes(sc, threads, engine);
    let have = machine_memory()?;
    (need > have).then(|| {
        format!(
            "warning: this scenario is expected to need about {} of memory on {}, more than this machine's {}; fewer threads (--threads) or more pools need less",
            megabytes(need),
            crate::report::summary::plural(threads as u64, "thread", "threads"),
            megabytes(have)
        )
    })
}
