//! The logic of a sweep: each grid point's key metrics with their
//! confidence intervals, whether a point meets the SLOs with confidence,
//! and the cheapest point that does.

use super::RunResult;
use super::metrics::{Interval, key_metrics};
use crate::scenario::Scenario;
use crate::scenario::set::Axis;
use std::collections::BTreeMap;

/// An SLO of a sweep: `metric <= limit` (`max`) or `>= limit` (`min`).
pub use crate::scenario::set::SloBound as SweepSlo;

/// One grid point: its values of the swept keys, and each key metric's
/// mean over replications with its 95 % half-width (none with one replication).
#[derive(Clone, Debug)]
pub struct Point {
    /// One value per axis.
    pub values: Vec<String>,
    /// Metric → (mean, half-width).
    pub metrics: BTreeMap<String, (f64, Option<f64>)>,
}

impl Point {
    /// Whether every SLO holds with confidence: the whole 95 % interval of
    /// the mean on the right side of the limit (the value itself with one
    /// replication). A metric without data fails.
    pub fn meets(&self, slos: &[SweepSlo]) -> bool {
        self.broken(slos).is_empty()
    }

    /// The SLOs this point does not meet with confidence.
    pub fn broken<'s>(&self, slos: &'s [SweepSlo]) -> Vec<&'s SweepSlo> {
        slos.iter()
            .filter(|s| match self.metrics.get(&s.metric) {
                Some(&(mean, hw)) => {
                    let hw = hw.unwrap_or(0.0);
                    if s.bound == "max" {
                        mean + hw > s.limit
                    } else {
                        mean - hw < s.limit
                    }
                }
                None => true,
            })
            .collect()
    }

    /// `key=value, key=value`.
    pub fn label(&self, axes: &[Axis]) -> String {
        axes.iter()
            .zip(&self.values)
            .map(|(a, v)| format!("{}={v}", a.path))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Point {
    /// The point of a grid with these `values`, from its run: each key
    /// metric's mean over replications with its 95 % half-width.
    pub fn of(values: Vec<String>, result: &RunResult, sc: &Scenario) -> Point {
        let per_rep: Vec<Vec<(String, f64)>> = result.replications.iter().map(|r| key_metrics(r, sc)).collect();
        let merged = key_metrics(result.all(), sc);
        let mut metrics = BTreeMap::new();
        for (name, value) in &merged {
            let xs: Vec<f64> = per_rep
                .iter()
                .filter_map(|m| m.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
                .collect();
            let entry = match Interval::of(&xs) {
                Some(i) => (i.mean, Some(i.half_width)),
                None => (*value, None),
            };
            metrics.insert(name.clone(), entry);
        }
        Point { values, metrics }
    }
}

/// The cheapest point meeting every SLO (the first in grid order), if any;
/// none without SLOs.
pub fn cheapest(points: &[Point], slos: &[SweepSlo]) -> Option<usize> {
    if slos.is_empty() {
        None
    } else {
        points.iter().position(|p| p.meets(slos))
    }
}

/// A sweep with SLOs in which no point meets them all: exit code 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPointMeets {
    /// Points in the grid.
    pub points: usize,
    /// SLO bounds checked.
    pub slos: usize,
}

impl std::fmt::Display for NoPointMeets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "none of the {} point(s) meets all {} SLO bound(s) with confidence (see sweep.csv, column failed_slos)",
            self.points, self.slos
        )
    }
}

impl std::error::Error for NoPointMeets {}
