//! The end-of-run summary: a few aligned lines for people (stdout), or the
//! same as JSON for scripts (`--format json`). Built from an output folder,
//! so it always agrees with the CSV files.

use crate::output::results::Results;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

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
    /// The output folder.
    pub output: String,
    /// The HTML report.
    pub report: String,
    /// Key metrics across replications (two or more): name, mean, 95 % CI half-width.
    pub intervals: Vec<MetricInterval>,
    /// The scenario's SLOs, measured.
    pub slos: Vec<crate::stats::slo::SloResult>,
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
            slos: crate::stats::slo::evaluate(&r.scenario.slos, r),
        }
    }

    fn metric(&self, name: &str) -> u64 {
        self.metrics.get(name).copied().unwrap_or(0)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary is plain data") + "\n"
    }

    /// Aligned text for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let reps = if self.replications == 1 {
            "1 replication".to_string()
        } else {
            format!("{} replications (merged)", self.replications)
        };
        let _ = writeln!(
            s,
            "{}: {reps} of {}, seed {}",
            self.scenario,
            duration(self.horizon_s),
            self.seed
        );
        let m = |n| group(self.metric(n));
        let _ = writeln!(
            s,
            "  Population    {} tenants ({} MDM), {} users, {} connections; {} activations, {} re-adds",
            m("tenants"),
            m("mdm_tenants"),
            m("users"),
            m("connections_initial"),
            m("activations"),
            m("readds")
        );
        let _ = writeln!(
            s,
            "  Prompts       {} delivered, {} quarantines",
            m("prompts"),
            m("quarantines")
        );
        if !self.outcomes.is_empty() {
            let _ = writeln!(
                s,
                "  Sync delay    {:<10} {:>10} {:>7} {:>10} {:>10}",
                "outcome", "count", "share", "p50", "p99"
            );
            for o in &self.outcomes {
                let _ = writeln!(
                    s,
                    "                {:<10} {:>10} {:>6.1}% {:>10} {:>10}",
                    o.outcome,
                    group(o.count),
                    o.share * 100.0,
                    o.p50_s.map(duration).unwrap_or_else(|| "-".into()),
                    o.p99_s.map(duration).unwrap_or_else(|| "-".into()),
                );
            }
        }
        let evaluations = self.metric("evaluations");
        let rejected = self.metric("evaluations_rejected");
        let _ = writeln!(
            s,
            "  Evaluator     {} evaluations, peak {:.1}/s, {} rejected ({:.2}%)",
            group(evaluations),
            self.peak_evaluations_per_s,
            group(rejected),
            100.0 * rejected as f64 / evaluations.max(1) as f64
        );
        let shown: Vec<&PoolSummary> = if self.pools.len() <= 9 {
            self.pools.iter().collect()
        } else {
            self.pools.iter().filter(|p| p.pool == "all").collect()
        };
        for p in shown {
            let _ = writeln!(
                s,
                "                pool {:<4} utilization {:>5.1}%   p99 wait {:>10}",
                p.pool,
                p.utilization * 100.0,
                p.wait_p99_ms.map(|ms| duration(ms / 1e3)).unwrap_or_else(|| "-".into())
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
                "  Across {} replications (mean ± 95% CI half-width; all in replications.csv)",
                self.replications
            );
            for i in shown {
                let _ = writeln!(
                    s,
                    "                {:<38} {:>12.4} ± {:.4}",
                    i.metric, i.mean, i.ci95_half_width
                );
            }
        }
        for (n, slo) in self.slos.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {:<12}  {}  {} {} {}: {}",
                if n == 0 { "SLOs" } else { "" },
                if slo.pass { "pass" } else { "FAIL" },
                slo.metric,
                if slo.bound == "max" { "<=" } else { ">=" },
                slo.limit,
                slo.value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "no data".into())
            );
        }
        let _ = writeln!(
            s,
            "  Speed         {} events, {} requests in {:.2} s ({:.2} M requests/s)",
            group(self.metric("events")),
            group(self.metric("requests")),
            self.wall_s,
            self.requests_per_s / 1e6
        );
        let _ = writeln!(s, "  Report        {}", self.report);
        s
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
        assert!(text.contains("pool all"), "{text}");
    }
}
