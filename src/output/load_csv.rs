//! The result files of `mailsim load`, written beside the loaded pool's
//! usual run files: `load.csv` (measured and predicted, per pool and
//! `all`, and the control calls), `load_timeseries.csv` (per bucket of the
//! simulated clock), `decisions.csv` (answers compared with the model, by
//! kind), `load_latency.hgrm` and `load_predicted.hgrm` (the measured and
//! predicted latency distributions), the `load.*` key metrics appended to
//! `metrics.csv`, and a `load` section in `run.json`.
//!
//! Latencies are in milliseconds; measured latency runs from a call's
//! intended send instant to the end of its answer (wrk2's convention),
//! predicted latency is the model's response time (wait + service).

use crate::load::LoadResult;
use crate::load::decisions::KINDS;
use crate::load::record::{Counts, Measured};
use crate::scenario::Scenario;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::io::Write;

/// The measured latency distribution (all evaluations answered).
pub const LATENCY_HGRM: &str = "load_latency.hgrm";
/// The predicted response-time distribution.
pub const PREDICTED_HGRM: &str = "load_predicted.hgrm";

fn writer(w: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

fn ms(us: f64) -> String {
    format!("{:.3}", us / 1e3)
}

fn q(h: &Histogram<u64>, p: f64) -> Option<f64> {
    (!h.is_empty()).then(|| h.value_at_quantile(p) as f64)
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(ms).unwrap_or_default()
}

/// `load.csv`'s columns.
pub const LOAD_COLUMNS: [&str; 22] = [
    "pool",
    "sent",
    "ok",
    "rejected",
    "errors_connect",
    "errors_timeout",
    "errors_status",
    "errors_body",
    "dropped",
    "late",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "latency_max_ms",
    "send_lag_p99_ms",
    "predicted_mean_ms",
    "predicted_p50_ms",
    "predicted_p99_ms",
    "predicted_p999_ms",
    "predicted_rejected",
];

fn counts_row(label: &str, c: &Counts, m: &Measured) -> Vec<String> {
    let h = &m.latency;
    vec![
        label.to_string(),
        c.sent.to_string(),
        c.ok.to_string(),
        c.rejected.to_string(),
        c.err_connect.to_string(),
        c.err_timeout.to_string(),
        c.err_status.to_string(),
        c.err_body.to_string(),
        c.dropped.to_string(),
        c.late.to_string(),
        opt_ms(m.latency_mean_us()),
        opt_ms(q(h, 0.5)),
        opt_ms(q(h, 0.9)),
        opt_ms(q(h, 0.99)),
        opt_ms(q(h, 0.999)),
        opt_ms((!h.is_empty()).then(|| h.max() as f64)),
        opt_ms(q(&m.lag, 0.99)),
    ]
}

/// Writes `load.csv`: the pool's evaluations, `all` (the same with one
/// pool), and `control` (policy, prompt and choice calls: no prediction).
pub fn write_load_csv(r: &LoadResult, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(LOAD_COLUMNS)?;
    let p = &r.prediction.stats;
    let predicted = [
        opt_ms((p.served > 0).then(|| p.response.mean())),
        opt_ms(q(&p.response, 0.5)),
        opt_ms(q(&p.response, 0.99)),
        opt_ms(q(&p.response, 0.999)),
        r.prediction.rejected.to_string(),
    ];
    for label in [r.pool.to_string(), "all".to_string()] {
        let mut row = counts_row(&label, &r.evaluations.counts, &r.evaluations);
        row.extend(predicted.iter().cloned());
        out.write_record(&row)?;
    }
    let mut row = counts_row("control", &r.control.counts, &r.control);
    row.extend(std::iter::repeat_n(String::new(), 5));
    out.write_record(&row)?;
    out.flush()?;
    Ok(())
}

/// Writes `load_timeseries.csv`: per bucket of the simulated clock (`t_s`,
/// and `t_wall_s` when its calls were due), evaluations sent, answered 2xx,
/// failed or rejected, dropped, control calls, measured latency p50/p99,
/// send lag p99, and the predicted p99.
pub fn write_load_timeseries(r: &LoadResult, sc: &Scenario, speedup: f64, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "t_s",
        "t_wall_s",
        "sent",
        "ok",
        "errors",
        "dropped",
        "control",
        "latency_p50_ms",
        "latency_p99_ms",
        "send_lag_p99_ms",
        "predicted_p99_ms",
    ])?;
    let width = sc.bucket.as_secs_f64();
    for (i, b) in r.buckets.iter().enumerate() {
        let t = i as f64 * width;
        let pred = r.prediction.buckets.get(i).and_then(|h| h.as_ref());
        out.write_record([
            format!("{t:.3}"),
            format!("{:.3}", t / speedup),
            b.sent.to_string(),
            b.ok.to_string(),
            b.errors.to_string(),
            b.dropped.to_string(),
            b.control.to_string(),
            opt_ms(b.latency.as_ref().and_then(|h| q(h, 0.5))),
            opt_ms(b.latency.as_ref().and_then(|h| q(h, 0.99))),
            opt_ms(b.lag.as_ref().and_then(|h| q(h, 0.99))),
            opt_ms(pred.and_then(|h| q(h, 0.99))),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Writes `decisions.csv`: answers compared, matched, and each kind of
/// disagreement with its count and meaning (`decisions` module).
pub fn write_decisions(r: &LoadResult, checked: bool, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(["kind", "count", "meaning"])?;
    let d = &r.decisions;
    let compared_note = if checked {
        "answers compared with the model's decision"
    } else {
        "none: the template reads no decision from the answers"
    };
    out.write_record(["compared", &d.compared.to_string(), compared_note])?;
    out.write_record([
        "matched",
        &d.matched.to_string(),
        "the same decision and prompt as the model",
    ])?;
    for ((kind, meaning), n) in KINDS.iter().zip(d.kinds) {
        out.write_record([*kind, &n.to_string(), *meaning])?;
    }
    out.flush()?;
    Ok(())
}

/// The `load.*` key metrics of a load (for SLOs and `compare`).
pub fn load_metrics(r: &LoadResult, speedup: f64) -> Vec<(String, f64)> {
    let m = &r.evaluations;
    let c = &m.counts;
    let mut out = Vec::new();
    let h = &m.latency;
    if let Some(mean) = m.latency_mean_us() {
        out.push(("load.latency_mean_ms".into(), mean / 1e3));
        for (p, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p999")] {
            out.push((format!("load.latency_{name}_ms"), h.value_at_quantile(p) as f64 / 1e3));
        }
        out.push(("load.latency_max_ms".into(), h.max() as f64 / 1e3));
    }
    let p = &r.prediction.stats;
    if p.served > 0 {
        out.push(("load.predicted_mean_ms".into(), p.response.mean() / 1e3));
        for (qq, name) in [(0.5, "p50"), (0.99, "p99")] {
            out.push((
                format!("load.predicted_{name}_ms"),
                p.response.value_at_quantile(qq) as f64 / 1e3,
            ));
        }
    }
    if c.sent > 0 {
        out.push((
            "load.send_lag_p99_ms".into(),
            m.lag.value_at_quantile(0.99) as f64 / 1e3,
        ));
    }
    let share = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    out.push(("load.error_share".into(), share(c.errors(), c.sent)));
    out.push(("load.rejected_share".into(), share(c.rejected, c.sent)));
    out.push(("load.dropped_share".into(), share(c.dropped, c.sent + c.dropped)));
    out.push(("load.late_share".into(), share(c.late, c.sent)));
    out.push(("load.mismatches".into(), r.decisions.findings() as f64));
    out.push(("load.security_findings".into(), r.decisions.security() as f64));
    let span = r.dispatch_span.as_secs_f64();
    if span > 0.0 {
        out.push(("load.sent_per_s".into(), c.sent as f64 / span));
    }
    out.push((
        "load.scheduled_per_s".into(),
        r.scheduled.evaluations as f64 / r.stop.as_secs_f64().max(1e-9) * speedup,
    ));
    out
}

/// Appends the `load.*` metrics to `metrics.csv` (replication `all`).
pub fn append_metrics(r: &LoadResult, speedup: f64, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    for (name, value) in load_metrics(r, speedup) {
        out.write_record(["all", &name, &format!("{value:.6}")])?;
    }
    out.flush()?;
    Ok(())
}

/// How the load was run, for `run.json`'s `load` section.
#[derive(Clone, Debug)]
pub struct LoadInfo {
    /// The target URL.
    pub target: String,
    /// `serve` or the template file.
    pub template: String,
    /// Whether answers were checked against the model.
    pub checked: bool,
    /// Speed-up.
    pub speedup: f64,
    /// Rate scale.
    pub rate_scale: f64,
    /// `--duration`, seconds.
    pub duration_s: Option<f64>,
    /// Connections.
    pub connections: usize,
    /// Sender threads.
    pub threads: usize,
    /// Max in flight.
    pub max_in_flight: usize,
    /// Per-call timeout, seconds.
    pub timeout_s: f64,
    /// The run number in the ids.
    pub id_run: u64,
    /// The target's own clock speed-up, where it tells (`serve`'s /metrics).
    pub target_speedup: Option<f64>,
}

/// The predicted pool's busy share over the load's wall span.
fn predicted_utilization(r: &LoadResult, speedup: f64) -> f64 {
    let p = &r.prediction.stats;
    let servers = p.capacity_us.checked_div(p.span_us).unwrap_or(0);
    let wall_us = r.stop.0 as f64 / speedup;
    if servers == 0 || wall_us <= 0.0 {
        0.0
    } else {
        p.busy_us as f64 / (servers as f64 * wall_us)
    }
}

/// The `load` section of `run.json`.
pub fn load_json(r: &LoadResult, info: &LoadInfo) -> Value {
    let s = &r.scheduled;
    let ms = |h: &Histogram<u64>, p: f64| q(h, p).map(|v| v / 1e3);
    json!({
        "target": info.target,
        "template": info.template,
        "decisions_checked": info.checked,
        "pool": r.pool,
        "speedup": info.speedup,
        "target_speedup": info.target_speedup,
        "rate_scale": info.rate_scale,
        "duration_s": info.duration_s,
        "stop_s": r.stop.as_secs_f64(),
        "connections": info.connections,
        "sender_threads": info.threads,
        "max_in_flight": info.max_in_flight,
        "timeout_s": info.timeout_s,
        "id_run": info.id_run,
        "wall_s": r.wall.as_secs_f64(),
        "dispatch_span_s": r.dispatch_span.as_secs_f64(),
        "sent_per_s": if r.dispatch_span.as_secs_f64() > 0.0 {
            r.evaluations.counts.sent as f64 / r.dispatch_span.as_secs_f64()
        } else { 0.0 },
        "dispatch_lag_p99_ms": ms(&r.dispatch_lag, 0.99),
        "dispatch_lag_max_ms": (!r.dispatch_lag.is_empty()).then(|| r.dispatch_lag.max() as f64 / 1e3),
        "queued_for_connection": r.queued,
        "abandoned_at_drain": r.abandoned,
        "not_sent_by_template": r.not_sent,
        "scheduled": {
            "model_evaluations": s.model_evaluations,
            "evaluations": s.evaluations,
            "registrations": s.registrations,
            "policies": s.policies,
            "prompts": s.prompts,
            "choices": s.choices,
        },
        "predicted_wait_p99_ms": ms(&r.prediction.stats.wait, 0.99),
        "predicted_utilization": predicted_utilization(r, info.speedup),
    })
}
