//! The names of the key metrics (see `stats::metrics`), which a scenario's
//! `[[slo]]` may name: dotted paths such as `outcome_share.timeout`,
//! `sync_delay.new.continued.p99_s` or `evaluator.wait_p99_ms`.

use super::{Cohort, Outcome, Policy};

/// Every metric name a scenario may hold an SLO on, in report order. Sync
/// delays exist only where connections of that kind synced.
pub fn metric_names() -> Vec<String> {
    let mut names = Vec::new();
    for o in Outcome::ALL {
        names.push(format!("outcome_share.{}", o.key()));
    }
    for c in Cohort::ALL {
        for o in Outcome::ALL {
            for q in ["p50_s", "p99_s"] {
                names.push(format!("sync_delay.{}.{}.{q}", c.key(), o.key()));
            }
        }
    }
    for p in Policy::ALL {
        for c in Cohort::ALL {
            for o in Outcome::ALL {
                for q in ["p50_s", "p99_s"] {
                    names.push(format!("sync_delay.{}.{}.{}.{q}", p.key(), c.key(), o.key()));
                }
            }
        }
    }
    for m in [
        "utilization",
        "wait_p50_ms",
        "wait_p99_ms",
        "wait_p999_ms",
        "peak_evaluations_per_s",
    ] {
        names.push(format!("evaluator.{m}"));
    }
    names.push("evaluations_rejected_share".into());
    names.extend(LOAD_METRICS.iter().map(|m| m.to_string()));
    names
}

/// The metrics of a live load (`mailsim load`), measured against the target;
/// `run` has none of them and does not check SLOs on them.
pub const LOAD_METRICS: [&str; 18] = [
    "load.latency_mean_ms",
    "load.latency_p50_ms",
    "load.latency_p90_ms",
    "load.latency_p99_ms",
    "load.latency_p999_ms",
    "load.latency_max_ms",
    "load.predicted_mean_ms",
    "load.predicted_p50_ms",
    "load.predicted_p99_ms",
    "load.send_lag_p99_ms",
    "load.error_share",
    "load.rejected_share",
    "load.dropped_share",
    "load.late_share",
    "load.mismatches",
    "load.security_findings",
    "load.sent_per_s",
    "load.scheduled_per_s",
];

/// A short description of the metric names, for error messages.
pub const METRIC_FORMS: &str = "outcome_share.<outcome>, sync_delay.<cohort>.<outcome>.p50_s|p99_s, \
sync_delay.<policy>.<cohort>.<outcome>.p50_s|p99_s, evaluator.utilization, evaluator.wait_p50_ms, \
evaluator.wait_p99_ms, evaluator.wait_p999_ms, evaluator.peak_evaluations_per_s, evaluations_rejected_share, \
and of `mailsim load`: load.latency_mean_ms|p50_ms|p90_ms|p99_ms|p999_ms|max_ms, load.predicted_mean_ms|p50_ms|p99_ms, \
load.send_lag_p99_ms, load.error_share, load.rejected_share, load.dropped_share, load.late_share, load.mismatches, \
load.security_findings, load.sent_per_s, load.scheduled_per_s \
(cohort: new, existing; outcome: direct, continued, outlook, timeout, released, blocked, switched; policy: unmanaged, \
outlook_only, any_app_prompt_always, any_app_prompt_once)";
