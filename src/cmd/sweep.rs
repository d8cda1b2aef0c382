//! `mailsim sweep SCENARIO --set key=values...`: run a grid of scenario
//! variants (each with the scenario's replications and the same seed, so
//! points differ only by their parameters: common random numbers), write
//! `sweep.csv` and a chart, and with SLOs name the cheapest point that
//! meets them all with confidence.

use super::run::load_with_overrides;
use crate::error::BadInput;
use crate::output::progress::ProgressDisplay;
use crate::output::sweep::{Point, SweepSlo, write_sweep};
use crate::output::write_atomically;
use crate::run::{Progress, RunOptions, run as simulate};
use crate::scenario::set::Override;
use crate::stats::metrics::{Interval, key_metrics, metric_names};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One swept key and the values it takes, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted key path.
    pub path: String,
    /// Values as written.
    pub values: Vec<String>,
}

/// Parses `key=a..b`, `key=a..b:step`, `key=x,y,z` or `key=x`.
pub fn parse_axis(text: &str) -> Result<Axis, String> {
    let o = Override::parse(text)?;
    let v = o.value.as_str();
    let values = if let Some((a, rest)) = v.split_once("..") {
        let (b, step) = rest.split_once(':').unwrap_or((rest, "1"));
        let parse = |x: &str| {
            x.trim()
                .parse::<i64>()
                .map_err(|_| format!("--set {text}: {x:?} is not a whole number"))
        };
        let (a, b, step) = (parse(a)?, parse(b)?, parse(step)?);
        if step <= 0 || b < a || (b - a) / step > 10_000 {
            return Err(format!(
                "--set {text}: a range needs a <= b and a positive step, at most 10000 values"
            ));
        }
        (0..=(b - a) / step).map(|i| (a + i * step).to_string()).collect()
    } else {
        v.split(',').map(|x| x.trim().to_string()).collect::<Vec<_>>()
    };
    if values.iter().any(|x| x.is_empty()) {
        return Err(format!("--set {text}: an empty value"));
    }
    Ok(Axis { path: o.path, values })
}

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

/// What `sweep` was asked.
pub struct SweepArgs<'a> {
    /// The scenario file.
    pub scenario: &'a Path,
    /// The swept keys, first varying slowest.
    pub axes: &'a [Axis],
    /// SLOs from the command line (the scenario's own apply too).
    pub slos: &'a [SweepSlo],
    /// The metric to chart.
    pub metric: Option<&'a str>,
    /// Output folder.
    pub out: Option<&'a Path>,
    /// Worker threads; 0 for one per core.
    pub threads: usize,
    /// Print nothing but errors.
    pub quiet: bool,
}

/// Runs the grid and writes the sweep folder.
pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    if args.axes.is_empty() {
        return Err(BadInput("sweep needs at least one --set key=values".into()).into());
    }
    // The grid, first axis slowest.
    let mut grid: Vec<Vec<String>> = vec![Vec::new()];
    for axis in args.axes {
        grid = grid
            .into_iter()
            .flat_map(|p| axis.values.iter().map(move |v| [p.clone(), vec![v.clone()]].concat()))
            .collect();
    }
    let overrides = |point: &[String]| -> Vec<Override> {
        args.axes
            .iter()
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
        .map(|p| load_with_overrides(args.scenario, &overrides(p)).map(|(sc, _)| sc))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut slos: Vec<SweepSlo> = args.slos.to_vec();
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
    let total: u64 = scenarios.iter().map(|sc| Progress::total_us(sc, None)).sum();
    let display = ProgressDisplay::start(&progress, total, scenarios[0].horizon, args.quiet);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads).build()?;
    let results = pool.install(|| {
        scenarios
            .par_iter()
            .map(|sc| {
                simulate(
                    sc,
                    &RunOptions {
                        threads: args.threads,
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
        let result = result?;
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
        points.push(Point {
            values: values.clone(),
            metrics,
        });
    }
    let stem = args
        .scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let out: PathBuf = args
        .out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("output").join(format!("{stem}-sweep")));
    let metric = args
        .metric
        .map(str::to_string)
        .or_else(|| slos.first().map(|s| s.metric.clone()))
        .unwrap_or_else(|| "evaluator.wait_p99_ms".into());
    let mut chosen = None;
    write_atomically(&out, |dir| {
        chosen = write_sweep(dir, &scenarios[0].name, args.axes, &points, &slos, &metric)?;
        Ok(())
    })?;
    if !args.quiet {
        println!(
            "{}: {} point(s) × {} replication(s)",
            scenarios[0].name,
            points.len(),
            scenarios[0].replications
        );
        let header: Vec<&str> = args.axes.iter().map(|a| a.path.as_str()).collect();
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
                points[*i].label(args.axes)
            ),
            (None, false) => println!("  no point meets every SLO with confidence"),
        }
        println!("  results      {}", out.display());
    }
    Ok(())
}
