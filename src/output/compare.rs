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

use super::results::Results;
use crate::stats::metrics::{Interval, metric_names};
use std::collections::BTreeMap;
use std::io::Write;

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

fn per_replication(r: &Results, metric: &str) -> Vec<f64> {
    r.metrics
        .iter()
        .filter(|m| m.replication != "all" && m.metric == metric)
        .map(|m| m.value)
        .collect()
}

/// Compares every key metric present in both runs.
pub fn compare(base: &Results, new: &Results, tolerance: f64) -> Vec<MetricComparison> {
    let mut out = Vec::new();
    for metric in metric_names() {
        let (Some(b), Some(n)) = (base.merged_metric(&metric), new.merged_metric(&metric)) else {
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
            Interval::of(&per_replication(base, &metric)),
            Interval::of(&per_replication(new, &metric)),
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

/// Scenario keys (dotted paths) whose values differ, with both values.
pub fn scenario_differences(base: &Results, new: &Results) -> Vec<(String, String, String)> {
    fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    flatten(
                        &if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        },
                        v,
                        out,
                    );
                }
            }
            toml::Value::Array(items) if items.iter().all(|i| i.is_table()) => {
                for (i, v) in items.iter().enumerate() {
                    flatten(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let read = |r: &Results| {
        let mut map = BTreeMap::new();
        let text = std::fs::read_to_string(r.dir.join(super::results::SCENARIO_COPY)).unwrap_or_default();
        if let Ok(v) = text.parse::<toml::Table>() {
            flatten("", &toml::Value::Table(v), &mut map);
        }
        // What the command line changed is part of the run too.
        map.insert("seed".into(), r.run.scenario.seed.to_string());
        map.insert("replications".into(), r.run.scenario.replications.to_string());
        map
    };
    let (a, b) = (read(base), read(new));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or_else(|| "(absent)".into());
            (k.clone(), show(&a), show(&b))
        })
        .collect()
}

/// `compare.csv`.
pub fn write_compare_csv(rows: &[MetricComparison], w: &mut dyn Write) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(["metric", "base", "new", "change", "verdict"])?;
    for r in rows {
        out.write_record([
            r.metric.as_str(),
            &format!("{:.6}", r.base),
            &format!("{:.6}", r.new),
            &if r.change.is_finite() {
                format!("{:.6}", r.change)
            } else {
                "inf".into()
            },
            r.verdict,
        ])?;
    }
    out.flush()?;
    Ok(())
}
