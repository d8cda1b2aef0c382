//! The result files of the commands that judge runs: `slo.csv`,
//! `compare.csv` and `sweep.csv`.

use crate::scenario::set::Axis;
use crate::stats::compare::{Floors, MetricComparison};
use crate::stats::metrics::metric_names;
use crate::stats::slo::SloResult;
use crate::stats::sweep::{Point, SweepSlo};
use anyhow::Context;
use std::io::Write;
use std::path::Path;

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

/// `compare.csv`: each metric's values, change, verdict, Welch p-value
/// (empty without replications on both sides) and absolute floor.
pub fn write_compare_csv(rows: &[MetricComparison], floors: &Floors, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record(["metric", "base", "new", "change", "verdict", "p_value", "floor"])?;
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
            &r.p_value.map(|p| format!("{p:.6}")).unwrap_or_default(),
            &floors.of(&r.metric).to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Writes `sweep.csv`: one row per grid point, `chosen` marked `cheapest`.
pub fn write_sweep_csv(
    dir: &Path,
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    chosen: Option<usize>,
) -> anyhow::Result<()> {
    let names: Vec<String> = metric_names()
        .into_iter()
        .filter(|m| points.iter().any(|p| p.metrics.contains_key(m)))
        .collect();
    let path = dir.join("sweep.csv");
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut header: Vec<String> = axes.iter().map(|a| a.path.clone()).collect();
    header.push("meets_slos".into());
    header.push("failed_slos".into());
    for n in &names {
        header.push(n.clone());
        header.push(format!("{n}_ci95"));
    }
    out.write_record(&header)?;
    for (i, p) in points.iter().enumerate() {
        let mut row = p.values.clone();
        row.push(if slos.is_empty() {
            String::new()
        } else if chosen == Some(i) {
            "cheapest".into()
        } else {
            p.meets(slos).to_string()
        });
        let broken: Vec<String> = p.broken(slos).iter().map(|s| s.to_string()).collect();
        row.push(broken.join(" "));
        for n in &names {
            match p.metrics.get(n) {
                Some(&(mean, hw)) => {
                    row.push(format!("{mean:.6}"));
                    row.push(hw.map(|h| format!("{h:.6}")).unwrap_or_default());
                }
                None => row.extend([String::new(), String::new()]),
            }
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}
