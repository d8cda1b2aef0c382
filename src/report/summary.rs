//! The end-of-run summary: a few aligned lines for people (stdout), or the
//! same as JSON for scripts (`--format json`). Built from an output folder,
//! so it always agrees with the CSV files.

use crate::output::results::Results;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

pub use super::summary_load::LoadSummary;

/// One outcome's line.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OutcomeSummary {
    /// `direct`, `continued`, …
    pub outcome: String,
    /// Sync-delay records with this outcome.
    pub count: u64,
    /// Share of all records.
    pub share: f64,
    /// Synced before the horizon.
    pub synced: u64,
    /// Median delay in seconds (None when nothing synced).
    pub p50_s: Option<f64>,
    /// 99th percentile delay in seconds.
    pub p99_s: Option<f64>,
}

/// One pool's line.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PoolSummary {
    /// Pool number, or `all`.
    pub pool: String,
    /// Requests that reached the pool.
    pub arrivals: u64,
    /// Rejected after `queue_timeout`.
    pub rejected: u64,
    /// Busy share of server time.
    pub utilization: f64,
    /// 99th percentile wait in ms.
    pub wait_p99_ms: Option<f64>,
}

/// What `mailsim run` prints at the end (merged replications).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Replications merged.
    pub replications: u32,
    /// Simulated time per replication, in seconds.
    pub horizon_s: f64,
    /// Every metric of summary.csv (replication `all`).
    pub metrics: BTreeMap<String, u64>,
    /// Outcomes across policies and cohorts.
    pub outcomes: Vec<OutcomeSummary>,
    /// Highest evaluation rate of any bucket, per second and replication.
    pub peak_evaluations_per_s: f64,
    /// Each pool, then `all`.
    pub pools: Vec<PoolSummary>,
    /// Wall time of the simulation, seconds.
    pub wall_s: f64,
    /// Simulated device requests per wall-clock second.
    pub requests_per_s: f64,
    /// Quarantine evaluations per wall-clock second.
    pub evaluations_per_s: f64,
    /// The simulation engine that ran it.
    pub engine: String,
    /// The output folder.
    pub output: String,
    /// The HTML report.
    pub report: String,
    /// Key metrics across replications (two or more): name, mean, 95 % CI half-width.
    pub intervals: Vec<MetricInterval>,
    /// The scenario's SLOs, measured.
    pub slos: Vec<crate::stats::slo::SloResult>,
    /// Red flags in words (utilization, rejections, people still waiting).
    pub flags: Vec<String>,
    /// What the verdict says when there is no red flag.
    #[serde(skip)]
    pub all_clear: String,
    /// A live load's measurements (`mailsim load` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSummary>,
}

/// A key metric across replications.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MetricInterval {
    /// Metric name.
    pub metric: String,
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of its 95 % confidence interval (Student t).
    pub ci95_half_width: f64,
}

/// The metrics the text summary shows with their spread.
const SHOWN_INTERVALS: [&str; 5] = [
    "evaluator.utilization",
    "evaluator.wait_p99_ms",
    "evaluator.peak_evaluations_per_s",
    "evaluations_rejected_share",
    "outcome_share.timeout",
];

