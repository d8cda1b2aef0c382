//! Comparing two output folders metric by metric, with replication noise
//! taken into account: the regression check for CI and the what-if view.
//!
//! A metric's verdict is `same` when it moved by no more than the
//! tolerance, or when both runs have replications and the two 95 %
//! confidence intervals of the mean overlap (the change is within noise).
//! Otherwise it is `better` or `worse` (lower is better for delays, waits,
//! load and rejections), or `changed` for outcome shares, which have no
//! better direction. Overlapping intervals is a conservative test (about
//! α = 0.005 for equal spreads), chosen because dozens of metrics are
//! compared at once.

use super::metrics::{Interval, MetricSource, metric_names};
use std::fmt;

/// One metric compared.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricComparison {
    /// Metric name.
    pub metric: String,
    /// Value in the base run (all replications merged).
    pub base: f64,
    /// Value in the new run.
    pub new: f64,
    /// (new − base) / |base|; infinite when base is 0 and new is not.
    pub change: f64,
    /// `same`, `better`, `worse` or `changed`.
    pub verdict: &'static str,
}

/// Whether a smaller value of the metric is better.
fn lower_is_better(metric: &str) -> Option<bool> {
    (!metric.starts_with("outcome_share.")).then_some(true)
}

/// Compares every key metric present in both runs.
pub fn compare(base: &dyn MetricSource, new: &dyn MetricSource, tolerance: f64) -> Vec<MetricComparison> {
    let mut out = Vec::new();
    for metric in metric_names() {
        let (Some(b), Some(n)) = (base.merged(&metric), new.merged(&metric)) else {
            continue;
        };
        let change = if b == n {
            0.0
        } else if b == 0.0 {
            f64::INFINITY
        } else {
            (n - b) / b.abs()
        };
        let within_noise = match (
            Interval::of(&base.per_replication(&metric)),
            Interval::of(&new.per_replication(&metric)),
        ) {
            (Some(ib), Some(inew)) => (inew.mean - ib.mean).abs() <= ib.half_width + inew.half_width,
            _ => false,
        };
        let verdict = if change.abs() <= tolerance || within_noise {
            "same"
        } else {
            match lower_is_better(&metric) {
                Some(true) if n < b => "better",
                Some(true) => "worse",
                _ => "changed",
            }
        };
        out.push(MetricComparison {
            metric,
            base: b,
            new: n,
            change,
            verdict,
        });
    }
    out
}

/// A regression: exit code 3.
#[derive(Debug)]
pub struct Regression(pub usize);

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} metric(s) got worse beyond the tolerance (see compare.csv)",
            self.0
        )
    }
}

impl std::error::Error for Regression {}
