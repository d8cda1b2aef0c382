//! `mailsim sweep SCENARIO --set key=values...`: run a grid of scenario
//! variants (each with the scenario's replications and the same seed, so
//! points differ only by their parameters: common random numbers), write
//! `sweep.csv` and a chart, and with SLOs name the cheapest point that
//! meets them all with confidence.

use super::run::load_with_overrides;
use crate::engine::Progress;
use crate::error::BadInput;
use crate::output::tables::write_sweep_csv;
use crate::output::write_atomically;
use crate::report::charts::sweep::write_sweep_chart;
use crate::report::progress::ProgressDisplay;
use crate::run::{RunOptions, run as simulate, total_us};
use crate::scenario::set::{Axis, Override, parse_axis};
use crate::stats::metrics::metric_names;
use crate::stats::sweep::{Point, SweepSlo, cheapest};
use clap::Args;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Parses `metric<=value` or `metric>=value`.
pub fn parse_slo(text: &str) -> Result<SweepSlo, String> {
    let (metric, bound, value) = if let Some((m, v)) = text.split_once("<=") {
        (m, "max", v)
    } else if let Some((m, v)) = text.split_once(">=") {
        (m, "min", v)
    } else {
        return Err(format!("--slo {text}: expected METRIC<=VALUE or METRIC>=VALUE"));
    };
    let metric = metric.trim().to_string();
    if !metric_names().contains(&metric) {
        return Err(format!(
            "--slo {text}: unknown metric; metrics are {}",
            crate::stats::metrics::METRIC_FORMS
        ));
    }
    let limit = value
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("--slo {text}: {value:?} is not a number"))?;
    Ok(SweepSlo { metric, bound, limit })
}

/// Arguments of `mailsim sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A key and its values: key=a..b[:step], key=x,y,z or key=x (repeatable; first varies slowest).
    #[arg(long = "set", value_name = "KEY=VALUES", value_parser = parse_axis, required = true)]
    pub set: Vec<Axis>,
    /// An SLO: METRIC<=VALUE or METRIC>=VALUE (repeatable; the scenario's [[slo]] apply too).
    #[arg(long, value_name = "SLO", value_parser = parse_slo)]
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
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
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
        .map(|p| load_with_overrides(&args.scenario, &overrides(p)).map(|(sc, _)| sc))
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
    let stem = args
        .scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let out: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{stem}-sweep")));
    let metric = args
        .metric
        .clone()
        .or_else(|| slos.first().map(|s| s.metric.clone()))
        .unwrap_or_else(|| "evaluator.wait_p99_ms".into());
    let chosen = cheapest(&points, &slos);
    write_atomically(&out, |dir| {
        write_sweep_csv(dir, axes, &points, &slos, chosen)?;
        write_sweep_chart(dir, &scenarios[0].name, axes, &points, &slos, &metric, chosen)
    })?;
    if !args.quiet {
        println!(
            "{}: {} point(s) × {} replication(s)",
            scenarios[0].name,
            points.len(),
            scenarios[0].replications
        );
        let header: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
        println!("  {:<40} {}", header.join(", "), metric);
        for p in &points {
            let (v, hw) = p.metrics.get(&metric).copied().unwrap_or((f64::NAN, None));
            let hw = hw.map(|h| format!(" ± {h:.4}")).unwrap_or_default();
            let ok = if slos.is_empty() {
                ""
            } else if p.meets(&slos) {
                "  meets SLOs"
            } else {
                ""
            };
            println!("  {:<40} {v:.4}{hw}{ok}", p.values.join(", "));
        }
        match (&chosen, slos.is_empty()) {
            (_, true) => {}
            (Some(i), false) => println!(
                "  cheapest point meeting every SLO with confidence: {}",
                points[*i].label(axes)
            ),
            (None, false) => println!("  no point meets every SLO with confidence"),
        }
        println!("  results      {}", out.display());
    }
    Ok(())
}