impl Summary {
    /// The summary of an output folder.
    pub fn of(r: &Results) -> Summary {
        Summary {
            scenario: r.run.scenario.name.clone(),
            seed: r.run.scenario.seed,
            replications: r.run.scenario.replications,
            horizon_s: r.run.scenario.horizon_s,
            metrics: r
                .summary
                .iter()
                .filter(|row| row.replication == "all")
                .map(|row| (row.metric.clone(), row.value))
                .collect(),
            outcomes: r
                .merged_outcomes()
                .map(|o| OutcomeSummary {
                    outcome: o.outcome.clone(),
                    count: o.count,
                    share: o.share,
                    synced: o.synced,
                    p50_s: o.p50_s,
                    p99_s: o.p99_s,
                })
                .collect(),
            peak_evaluations_per_s: r.peak_evaluations_per_s(),
            pools: r
                .merged_pools()
                .map(|p| PoolSummary {
                    pool: p.pool.clone(),
                    arrivals: p.arrivals,
                    rejected: p.rejected,
                    utilization: p.utilization,
                    wait_p99_ms: p.wait_p99_ms,
                })
                .collect(),
            wall_s: r.run.wall_s,
            requests_per_s: r.run.requests_per_s,
            evaluations_per_s: r.run.evaluations_per_s,
            engine: r.run.engine.clone(),
            output: r.dir.display().to_string(),
            report: r.dir.join("report.html").display().to_string(),
            intervals: r
                .replication_stats
                .iter()
                .map(|st| MetricInterval {
                    metric: st.metric.clone(),
                    mean: st.mean,
                    ci95_half_width: st.ci95_half_width,
                })
                .collect(),
            slos: super::verdict::slos(r),
            flags: super::verdict::red_flags(r).into_iter().map(|f| f.text).collect(),
            all_clear: super::verdict::all_clear(r),
            load: r.load.as_ref().and_then(LoadSummary::of),
        }
    }

    fn metric(&self, name: &str) -> u64 {
        self.metrics.get(name).copied().unwrap_or(0)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary is plain data") + "\n"
    }

