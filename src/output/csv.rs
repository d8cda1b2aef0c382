//! The four CSV files. Every number is an integer or a fixed-precision
//! decimal, so the files are byte-identical for the same seed.

use crate::scenario::Scenario;
use crate::stats::{Outcome, PoolStats};
use crate::stats::{Replication, RunResult};
use std::io::Write;

/// Seconds from microseconds, exact to the microsecond, trailing zeros trimmed.
pub fn secs(us: u64) -> String {
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        return s.to_string();
    }
    let f = format!("{frac:06}");
    format!("{s}.{}", f.trim_end_matches('0'))
}

fn secs_f(us: f64) -> String {
    format!("{:.6}", us / 1e6)
}

fn ms(us: u64) -> String {
    format!("{:.3}", us as f64 / 1e3)
}

fn ms_f(us: f64) -> String {
    format!("{:.3}", us / 1e3)
}

/// Each replication by number, then the merge of all as `all`.
fn labelled(run: &RunResult) -> impl Iterator<Item = (String, &Replication)> {
    run.replications
        .iter()
        .enumerate()
        .map(|(i, r)| (i.to_string(), r))
        .chain(std::iter::once(("all".to_string(), run.all())))
}

type Out<'a> = csv::Writer<&'a mut dyn Write>;

fn writer(w: &mut dyn Write) -> Out<'_> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// The summary metrics of a replication, in SPEC order (then extras).
pub fn summary_metrics(r: &Replication) -> Vec<(&'static str, u64)> {
    let c = &r.counters;
    let o = |x| r.delays.outcome_count(x);
    vec![
        ("tenants", c.tenants),
        ("users", c.users),
        ("connections_initial", c.connections_initial),
        ("activations", c.activations),
        ("readds", c.readds),
        ("prompts", c.prompts),
        ("quarantines", c.quarantines),
        ("outcome_direct", o(Outcome::Direct)),
        ("outcome_continued", o(Outcome::Continued)),
        ("outcome_outlook", o(Outcome::Outlook)),
        ("outcome_timeout", o(Outcome::Timeout)),
        ("outcome_released", o(Outcome::Released)),
        ("outcome_blocked", o(Outcome::Blocked)),
        ("outcome_switched", o(Outcome::Switched)),
        ("evaluations", c.evaluations),
        ("evaluations_rejected", c.evaluations_rejected),
        ("mdm_tenants", c.mdm_tenants),
        ("changes_ignored_mdm", c.changes_ignored_mdm),
        ("events", c.events),
        ("requests", c.requests),
    ]
}

