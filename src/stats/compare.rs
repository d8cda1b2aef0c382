//! Comparing two runs metric by metric: the regression check for CI and the
//! what-if view.
//!
//! A metric is `worse` or `better` only when all three hold:
//! - it moved by more than the relative tolerance (default 5 %);
//! - it moved by more than the absolute floor of its kind ([`Floors`]):
//!   a p50 sync delay going from 1.1 ms to 2.7 ms is +157 % but nobody
//!   waits longer for mail in any way that matters;
//! - when both runs have two or more replications, the difference of the
//!   means is significant by Welch's t-test, with Holm's correction over
//!   the metrics that passed the first two tests (family-wise error 5 %). With fewer
//!   replications noise cannot be told from change in general, and the
//!   report says so; where the run's own sample gives a 95 % interval
//!   (binomial for an outcome share, order statistics for a sync-delay
//!   percentile: [`MetricSource::sample_interval`]), the two intervals must
//!   not overlap.
//!
//! Otherwise it is `same`. Outcome shares have no better direction: they
//! are `changed` instead.

use super::metrics::{MetricSource, metric_names};
use std::fmt;

/// Family-wise error rate of the Holm procedure.
pub const ALPHA: f64 = 0.05;

/// Absolute moves below which a metric is `same`, by kind of metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Floors {
    /// Sync delays (`sync_delay.*`), in seconds.
    pub delay_s: f64,
    /// Evaluator waits (`evaluator.wait_*`), in milliseconds.
    pub wait_ms: f64,
    /// Outcome shares (0–1).
    pub share: f64,
    /// The share of evaluations rejected (0–1).
    pub rejected: f64,
    /// Evaluator utilization (0–1).
    pub utilization: f64,
    /// Rates (`evaluator.peak_evaluations_per_s`), per second.
    pub rate_per_s: f64,
}

impl Default for Floors {
    /// People wait for mail in seconds and more; servers are sized on
    /// milliseconds of queueing; an outcome share that moves by under a
    /// point is not a finding, nor a rejected share under 0.1 %, nor
    /// utilization under 5 points (two random populations of one scenario
    /// differ by that much); a peak rate moves by a few requests per second
    /// between seeds of the same scenario.
    fn default() -> Self {
        Floors {
            delay_s: 1.0,
            wait_ms: 1.0,
            share: 0.01,
            rejected: 0.001,
            utilization: 0.05,
            rate_per_s: 5.0,
        }
    }
}

impl Floors {
    /// The kinds, as `--floor KIND=VALUE` names them, with their meaning.
    pub const KINDS: [(&'static str, &'static str); 6] = [
        ("delay_s", "sync delays, seconds"),
        ("wait_ms", "evaluator waits, milliseconds"),
        ("share", "outcome shares, 0-1"),
        ("rejected", "the rejected share, 0-1"),
        ("utilization", "evaluator utilization, 0-1"),
        ("rate_per_s", "peak evaluations per second"),
    ];

    /// The floor of a metric.
    pub fn of(&self, metric: &str) -> f64 {
        if metric.starts_with("sync_delay.") {
            self.delay_s
        } else if metric.starts_with("evaluator.wait_") || metric.starts_with("load.") && metric.ends_with("_ms") {
            self.wait_ms
        } else if metric == "evaluator.utilization" {
            self.utilization
        } else if metric.ends_with("_per_s") {
            self.rate_per_s
        } else if metric == "evaluations_rejected_share" || metric.starts_with("load.") && metric.ends_with("_share") {
            self.rejected
        } else if metric == "load.mismatches" || metric == "load.security_findings" {
            // Any wrong decision more is a change.
            0.0
        } else {
            self.share
        }
    }

    /// Sets one kind from `KIND=VALUE`.
    pub fn set(&mut self, text: &str) -> Result<(), String> {
        let (kind, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--floor {text}: expected KIND=VALUE, e.g. wait_ms=2"))?;
        let v: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("--floor {text}: {value:?} is not a number of 0 or more"))?;
        let slot = match kind.trim() {
            "delay_s" => &mut self.delay_s,
            "wait_ms" => &mut self.wait_ms,
            "share" => &mut self.share,
            "rejected" => &mut self.rejected,
            "utilization" => &mut self.utilization,
            "rate_per_s" => &mut self.rate_per_s,
            other => {
                let kinds: Vec<&str> = Floors::KINDS.iter().map(|k| k.0).collect();
                return Err(format!(
                    "--floor {text}: unknown kind {other:?}; kinds are {}",
                    kinds.join(", ")
                ));
            }
        };
        *slot = v;
        Ok(())
    }
}

/// How a comparison judges noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// Relative change that counts as a change at all.
    pub tolerance: f64,
    /// Absolute floors per kind of metric.
    pub floors: Floors,
}

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
    /// Welch's two-sided p-value of the difference of the replication
    /// means, when both runs have two or more replications.
    pub p_value: Option<f64>,
    /// `same`, `better`, `worse` or `changed`.
    pub verdict: &'static str,
}