    /// Aligned text for a terminal, at most 100 columns wide.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let reps = self.replications;
        let _ = writeln!(
            s,
            "{}: {} of {}, seed {}",
            self.scenario,
            plural(reps as u64, "replication", "replications"),
            duration(self.horizon_s),
            self.seed
        );
        // The verdict first: SLOs, then red flags in words.
        if !self.slos.is_empty() {
            let failed = self.slos.iter().filter(|x| !x.pass).count();
            let _ = writeln!(
                s,
                "  {} SLOs: {} of {} met",
                if failed == 0 { "✓" } else { "✗" },
                self.slos.len() - failed,
                self.slos.len()
            );
            for slo in &self.slos {
                let _ = writeln!(
                    s,
                    "      {} {} {} {}: {}",
                    if slo.pass { "pass" } else { "FAIL" },
                    slo.metric,
                    if slo.bound == "max" { "<=" } else { ">=" },
                    slo.limit,
                    slo.value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "no data".into())
                );
            }
        }
        if self.flags.is_empty() {
            let _ = writeln!(s, "  ✓ {}", self.all_clear);
        }
        for f in &self.flags {
            for (i, line) in wrap(f, 92).iter().enumerate() {
                let _ = writeln!(s, "  {} {line}", if i == 0 { "!" } else { " " });
            }
        }
        // Counts are sums over replications: show them per replication.
        let per = |n: &str| group((self.metric(n) as f64 / reps.max(1) as f64).round() as u64);
        let _ = writeln!(
            s,
            "  Population   {} tenants ({} MDM), {} users, {} connections{}",
            per("tenants"),
            per("mdm_tenants"),
            per("users"),
            per("connections_initial"),
            if reps > 1 { " per replication" } else { "" }
        );
        let _ = writeln!(
            s,
            "  Arrivals     {} activations, {} re-adds",
            per("activations"),
            per("readds")
        );
        let _ = writeln!(
            s,
            "  Prompts      {} delivered, {} quarantines",
            per("prompts"),
            per("quarantines")
        );
        if !self.outcomes.is_empty() {
            let p50 = unit_for(self.outcomes.iter().filter_map(|o| o.p50_s));
            let p99 = unit_for(self.outcomes.iter().filter_map(|o| o.p99_s));
            let _ = writeln!(
                s,
                "  Sync delay   {:<10} {:>10} {:>7} {:>10} {:>9} {:>11} {:>11}",
                "outcome",
                "count",
                "share",
                "synced",
                "waiting¹",
                format!("p50 ({})", p50.1),
                format!("p99 ({})", p99.1),
            );
            let mut none_synced = false;
            for o in &self.outcomes {
                let mut cell = |v: Option<f64>, u: (f64, &str)| match v {
                    Some(v) => in_unit(v, u.0),
                    None => {
                        none_synced = true;
                        "—²".to_string()
                    }
                };
                let (c50, c99) = (cell(o.p50_s, p50), cell(o.p99_s, p99));
                let _ = writeln!(
                    s,
                    "               {:<10} {:>10} {:>6.1}% {:>10} {:>9} {:>11} {:>11}",
                    o.outcome,
                    group(o.count),
                    o.share * 100.0,
                    group(o.synced),
                    group(o.count - o.synced),
                    c50,
                    c99,
                );
            }
            let _ = writeln!(
                s,
                "               ¹ still waiting for mail at the horizon{}",
                if none_synced {
                    "   ² none of them synced by the horizon"
                } else {
                    ""
                }
            );
        }
        let evaluations = self.metric("evaluations");
        let rejected = self.metric("evaluations_rejected");
        let _ = writeln!(
            s,
            "  Evaluator    {} evaluations{}, peak {:.1}/s, {} rejected ({})",
            per("evaluations"),
            if reps > 1 { " per replication" } else { "" },
            self.peak_evaluations_per_s,
            per("evaluations_rejected"),
            super::verdict::percent(rejected as f64 / evaluations.max(1) as f64)
        );
        if let Some(d) = self
            .outcomes
            .iter()
            .find(|o| o.outcome == "direct" && o.p50_s.is_some())
        {
            let human = |v: Option<f64>| v.map(duration).unwrap_or_default();
            let _ = writeln!(
                s,
                "               direct: p50 {}, p99 {} from activation or re-add to sync",
                human(d.p50_s),
                human(d.p99_s)
            );
        }
        let shown: Vec<&PoolSummary> = if self.pools.len() <= 9 {
            self.pools.iter().collect()
        } else {
            self.pools.iter().filter(|p| p.pool == "all").collect()
        };
        let _ = writeln!(
            s,
            "               {:<8} {:>15} {:>15}",
            "pool", "utilization (%)", "p99 wait (ms)"
        );
        for p in shown {
            let _ = writeln!(
                s,
                "               {:<8} {:>15.1} {:>15}",
                p.pool,
                p.utilization * 100.0,
                p.wait_p99_ms
                    .map(|ms| format!("{ms:.1}"))
                    .unwrap_or_else(|| "— none served".into())
            );
        }
        let shown: Vec<&MetricInterval> = self
            .intervals
            .iter()
            .filter(|i| {
                SHOWN_INTERVALS.contains(&i.metric.as_str())
                    || i.metric.starts_with("sync_delay.new.") && i.metric.ends_with("p99_s")
            })
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(
                s,
                "  Spread       mean ± 95 % CI half-width across {} replications (all in replications.csv)",
                reps
            );
            for i in shown {
                let _ = writeln!(
                    s,
                    "               {:<40} {}",
                    i.metric,
                    human_interval(&i.metric, i.mean, i.ci95_half_width)
                );
            }
        }
        if let Some(l) = &self.load {
            // A load's pace is the wall clock's: its speed is the Load line's rate.
            l.write_text(&mut s);
        } else {
            let _ = writeln!(
                s,
                "  Speed        {:.2} M evaluations/s, {:.2} M requests/s ({:.2} s, {} engine)",
                self.evaluations_per_s / 1e6,
                self.requests_per_s / 1e6,
                self.wall_s,
                self.engine
            );
        }
        let _ = writeln!(s, "  Report       {}", self.report);
        s
    }
}

/// "1 server", "2 servers".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

