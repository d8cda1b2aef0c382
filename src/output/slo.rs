//! Checking a scenario's SLOs against a run's key metrics: verdicts for the
//! summary, `slo.csv`, and exit code 3 when one fails (like k6 thresholds).

use super::results::Results;
use serde::Serialize;
use std::fmt;
use std::io::Write;

/// One SLO, measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SloResult {
    /// Metric name.
    pub metric: String,
    /// `max` or `min`.
    pub bound: &'static str,
    /// The threshold.
    pub limit: f64,
    /// The measured value (all replications merged); `None` when the run
    /// has no data for it, which fails the SLO: nothing shows it is met.
    pub value: Option<f64>,
    /// Whether it is met.
    pub pass: bool,
}

/// Every bound of every SLO of the scenario, measured on the merged run.
pub fn evaluate(r: &Results) -> Vec<SloResult> {
    let mut out = Vec::new();
    for slo in &r.scenario.slos {
        let value = r.merged_metric(&slo.metric);
        for (bound, limit) in [("max", slo.max), ("min", slo.min)] {
            let Some(limit) = limit else { continue };
            let pass = value.is_some_and(|v| if bound == "max" { v <= limit } else { v >= limit });
            out.push(SloResult {
                metric: slo.metric.clone(),
                bound,
                limit,
                value,
                pass,
            });
        }
    }
    out
}

/// `slo.csv`: metric, bound, limit, value, verdict.
pub fn write_slo_csv(results: &[SloResult], w: &mut dyn Write) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(["metric", "bound", "limit", "value", "verdict"])?;
    for s in results {
        out.write_record([
            s.metric.as_str(),
            s.bound,
            &s.limit.to_string(),
            &s.value.map(|v| format!("{v:.6}")).unwrap_or_default(),
            if s.pass { "pass" } else { "fail" },
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Some SLOs failed: exit code 3, after the results are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloFailed {
    /// How many bounds failed.
    pub failed: usize,
    /// How many were checked.
    pub checked: usize,
}

impl fmt::Display for SloFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} SLO bound(s) failed (see slo.csv)",
            self.failed, self.checked
        )
    }
}

impl std::error::Error for SloFailed {}

/// `Err(SloFailed)` when any bound failed.
pub fn verdict(results: &[SloResult]) -> Result<(), SloFailed> {
    let failed = results.iter().filter(|s| !s.pass).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(SloFailed {
            failed,
            checked: results.len(),
        })
    }
}
