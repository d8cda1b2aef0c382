//! Key metrics: the named numbers that replications are summarised by,
//! that SLOs check and that runs are compared on.
//!
//! Names are dotted paths: `outcome_share.timeout`,
//! `sync_delay.new.continued.p99_s` (all policies),
//! `sync_delay.any_app_prompt_always.existing.timeout.p50_s`,
//! `evaluator.utilization`, `evaluator.wait_p99_ms`,
//! `evaluator.peak_evaluations_per_s`, `evaluations_rejected_share`.

use super::{Cohort, Outcome, Replication, add_histogram};
use crate::scenario::Scenario;
pub use crate::scenario::metric_names::{METRIC_FORMS, metric_names};

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

/// The key metrics of one replication (or of merged ones), in report order.
pub fn key_metrics(r: &Replication, sc: &Scenario) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let total: u64 = Outcome::ALL.iter().map(|&o| r.delays.outcome_count(o)).sum();
    for o in Outcome::ALL {
        let n = r.delays.outcome_count(o);
        if total > 0 {
            out.push((format!("outcome_share.{}", o.key()), n as f64 / total as f64));
        }
    }
    for c in Cohort::ALL {
        for o in Outcome::ALL {
            let mut merged: Option<hdrhistogram::Histogram<u64>> = None;
            let mut max = 0;
            for ((_, cohort, outcome), cell) in r.delays.cells() {
                if cohort == c && outcome == o && cell.synced() > 0 {
                    max = max.max(cell.max_us);
                    match &mut merged {
                        None => merged = Some(cell.hist.clone()),
                        Some(h) => add_histogram(h, &cell.hist),
                    }
                }
            }
            if let Some(h) = merged {
                for (q, name) in [(0.5, "p50_s"), (0.99, "p99_s")] {
                    out.push((
                        format!("sync_delay.{}.{}.{name}", c.key(), o.key()),
                        secs(h.value_at_quantile(q).min(max)),
                    ));
                }
            }
        }
    }
    for ((p, c, o), cell) in r.delays.cells() {
        if cell.synced() > 0 {
            for (q, name) in [(0.5, "p50_s"), (0.99, "p99_s")] {
                let v = secs(cell.hist.value_at_quantile(q).min(cell.max_us));
                out.push((format!("sync_delay.{}.{}.{}.{name}", p.key(), c.key(), o.key()), v));
            }
        }
    }
    let l = &r.load;
    out.push(("evaluator.utilization".into(), l.utilization()));
    if l.served > 0 {
        for (q, name) in [(0.5, "wait_p50_ms"), (0.99, "wait_p99_ms"), (0.999, "wait_p999_ms")] {
            out.push((
                format!("evaluator.{name}"),
                l.wait.value_at_quantile(q).min(l.wait_max_us) as f64 / 1e3,
            ));
        }
    }
    let bucket_s = sc.bucket.as_secs_f64();
    let horizon_s = sc.horizon.as_secs_f64();
    let peak = r
        .series
        .evaluations
        .iter()
        .enumerate()
        .map(|(b, &n)| n as f64 / bucket_s.min(horizon_s - b as f64 * bucket_s))
        .fold(0.0, f64::max);
    out.push(("evaluator.peak_evaluations_per_s".into(), peak));
    let rejected_share = if l.arrivals > 0 {
        l.rejected as f64 / l.arrivals as f64
    } else {
        0.0
    };
    out.push(("evaluations_rejected_share".into(), rejected_share));
    out
}

/// Where key metrics come from: a run in memory or an output folder read back.
pub trait MetricSource {
    /// The metric over all replications merged, if the run has it.
    fn merged(&self, metric: &str) -> Option<f64>;
    /// The metric of each replication, in order (empty when not recorded).
    fn per_replication(&self, metric: &str) -> Vec<f64>;
    /// A 95 % interval of the metric from a single replication's own
    /// sample, where theory gives one (binomial shares, order-statistic
    /// percentiles); `None` where it does not.
    fn sample_interval(&self, _metric: &str) -> Option<(f64, f64)> {
        None
    }
}

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: u32) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            // Cornish–Fisher expansion around the normal quantile; error < 1e-4 for df > 30.
            let (z, n) = (1.959_963_985_f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * n) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// Mean, sample standard deviation and 95 % confidence half-width (Student t) of `xs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Number of values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// Half-width of the 95 % confidence interval of the mean.
    pub half_width: f64,
}

impl Interval {
    /// Of at least two values; `None` for fewer.
    pub fn of(xs: &[f64]) -> Option<Interval> {
        let n = xs.len();
        if n < 2 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        Some(Interval {
            n,
            mean,
            sd,
            half_width: t95(n as u32 - 1) * sd / (n as f64).sqrt(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        assert_eq!(t95(1), 12.706);
        assert_eq!(t95(9), 2.262);
        assert!((t95(40) - 2.021).abs() < 1e-3, "{}", t95(40));
        assert!((t95(120) - 1.980).abs() < 1e-3, "{}", t95(120));
        assert!((t95(100_000) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn interval_by_hand() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, t(7) = 2.365.
        let i = Interval::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(i.n, 8);
        assert!((i.mean - 5.0).abs() < 1e-12);
        assert!((i.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert!((i.half_width - 2.365 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt()).abs() < 1e-12);
        assert!(Interval::of(&[1.0]).is_none());
    }

    #[test]
    fn every_metric_name_is_listed() {
        let names = metric_names();
        assert!(names.contains(&"sync_delay.new.continued.p99_s".to_string()));
        assert!(names.contains(&"evaluator.wait_p99_ms".to_string()));
        assert!(names.contains(&"evaluations_rejected_share".to_string()));
        let (_dir, r) = crate::output::results::tests::sample("tests/data/small.toml");
        let sc = &r.scenario;
        let result = crate::run::run(
            sc,
            &crate::run::RunOptions {
                threads: 1,
                ..Default::default()
            },
        )
        .unwrap();
        for (name, value) in key_metrics(result.all(), sc) {
            assert!(names.contains(&name), "{name} not listed");
            assert!(value.is_finite(), "{name} = {value}");
        }
    }
}
