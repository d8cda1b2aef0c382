//! `mailsim sweep SCENARIO --set key=values...`: run a grid of scenario
//! variants (each with the scenario's replications and the same seed, so
//! points differ only by their parameters: common random numbers), write
//! `sweep.csv` and a chart, and with SLOs name the cheapest point that
//! meets them all with confidence.

use super::Format;
use super::run::{load_with_overrides, parse_engine};
use crate::engine::{Engine, Progress};
use crate::error::BadInput;
use crate::output::Target;
use crate::output::tables::write_sweep_csv;
use crate::report::charts::sweep::write_sweep_chart;
use crate::report::progress::ProgressDisplay;
use crate::report::summary::plural;
use crate::run::{RunOptions, run as simulate, total_us};
use crate::scenario::Scenario;
use crate::scenario::set::{Axis, Override, parse_axis};
use crate::stats::sweep::{NoPointMeets, Point, SweepSlo, cheapest};
use clap::Args;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `mailsim sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A key and its values: key=a..b[:step], key=x,y,z or key=x (repeatable; first varies slowest).
    #[arg(long = "set", value_name = "KEY=VALUES", value_parser = parse_axis, required = true)]
    pub set: Vec<Axis>,
    /// An SLO: METRIC<=VALUE or METRIC>=VALUE (repeatable; the scenario's [[slo]] apply too).
    #[arg(long, value_name = "SLO", value_parser = SweepSlo::parse)]
    pub slo: Vec<SweepSlo>,
    /// The metric to chart [default: the first SLO's, else evaluator.wait_p99_ms].
    #[arg(long)]
    pub metric: Option<String>,
    /// Output folder [default: output/<scenario file stem>-sweep].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: one per core]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (an explicit --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if mailsim did not write it.
    #[arg(long)]
    pub force: bool,
    /// The simulation engine: `fast` or `per-connection` [default: fast where it is exact].
    #[arg(long, value_name = "ENGINE", value_parser = parse_engine)]
    pub engine: Option<Engine>,
}

/// Runs the grid and writes the sweep folder.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let axes = args.set.as_slice();
    let threads = args.threads.map_or(0, |t| t as usize);
    if axes.is_empty() {
        return Err(BadInput("sweep needs at least one --set key=values".into()).into());
    }
    // The grid, first axis slowest.
    let mut grid: Vec<Vec<String>> = vec![Vec::new()];
    for axis in axes {
        grid = grid
            .into_iter()
            .flat_map(|p| axis.values.iter().map(move |v| [p.clone(), vec![v.clone()]].concat()))
            .collect();
    }
    let overrides = |point: &[String]| -> Vec<Override> {
        axes.iter()
            .zip(point)
            .map(|(a, v)| Override {
                path: a.path.clone(),
                value: v.clone(),
            })
            .collect()
    };
    // Validate every point before simulating any.
    let scenarios = grid
        .iter()
        .map(|p| load_with_overrides(&args.scenario, &overrides(p), &[]).map(|(sc, _)| sc))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut slos: Vec<SweepSlo> = args.slo.clone();
    for s in &scenarios[0].slos {
        for (bound, limit) in [("max", s.max), ("min", s.min)] {
            if let Some(limit) = limit {
                slos.push(SweepSlo {
                    metric: s.metric.clone(),
                    bound,
                    limit,
                });
            }
        }
    }
    let stem = args
        .scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let out: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{stem}-sweep")));
    let target = Target::replace(&out, args.force, &[&args.scenario])?;
    let progress = Arc::new(Progress::default());
    let total: u64 = scenarios.iter().map(|sc| total_us(sc, None)).sum();
    let display = ProgressDisplay::start(&progress, total, scenarios[0].horizon, args.quiet);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let results = pool.install(|| {
        scenarios
            .par_iter()
            .map(|sc| {
                simulate(
                    sc,
                    &RunOptions {
                        threads,
                        progress: Some(Arc::clone(&progress)),
                        shard: None,
                        engine: args.engine,
                    },
                )
            })
            .collect::<Vec<_>>()
    });
    display.finish();
    let mut points = Vec::with_capacity(grid.len());
    for ((values, sc), result) in grid.iter().zip(&scenarios).zip(results) {
        points.push(Point::of(values.clone(), &result?, sc));
    }
    let metric = args
        .metric
        .clone()
        .or_else(|| slos.first().map(|s| s.metric.clone()))
        .unwrap_or_else(|| "evaluator.wait_p99_ms".into());
    let chosen = cheapest(&points, &slos);
    target.write(|dir| {
        write_sweep_csv(dir, axes, &points, &slos, chosen)?;
        write_sweep_chart(dir, &scenarios[0].name, axes, &points, &slos, &metric, chosen)
    })?;
    match args.format {
        Format::Json => print!("{}", sweep_json(axes, &points, &slos, chosen, &metric, &out)),
        Format::Text if !args.quiet => print!(
            "{}",
            sweep_text(&scenarios[0], axes, &points, &slos, chosen, &metric, &out)
        ),
        Format::Text => {}
    }
    if !slos.is_empty() && chosen.is_none() {
        return Err(NoPointMeets {
            points: points.len(),
            slos: slos.len(),
        }
        .into());
    }
    Ok(())
}

fn sweep_text(
    sc: &Scenario,
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    chosen: Option<usize>,
    metric: &str,
    out: &Path,
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} × {}",
        sc.name,
        plural(points.len() as u64, "point", "points"),
        plural(sc.replications as u64, "replication", "replications")
    );
    if !slos.is_empty() {
        let list: Vec<String> = slos.iter().map(|s| s.to_string()).collect();
        let _ = writeln!(s, "  SLOs: {}", list.join(", "));
    }
    let header: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
    let _ = writeln!(s, "  {:<40} {}", header.join(", "), metric);
    for (i, p) in points.iter().enumerate() {
        let (v, hw) = p.metrics.get(metric).copied().unwrap_or((f64::NAN, None));
        let hw = hw.map(|h| format!(" ± {h:.4}")).unwrap_or_default();
        let verdict = if slos.is_empty() {
            String::new()
        } else if chosen == Some(i) {
            "  ✓ cheapest meeting every SLO".into()
        } else {
            let broken: Vec<String> = p.broken(slos).iter().map(|s| s.to_string()).collect();
            if broken.is_empty() {
                "  ✓ meets SLOs".into()
            } else {
                format!("  ✗ breaks {}", broken.join(", "))
            }
        };
        let _ = writeln!(s, "  {:<40} {v:.4}{hw}{verdict}", p.values.join(", "));
    }
    match (chosen, slos.is_empty()) {
        (_, true) => {}
        (Some(i), false) => {
            let _ = writeln!(
                s,
                "  cheapest point meeting every SLO with confidence: {}",
                points[i].label(axes)
            );
        }
        (None, false) => {
            let _ = writeln!(s, "  no point meets every SLO with confidence");
        }
    }
    let _ = writeln!(s, "  results      {}", out.display());
    s
}

fn sweep_json(
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    chosen: Option<usize>,
    metric: &str,
    out: &Path,
) -> String {
    use serde_json::json;
    let rows: Vec<serde_json::Value> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let values: serde_json::Map<String, serde_json::Value> = axes
                .iter()
                .zip(&p.values)
                .map(|(a, v)| (a.path.clone(), json!(v)))
                .collect();
            let metrics: serde_json::Map<String, serde_json::Value> = p
                .metrics
                .iter()
                .map(|(k, (mean, hw))| (k.clone(), json!({ "mean": mean, "ci95": hw })))
                .collect();
            json!({
                "values": values,
                "meets_slos": !slos.is_empty() && p.meets(slos),
                "cheapest": chosen == Some(i),
                "failed_slos": p.broken(slos).iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "metrics": metrics,
            })
        })
        .collect();
    let v = json!({
        "axes": axes.iter().map(|a| a.path.clone()).collect::<Vec<_>>(),
        "slos": slos.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "metric": metric,
        "cheapest": chosen.map(|i| points[i].label(axes)),
        "points": rows,
        "out": out.display().to_string(),
    });
    serde_json::to_string_pretty(&v).expect("plain data") + "\n"
}