/// `summary.csv`: replication × metric.
pub fn write_summary(run: &RunResult, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(["replication", "metric", "value"])?;
    for (rep, r) in labelled(run) {
        for (metric, value) in summary_metrics(r) {
            out.write_record([rep.as_str(), metric, &value.to_string()])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `sync_delay.csv`: replication × policy × cohort × outcome (cells that occurred).
pub fn write_sync_delay(run: &RunResult, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "policy",
        "cohort",
        "outcome",
        "count",
        "synced",
        "mean_s",
        "p50_s",
        "p90_s",
        "p99_s",
        "p999_s",
        "max_s",
    ])?;
    for (rep, r) in labelled(run) {
        for ((policy, cohort, outcome), cell) in r.delays.cells() {
            let synced = cell.synced();
            let q = |q: f64| {
                if synced == 0 {
                    String::new()
                } else {
                    secs(cell.hist.value_at_quantile(q).min(cell.max_us))
                }
            };
            let (mean, max) = if synced == 0 {
                (String::new(), String::new())
            } else {
                (secs_f(cell.mean_us()), secs(cell.max_us))
            };
            out.write_record([
                rep.as_str(),
                policy.key(),
                cohort.key(),
                outcome.key(),
                &cell.count.to_string(),
                &synced.to_string(),
                &mean,
                &q(0.5),
                &q(0.9),
                &q(0.99),
                &q(0.999),
                &max,
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

fn pool_row(rep: &str, pool: &str, s: &PoolStats) -> Vec<String> {
    let served = s.served > 0;
    // A histogram bin's highest value can lie above the exact maximum.
    let q = |h: &hdrhistogram::Histogram<u64>, max: u64, q: f64| {
        if served {
            ms(h.value_at_quantile(q).min(max))
        } else {
            String::new()
        }
    };
    vec![
        rep.to_string(),
        pool.to_string(),
        s.arrivals.to_string(),
        s.served.to_string(),
        s.rejected.to_string(),
        format!("{:.6}", s.utilization()),
        format!("{:.6}", s.queue_mean()),
        s.queue_max.to_string(),
        if served { ms_f(s.wait_mean_us()) } else { String::new() },
        q(&s.wait, s.wait_max_us, 0.5),
        q(&s.wait, s.wait_max_us, 0.99),
        q(&s.wait, s.wait_max_us, 0.999),
        q(&s.response, s.response_max_us, 0.99),
    ]
}

/// `evaluator.csv`: replication × pool, then each replication's `all` row.
pub fn write_evaluator(run: &RunResult, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "pool",
        "arrivals",
        "served",
        "rejected",
        "utilization",
        "queue_mean",
        "queue_max",
        "wait_mean_ms",
        "wait_p50_ms",
        "wait_p99_ms",
        "wait_p999_ms",
        "response_p99_ms",
    ])?;
    for (rep, r) in labelled(run) {
        for p in &r.pools {
            out.write_record(pool_row(&rep, &p.pool.to_string(), &p.load))?;
        }
        out.write_record(pool_row(&rep, "all", &r.load))?;
    }
    out.flush()?;
    Ok(())
}

/// `timeseries.csv`: replication × bucket.
pub fn write_timeseries(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "t_s",
        "evaluations",
        "rejected",
        "prompts",
        "syncs",
        "quarantined",
        "blocked",
        "wait_p99_ms",
        "wait_p50_ms",
    ])?;
    for (rep, r) in labelled(run) {
        let s = &r.series;
        for b in 0..s.len() {
            let p99 = s.wait[b].quantile(0.99).map(ms).unwrap_or_default();
            let p50 = s.wait[b].quantile(0.5).map(ms).unwrap_or_default();
            out.write_record([
                rep.clone(),
                secs(b as u64 * sc.bucket.0),
                s.evaluations[b].to_string(),
                s.rejected[b].to_string(),
                s.prompts[b].to_string(),
                s.syncs[b].to_string(),
                s.quarantined[b].to_string(),
                s.blocked[b].to_string(),
                p99,
                p50,
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `timeseries_pools.csv`: each pool's load over time, all replications merged.
pub fn write_pool_timeseries(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "pool",
        "t_s",
        "evaluations",
        "rejected",
        "wait_p50_ms",
        "wait_p99_ms",
    ])?;
    for p in &run.all().pools {
        let s = &p.series;
        for b in 0..s.len() {
            out.write_record([
                "all".to_string(),
                p.pool.to_string(),
                secs(b as u64 * sc.bucket.0),
                s.evaluations[b].to_string(),
                s.rejected[b].to_string(),
                s.wait[b].quantile(0.5).map(ms).unwrap_or_default(),
                s.wait[b].quantile(0.99).map(ms).unwrap_or_default(),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Delays at which `sync_delay_cdf.csv` gives the share synced: 20 per
/// decade from 1 ms up to the horizon.
fn cdf_grid(horizon_us: u64) -> Vec<u64> {
    let mut grid = Vec::new();
    let mut k = 0;
    loop {
        let us = (1e3 * 10f64.powf(k as f64 / 20.0)).round() as u64;
        if us >= horizon_us {
            grid.push(horizon_us);
            return grid;
        }
        grid.push(us);
        k += 1;
    }
}

/// `sync_delay_cdf.csv`: for each policy × cohort × outcome (all
/// replications merged), the share of its connections synced within each
/// delay. Connections never synced keep the curve below 1.
pub fn write_sync_delay_cdf(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(["replication", "policy", "cohort", "outcome", "delay_s", "share"])?;
    let grid = cdf_grid(sc.horizon.0);
    for ((policy, cohort, outcome), cell) in run.all().delays.cells() {
        for &d in &grid {
            let within = cell.hist.count_between(0, d);
            out.write_record([
                "all",
                policy.key(),
                cohort.key(),
                outcome.key(),
                &secs(d),
                &format!("{:.6}", within as f64 / cell.count.max(1) as f64),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `outcomes.csv`: each outcome across policies and cohorts: how many, what
/// share of all sync-delay records, and how long they waited.
pub fn write_outcomes(run: &RunResult, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "outcome",
        "count",
        "synced",
        "share",
        "mean_s",
        "p50_s",
        "p99_s",
        "max_s",
    ])?;
    for (rep, r) in labelled(run) {
        let total: u64 = Outcome::ALL.iter().map(|&o| r.delays.outcome_count(o)).sum();
        for outcome in Outcome::ALL {
            let Some(cell) = r.delays.merged_outcome(outcome) else {
                continue;
            };
            let synced = cell.synced() > 0;
            let q = |q: f64| {
                if synced {
                    secs(cell.hist.value_at_quantile(q).min(cell.max_us))
                } else {
                    String::new()
                }
            };
            out.write_record([
                rep.as_str(),
                outcome.key(),
                &cell.count.to_string(),
                &cell.synced().to_string(),
                &format!("{:.6}", cell.count as f64 / total.max(1) as f64),
                &if synced { secs_f(cell.mean_us()) } else { String::new() },
                &q(0.5),
                &q(0.99),
                &if synced { secs(cell.max_us) } else { String::new() },
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `metrics.csv`: every key metric of each replication and of the merge.
pub fn write_metrics(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(["replication", "metric", "value"])?;
    for (rep, r) in labelled(run) {
        for (name, value) in crate::stats::metrics::key_metrics(r, sc) {
            out.write_record([rep.as_str(), &name, &format!("{value:.6}")])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `replications.csv` (two or more replications): each key metric's mean,
/// standard deviation and 95 % confidence half-width (Student t) across
/// replications. A metric missing from some replications (nothing synced
/// there) is summarised over those that have it.
pub fn write_replications(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    use crate::stats::metrics::{Interval, key_metrics};
    let mut out = writer(w);
    out.write_record(["metric", "n", "mean", "sd", "ci95_half_width"])?;
    let per_rep: Vec<Vec<(String, f64)>> = run.replications.iter().map(|r| key_metrics(r, sc)).collect();
    for name in crate::stats::metrics::metric_names() {
        let xs: Vec<f64> = per_rep
            .iter()
            .filter_map(|m| m.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
            .collect();
        if let Some(i) = Interval::of(&xs) {
            out.write_record([
                name.as_str(),
                &i.n.to_string(),
                &format!("{:.6}", i.mean),
                &format!("{:.6}", i.sd),
                &format!("{:.6}", i.half_width),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `hour_of_week.csv` (with a calendar): per replication, each hour of the
/// week (Monday 00:00 = 0) by each tenant's local clock and by UTC, how many
/// tenant-hours of the horizon fell in it and what happened in it.
pub fn write_hour_of_week(run: &RunResult, w: &mut dyn Write) -> csv::Result<()> {
    use crate::scenario::calendar::DAYS;
    use crate::stats::week::WEEK_COLUMNS;
    let mut out = writer(w);
    let mut header = vec!["replication", "clock", "hour_of_week", "day", "hour", "tenant_hours"];
    header.extend(WEEK_COLUMNS);
    out.write_record(&header)?;
    for (rep, r) in labelled(run) {
        let Some(week) = &r.series.calendar.week else { continue };
        for (clock, counts, exposure) in [
            ("local", &week.local, &week.local_exposure_us),
            ("utc", &week.utc, &week.utc_exposure_us),
        ] {
            for h in 0..counts.len() {
                let mut row = vec![
                    rep.clone(),
                    clock.to_string(),
                    h.to_string(),
                    DAYS[h / 24].to_string(),
                    (h % 24).to_string(),
                    format!("{:.6}", exposure[h] as f64 / 3.6e9),
                ];
                row.extend(counts[h].iter().map(|c| c.to_string()));
                out.write_record(&row)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// `device_modes.csv` (with `devices.modes`): per replication and mode,
/// devices, entries into quarantine of their third-party app, and the
/// time-weighted mean number quarantined over the horizon.
pub fn write_device_modes(run: &RunResult, sc: &Scenario, w: &mut dyn Write) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record([
        "replication",
        "mode",
        "devices",
        "quarantines",
        "quarantine_hours",
        "quarantined_mean",
    ])?;
    for (rep, r) in labelled(run) {
        let Some(modes) = &r.series.calendar.modes else {
            continue;
        };
        for (m, c) in sc.devices.modes.iter().zip(&modes.modes) {
            out.write_record([
                rep.clone(),
                m.name.clone(),
                c[0].to_string(),
                c[1].to_string(),
                format!("{:.6}", c[2] as f64 / 3.6e9),
                format!("{:.6}", c[2] as f64 / sc.horizon.0 as f64),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_grid_spans_milliseconds_to_the_horizon() {
        let g = cdf_grid(86_400_000_000);
        assert_eq!(g[0], 1_000);
        assert_eq!(g[20], 10_000);
        assert_eq!(*g.last().unwrap(), 86_400_000_000);
        assert!(g.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn seconds_are_exact_and_short() {
        assert_eq!(secs(0), "0");
        assert_eq!(secs(60_000_000), "60");
        assert_eq!(secs(1_500_000), "1.5");
        assert_eq!(secs(250), "0.00025");
    }
}
