//! Checking a scenario's SLOs against a run's key metrics: the verdicts
//! behind the summary, `slo.csv` and exit code 3 (like k6 thresholds).

use super::metrics::MetricSource;
use crate::scenario::Slo;
use serde::Serialize;
use std::fmt;

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

/// Every bound of every SLO, measured on the merged run.
pub fn evaluate(slos: &[Slo], run: &dyn MetricSource) -> Vec<SloResult> {
    let mut out = Vec::new();
    // A load always has its error share; a run never has: there the live
    // metrics (`load.*`) are not checked, rather than failed for no data.
    let live = run.merged("load.error_share").is_some();
    for slo in slos {
        if slo.metric.starts_with("load.") && !live {
            continue;
        }
        let value = run.merged(&slo.metric);
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