/// Words of `text` in lines of at most `width` characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The one unit a column of durations is shown in: the one that reads best
/// for its largest value (seconds in it, its name).
fn unit_for(values: impl Iterator<Item = f64>) -> (f64, &'static str) {
    let max = values.fold(0.0, f64::max);
    if max < 1.0 {
        (1e-3, "ms")
    } else if max < 120.0 {
        (1.0, "s")
    } else if max < 7_200.0 {
        (60.0, "min")
    } else if max < 172_800.0 {
        (3_600.0, "h")
    } else {
        (86_400.0, "d")
    }
}

/// Seconds in a column's unit; a value too small to show reads `< 0.01`.
fn in_unit(s: f64, unit: f64) -> String {
    let v = s / unit;
    if v > 0.0 && v < 0.005 {
        "< 0.01".into()
    } else {
        format!("{v:.2}")
    }
}

/// A key metric's mean ± half-width in the unit its name says.
fn human_interval(metric: &str, mean: f64, hw: f64) -> String {
    if metric.ends_with("_ms") {
        format!("{mean:.2} ± {hw:.2} ms")
    } else if metric.ends_with("_per_s") {
        format!("{mean:.1} ± {hw:.1} /s")
    } else if metric.ends_with("_s") {
        let (u, name) = unit_for([mean].into_iter());
        format!("{} ± {} {name}", in_unit(mean, u), in_unit(hw, u))
    } else {
        // Utilization and shares.
        format!("{:.2} ± {:.2} %", mean * 100.0, hw * 100.0)
    }
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds in the unit that reads best: "850 µs", "12.3 ms", "4.2 s", "7.5 min", "24.0 h", "2.5 d".
pub fn duration(s: f64) -> String {
    if s == 0.0 {
        "0".into()
    } else if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7_200.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3_600.0)
    } else {
        format!("{:.1} d", s / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234), "1,234");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(86_436.2), "24.0 h");
        assert_eq!(duration(7_200.0), "2.0 h");
        assert_eq!(duration(259_200.0), "3.0 d");
    }

    #[test]
    fn json_and_text_agree_with_summary_csv() {
        let (_dir, r) = crate::output::results::tests::sample("tests/data/small.toml");
        let summary = Summary::of(&r);
        let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
        for row in r.summary.iter().filter(|row| row.replication == "all") {
            assert_eq!(json["metrics"][&row.metric], row.value, "{}", row.metric);
        }
        let text = summary.to_text();
        assert!(
            text.contains(&format!("{} delivered", group(r.metric("prompts")))),
            "{text}"
        );
        assert!(
            text.lines().any(|l| l.split_whitespace().next() == Some("all")),
            "{text}"
        );
        // People cut off by the horizon are a red flag, and the table counts them.
        let waiting: u64 = r.merged_outcomes().map(|o| o.count - o.synced).sum();
        assert!(
            waiting > 0 && text.contains("still waiting for mail at the horizon"),
            "{text}"
        );
        assert!(
            text.lines().all(|l| l.chars().count() <= 100),
            "fits 100 columns:\n{text}"
        );
    }

    #[test]
    fn each_column_of_delays_has_one_unit() {
        assert_eq!(
            unit_for([7_140.0, 7_560.0].into_iter()).1,
            "h",
            "not 119 min beside 2.1 h"
        );
        assert_eq!(in_unit(7_140.0, 3_600.0), "1.98");
        assert_eq!(in_unit(0.0011, 3_600.0), "< 0.01");
        assert_eq!(
            human_interval("evaluator.wait_p99_ms", 4721.3, 162.9),
            "4721.30 ± 162.90 ms"
        );
        assert_eq!(
            human_interval("evaluator.peak_evaluations_per_s", 0.59, 0.22),
            "0.6 ± 0.2 /s"
        );
        assert_eq!(human_interval("evaluator.utilization", 0.346, 0.0997), "34.60 ± 9.97 %");
        assert_eq!(
            human_interval("sync_delay.new.continued.p99_s", 51_264.0, 46_210.0),
            "14.24 ± 12.84 h"
        );
        assert_eq!(plural(1, "server", "servers"), "1 server");
    }
}