/// Every key metric present in both runs, judged, with how noise was judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// One row per metric, in report order.
    pub rows: Vec<MetricComparison>,
    /// Whether both runs had two or more replications, so noise was tested.
    pub noise_tested: bool,
}

impl Comparison {
    /// How many metrics have each verdict: worse, better, changed, same.
    pub fn counts(&self) -> [(&'static str, usize); 4] {
        ["worse", "better", "changed", "same"].map(|v| (v, self.rows.iter().filter(|r| r.verdict == v).count()))
    }

    /// "2 worse, 3 better, 40 same" (kinds with none left out, but `same`).
    pub fn verdict_line(&self) -> String {
        self.counts()
            .iter()
            .filter(|(v, n)| *n > 0 || *v == "same")
            .map(|(v, n)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The number of metrics that got worse.
    pub fn worse(&self) -> usize {
        self.counts()[0].1
    }
}

/// Whether a smaller value of the metric is better (`None`: neither,
/// the metric describes the scenario rather than how well it went).
fn lower_is_better(metric: &str) -> Option<bool> {
    if metric.starts_with("outcome_share.") || metric.starts_with("load.predicted_") || metric == "load.scheduled_per_s"
    {
        None
    } else {
        Some(metric != "load.sent_per_s")
    }
}

/// Compares every key metric present in both runs.
pub fn compare(base: &dyn MetricSource, new: &dyn MetricSource, rules: &Rules) -> Comparison {
    let mut rows = Vec::new();
    let mut noise_tested = true;
    for metric in metric_names() {
        let (Some(b), Some(n)) = (base.merged(&metric), new.merged(&metric)) else {
            continue;
        };
        let change = if b == n {
            0.0
        } else if b == 0.0 {
            f64::INFINITY
        } else {
            (n - b) / b.abs()
        };
        let (xb, xn) = (base.per_replication(&metric), new.per_replication(&metric));
        let p_value = welch_p(&xb, &xn);
        noise_tested &= xb.len() >= 2 && xn.len() >= 2;
        rows.push(MetricComparison {
            metric,
            base: b,
            new: n,
            change,
            p_value,
            verdict: "same",
        });
    }
    // The family Holm corrects over is the metrics that moved by more than
    // the tolerance and the floor: the others are `same` whatever the test
    // says, so they need no share of the error budget.
    let moved: Vec<bool> = rows
        .iter()
        .map(|r| r.change.abs() > rules.tolerance && (r.new - r.base).abs() > rules.floors.of(&r.metric))
        .collect();
    let family: Vec<Option<f64>> = rows.iter().zip(&moved).map(|(r, &m)| r.p_value.filter(|_| m)).collect();
    let significant = holm(&family, ALPHA);
    for ((r, significant), moved) in rows.iter_mut().zip(significant).zip(moved) {
        // Without replications on both sides there is no test across
        // replications: the runs' own samples judge where they can, else only
        // the tolerance and the floor.
        let real = match r.p_value {
            Some(_) => significant,
            None => match (base.sample_interval(&r.metric), new.sample_interval(&r.metric)) {
                (Some(a), Some(b)) => a.1 < b.0 || b.1 < a.0,
                _ => true,
            },
        };
        if moved && real {
            r.verdict = match lower_is_better(&r.metric) {
                Some(lower) if (r.new < r.base) == lower => "better",
                Some(_) => "worse",
                None => "changed",
            };
        }
    }
    Comparison { rows, noise_tested }
}

/// Holm's step-down procedure: which of these p-values (`None`: not tested)
/// are significant at family-wise level `alpha`.
pub fn holm(p: &[Option<f64>], alpha: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    order.sort_by(|&a, &b| p[a].unwrap().total_cmp(&p[b].unwrap()).then(a.cmp(&b)));
    let m = order.len();
    let mut out = vec![false; p.len()];
    for (k, &i) in order.iter().enumerate() {
        if p[i].unwrap() > alpha / (m - k) as f64 {
            break;
        }
        out[i] = true;
    }
    out
}

/// Welch's two-sided p-value for equal means of two samples of two or more
/// values each; `None` for smaller samples.
pub fn welch_p(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (n, mean, var)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    let (sa, sb) = (va / na, vb / nb);
    let se2 = sa + sb;
    if se2 == 0.0 {
        // No spread on either side: the means either are equal or differ for sure.
        return Some(if ma == mb { 1.0 } else { 0.0 });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    Some(student_t_two_sided(t, df))
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom:
/// I_{df/(df+t²)}(df/2, 1/2).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (Numerical Recipes §6.4), accurate to about 1e-12.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-14).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// A regression: exit code 3.
#[derive(Debug)]
pub struct Regression(pub usize);

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} metric(s) got worse beyond the tolerance, the floor and the noise (see compare.csv)",
            self.0
        )
    }
}

impl std::error::Error for Regression {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn t_tail_matches_tables() {
        // Two-sided critical values: t(0.975, 10) = 2.228, t(0.995, 3) = 5.841.
        assert!((student_t_two_sided(2.228, 10.0) - 0.05).abs() < 2e-4);
        assert!((student_t_two_sided(5.841, 3.0) - 0.01).abs() < 2e-5);
        assert!((student_t_two_sided(0.0, 7.0) - 1.0).abs() < 1e-12);
        // Large df: the normal tail, P(|Z| > 1.96) = 0.05.
        assert!((student_t_two_sided(1.959_964, 1e7) - 0.05).abs() < 1e-5);
        // df = 1 is Cauchy: P(|T| > 1) = 1/2.
        assert!((student_t_two_sided(1.0, 1.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn welch_by_hand() {
        // a: mean 2, var 1 (n 3); b: mean 5, var 1 (n 3): t = -3/sqrt(2/3) = -3.674, df = 4.
        let p = welch_p(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!((p - student_t_two_sided(3.674_234_6, 4.0)).abs() < 1e-6, "{p}");
        assert!((p - 0.0213).abs() < 5e-4, "{p}");
        assert_eq!(welch_p(&[1.0], &[2.0, 3.0]), None);
        assert_eq!(welch_p(&[1.0, 1.0], &[1.0, 1.0]), Some(1.0));
        assert_eq!(welch_p(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
    }

    #[test]
    fn holm_steps_down_and_stops_at_the_first_failure() {
        // m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05.
        let p = [Some(0.04), Some(0.001), None, Some(0.013), Some(0.03)];
        assert_eq!(holm(&p, 0.05), vec![false, true, false, true, false]);
        let p = [Some(0.01), Some(0.02), Some(0.03)];
        assert_eq!(holm(&p, 0.05), vec![true, true, true]);
    }

    struct Run(BTreeMap<String, Vec<f64>>);

    impl MetricSource for Run {
        fn merged(&self, m: &str) -> Option<f64> {
            self.0.get(m).map(|v| v.iter().sum::<f64>() / v.len() as f64)
        }
        fn per_replication(&self, m: &str) -> Vec<f64> {
            match self.0.get(m) {
                Some(v) if v.len() > 1 => v.clone(),
                _ => Vec::new(),
            }
        }
    }

    fn run(pairs: &[(&str, &[f64])]) -> Run {
        Run(pairs.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect())
    }

    #[test]
    fn a_millisecond_move_in_a_sync_delay_is_under_the_floor() {
        let rules = Rules {
            tolerance: 0.05,
            floors: Floors::default(),
        };
        let base = run(&[
            ("sync_delay.new.direct.p50_s", &[0.0011]),
            ("evaluator.wait_p99_ms", &[3.0]),
        ]);
        let new = run(&[
            ("sync_delay.new.direct.p50_s", &[0.0027]),
            ("evaluator.wait_p99_ms", &[30.0]),
        ]);
        let c = compare(&base, &new, &rules);
        assert!(!c.noise_tested);
        let verdict = |m: &str| c.rows.iter().find(|r| r.metric == m).unwrap().verdict;
        assert_eq!(verdict("sync_delay.new.direct.p50_s"), "same", "+157 % but 1.6 ms");
        assert_eq!(verdict("evaluator.wait_p99_ms"), "worse");
        assert_eq!(c.verdict_line(), "1 worse, 1 same");
    }

    #[test]
    fn with_replications_only_a_significant_move_counts() {
        let rules = Rules {
            tolerance: 0.05,
            floors: Floors::default(),
        };
        let base = run(&[
            ("evaluator.wait_p99_ms", &[10.0, 14.0, 12.0]),
            ("evaluator.wait_p50_ms", &[2.0, 2.1, 1.9]),
        ]);
        let new = run(&[
            ("evaluator.wait_p99_ms", &[9.0, 16.0, 15.0]),
            ("evaluator.wait_p50_ms", &[8.0, 8.1, 7.9]),
        ]);
        let c = compare(&base, &new, &rules);
        assert!(c.noise_tested);
        let verdict = |m: &str| c.rows.iter().find(|r| r.metric == m).unwrap().verdict;
        assert_eq!(verdict("evaluator.wait_p99_ms"), "same", "+8 % within noise");
        assert_eq!(verdict("evaluator.wait_p50_ms"), "worse");
    }

    #[test]
    fn floors_are_set_by_kind() {
        let mut f = Floors::default();
        f.set("wait_ms=2.5").unwrap();
        assert_eq!(f.of("evaluator.wait_p99_ms"), 2.5);
        assert_eq!(f.of("sync_delay.new.outlook.p99_s"), 1.0);
        assert_eq!(f.of("outcome_share.timeout"), 0.01);
        assert_eq!(f.of("evaluations_rejected_share"), 0.001);
        assert_eq!(f.of("evaluator.peak_evaluations_per_s"), 5.0);
        assert!(f.set("nope=1").unwrap_err().contains("kinds are"));
        assert!(f.set("share=-1").is_err());
    }
}
