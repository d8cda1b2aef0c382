//! `mailsim load SCENARIO --target URL`: the flags of the load generator,
//! turned into a plain [`LoadConfig`]; checks that exit 2 before anything
//! runs or is written; the folder written through `output::Target`; the
//! summary and the SLOs as `run` has them.

use super::run::load_with_overrides;
use super::{Format, print_summary};
use crate::engine::Progress;
use crate::error::BadInput;
use crate::load::template::Template;
use crate::load::{LoadConfig, TargetUrl};
use crate::output::json::RunInfo;
use crate::output::load_csv::LoadInfo;
use crate::output::{Target, write_load_results};
use crate::report::progress::ProgressDisplay;
use crate::report::render;
use crate::report::summary::Summary;
use crate::run::replication_of;
use crate::scenario::set::{Override, SloBound};
use crate::stats::RunResult;
use crate::stats::slo::{evaluate, verdict};
use clap::Args;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `mailsim load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The service to load: http://HOST:PORT[/PATH] (loopback in tests; any
    /// address you name otherwise).
    #[arg(long)]
    pub target: String,
    /// Simulated time runs this many times faster than wall time: a week at
    /// 600 takes 17 minutes, at 600 times the scenario's request rate.
    #[arg(long, default_value = "1", value_parser = crate::serve::flags::parse_speedup)]
    pub speedup: f64,
    /// Stop after this much wall time (e.g. 2m) instead of at the horizon.
    #[arg(long, value_parser = parse_positive_wall)]
    pub duration: Option<Duration>,
    /// Send this many polls and pushes per poll or push of the model (0.1
    /// thins, 3 multiplies); activations, re-adds and control calls are sent once.
    #[arg(long, default_value = "1", value_parser = parse_rate_scale)]
    pub rate_scale: f64,
    /// The pool of the scenario the target stands for.
    #[arg(long, default_value_t = 0)]
    pub pool: u32,
    /// HTTP/1.1 keep-alive connections to the target.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub connections: u64,
    /// Sender threads, each running a share of the connections on its own
    /// runtime (a device's calls always on the same one). More than one
    /// pays only where a core is free of the target.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub threads: u64,
    /// Drop (and count) a poll or push when this many calls are queued or on the wire.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub max_in_flight: u64,
    /// A call not answered within this is counted as a timeout.
    #[arg(long, default_value = "30s", value_parser = parse_positive_wall)]
    pub timeout: Duration,
    /// Another API: a TOML file mapping calls to HTTP requests and naming the
    /// answer's decision field (see docs/load-testing.md) [default: mailsim serve's API].
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Output folder [default: output/<scenario file stem>-load].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed, instead of the scenario's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Change a scenario key by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = Override::parse)]
    pub set: Vec<Override>,
    /// An SLO: METRIC<=VALUE or METRIC>=VALUE, e.g. "load.latency_p99_ms<=50" (repeatable).
    #[arg(long, value_name = "SLO", value_parser = SloBound::parse)]
    pub slo: Vec<SloBound>,
    /// Run number put in the high bits of tenant and device ids, so that a
    /// second load against the same service meets none of the first's
    /// devices [default: from the clock; 0 for plain ids].
    #[arg(long)]
    pub id_run: Option<u64>,
    /// How to print the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (an explicit --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if mailsim did not write it.
    #[arg(long)]
    pub force: bool,
}

fn parse_positive_wall(text: &str) -> Result<Duration, String> {
    let d = crate::serve::flags::parse_wall(text)?;
    if d.is_zero() {
        return Err(format!("{text:?} must be more than zero"));
    }
    Ok(d)
}

fn parse_rate_scale(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1000.0)
        .ok_or_else(|| format!("{text:?} is not a rate scale; write a number above 0 and at most 1000, e.g. 0.5 or 3"))
}

/// `output/<stem>-load` for a scenario path.
fn default_out(scenario: &Path) -> anyhow::Result<PathBuf> {
    let stem = scenario.file_stem().ok_or_else(|| {
        BadInput(format!(
            "{}: cannot name an output folder after this path; use --out",
            scenario.display()
        ))
    })?;
    Ok(Path::new("output").join(format!("{}-load", stem.to_string_lossy())))
}

/// The speed-up of a `mailsim serve` target's clock, from its /metrics
/// (clock seconds ÷ uptime); `None` for any other service.
fn target_speedup(t: &TargetUrl) -> Option<f64> {
    let mut s = std::net::TcpStream::connect_timeout(&t.addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = format!(
        "GET {}/metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.base_path, t.authority
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut text = String::new();
    s.take(1 << 20).read_to_string(&mut text).ok()?;
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
    };
    let (clock, uptime) = (value("mailsim_clock_seconds")?, value("mailsim_uptime_seconds")?);
    (uptime > 0.0).then(|| clock / uptime)
}

/// Runs the load of `args` and writes its output folder.
pub fn run(args: &LoadArgs) -> anyhow::Result<()> {
    let (mut sc, text) = load_with_overrides(&args.scenario, &args.set, &args.slo)?;
    if let Some(seed) = args.seed {
        sc.seed = seed;
    }
    sc.replications = 1;
    let target = TargetUrl::parse(&args.target)?;
    let template = match &args.template {
        Some(path) => Template::load(path)?,
        None => Template::serve(),
    };
    if args.pool >= sc.evaluator.pools {
        return Err(BadInput(format!(
            "--pool {}: the scenario has {} pool(s), numbered from 0",
            args.pool, sc.evaluator.pools
        ))
        .into());
    }
    let out = match &args.out {
        Some(o) => o.clone(),
        None => default_out(&args.scenario)?,
    };
    let folder = Target::replace(&out, args.force, &[&args.scenario])?;
    target.check_reachable(args.timeout)?;
    let speedup_of_target = if args.template.is_none() {
        target_speedup(&target)
    } else {
        None
    };
    if let Some(k) = speedup_of_target
        && ((k / args.speedup) - 1.0).abs() > 0.05
        && !args.quiet
    {
        eprintln!(
            "warning: the target's clock runs {k:.0} times wall time and this load {:.0} times: its 24 h \
             timeouts will not fall when the model's do; start it with --speedup {}",
            args.speedup, args.speedup
        );
    }
    let id_run = args.id_run.unwrap_or_else(|| {
        // Seconds since 2020 fit the 23 bits above the pool's for 97 days;
        // wrapping only risks meeting a run from that long ago.
        let s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        (s.saturating_sub(1_577_836_800) % (1 << 23)).max(1)
    });
    let progress = Arc::new(Progress::default());
    let cfg = LoadConfig {
        target: target.clone(),
        speedup: args.speedup,
        duration: args.duration,
        rate_scale: args.rate_scale,
        pool: args.pool,
        connections: args.connections as usize,
        threads: args.threads as usize,
        max_in_flight: args.max_in_flight as usize,
        timeout: args.timeout,
        template: template.clone(),
        id_run,
        progress: Some(progress.clone()),
    };
    let stop = cfg.stop(&sc);
    let display = ProgressDisplay::start_load(&progress, stop, args.speedup, args.quiet);
    let result = crate::load::run(&sc, &cfg);
    display.finish();
    let done = result?;
    let mut run_sc = sc.clone();
    run_sc.horizon = stop;
    let result = RunResult::new(vec![replication_of(done.pool)]);
    let info = RunInfo {
        scenario_text: text,
        file: args.scenario.display().to_string(),
        threads: 1,
        wall: done.load.wall,
        // The load hears each request through the per-connection engine's observer.
        engine: crate::engine::Engine::PerConnection,
        engine_note: None,
    };
    let load_info = LoadInfo {
        target: target.url.clone(),
        template: template.name.clone(),
        checked: template.has_decision(),
        speedup: args.speedup,
        rate_scale: args.rate_scale,
        duration_s: args.duration.map(|d| d.as_secs_f64()),
        connections: cfg.connections,
        threads: cfg.threads,
        max_in_flight: cfg.max_in_flight,
        timeout_s: cfg.timeout.as_secs_f64(),
        id_run,
        target_speedup: speedup_of_target,
    };
    let mut results = None;
    folder.write(|dir| {
        write_load_results(dir, &run_sc, &result, &info, &done.load, &load_info)?;
        results = Some(render(dir)?);
        Ok(())
    })?;
    let mut results = results.expect("written above");
    results.dir = out;
    print_summary(&Summary::of(&results), args.format, args.quiet);
    Ok(verdict(&evaluate(&results.scenario.slos, &results))?)
}
