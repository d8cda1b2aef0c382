//! The verdict of a run in words, shown first by the summary and the
//! report: the SLOs with pass or fail, and red flags where the numbers say
//! the evaluator is too small or people were cut off.

use super::summary::group;
use crate::output::results::Results;
use crate::stats::slo::{SloResult, evaluate};

/// Utilization above which a pool is flagged: queueing delay grows
/// steeply past it (an M/M/c queue's wait roughly doubles from 0.8 to 0.9).
pub const BUSY: f64 = 0.8;

/// A red flag: what the numbers say, in a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Short name: `utilization`, `rejections` or `waiting`.
    pub kind: &'static str,
    /// The sentence.
    pub text: String,
}

/// The SLOs of the run, measured.
pub fn slos(r: &Results) -> Vec<SloResult> {
    evaluate(&r.scenario.slos, r)
}

/// Connections still waiting for mail at the horizon, by outcome.
pub fn waiting_at_horizon(r: &Results) -> Vec<(String, u64)> {
    r.merged_outcomes()
        .filter(|o| o.count > o.synced)
        .map(|o| (o.outcome.clone(), o.count - o.synced))
        .collect()
}

/// Every red flag of the run, worst first.
pub fn red_flags(r: &Results) -> Vec<Flag> {
    let mut flags = Vec::new();
    let busy: Vec<String> = r
        .merged_pools()
        .filter(|p| p.pool != "all" && p.utilization > BUSY)
        .map(|p| format!("pool {} at {:.0} %", p.pool, p.utilization * 100.0))
        .collect();
    if !busy.is_empty() {
        flags.push(Flag {
            kind: "utilization",
            text: format!(
                "evaluator over {:.0} % busy ({}): waits grow steeply near saturation; add servers or pools",
                BUSY * 100.0,
                busy.join(", ")
            ),
        });
    }
    let (evaluations, rejected) = (r.metric("evaluations"), r.metric("evaluations_rejected"));
    if rejected > 0 {
        flags.push(Flag {
            kind: "rejections",
            text: format!(
                "{} evaluations ({}) were rejected after waiting queue_timeout; those devices synced later or not at all",
                group(rejected),
                percent(rejected as f64 / evaluations.max(1) as f64)
            ),
        });
    }
    if let Some(l) = &r.load {
        flags.extend(load_flags(l));
    }
    let waiting = waiting_at_horizon(r);
    let total: u64 = waiting.iter().map(|(_, n)| n).sum();
    if total > 0 {
        let records: u64 = r.merged_outcomes().map(|o| o.count).sum();
        let parts: Vec<String> = waiting.iter().map(|(o, n)| format!("{} {o}", group(*n))).collect();
        flags.push(Flag {
            kind: "waiting",
            text: format!(
                "{} connections ({}) were still waiting for mail at the horizon ({}): their waits are longer than any percentile shown",
                group(total),
                percent(total as f64 / records.max(1) as f64),
                parts.join(", ")
            ),
        });
    }
    flags
}

/// Red flags of a live load: a generator that could not keep the schedule,
/// failed calls, and decisions that disagreed with the model.
pub fn load_flags(l: &crate::output::results::LoadResults) -> Vec<Flag> {
    let mut flags = Vec::new();
    let Some(all) = l.all() else { return flags };
    let m = &l.meta;
    let lag = all.send_lag_p99_ms.unwrap_or(0.0);
    if lag > 1.0 || all.dropped > 0 {
        let mut parts = Vec::new();
        if all.late > 0 {
            parts.push(format!(
                "{} evaluations ({}) were sent more than 1 ms late (send lag p99 {lag:.1} ms)",
                group(all.late),
                percent(all.late as f64 / all.sent.max(1) as f64)
            ));
        }
        let at_limit = all.dropped.saturating_sub(m.abandoned_at_drain);
        if at_limit > 0 {
            parts.push(format!(
                "{} polls and pushes were dropped at --max-in-flight {}",
                group(at_limit),
                group(m.max_in_flight as u64)
            ));
        }
        if m.abandoned_at_drain > 0 {
            parts.push(format!(
                "{} evaluations were still waiting for a connection {} after the last was due, and were dropped unsent",
                group(m.abandoned_at_drain),
                super::summary::duration(m.timeout_s + 1.0)
            ));
        }
        let own = m.dispatch_lag_p99_ms.unwrap_or(0.0);
        let cause = if own > 1.0 {
            format!(
                "the generator itself fell behind (its own dispatch lag p99 {own:.1} ms): lower --speedup or --rate-scale, or give it a core of its own"
            )
        } else {
            format!(
                "every one of the {} connections was waiting for an answer ({} calls queued for a free one): the target was slower than the schedule",
                m.connections,
                group(m.queued_for_connection)
            )
        };
        flags.push(Flag {
            kind: "generator",
            text: format!(
                "the generator could not keep the schedule: {}; {cause}. Latency still counts from the intended instants",
                parts.join(" and ")
            ),
        });
    }
    let errors = all.errors();
    if errors > 0 || all.rejected > 0 {
        flags.push(Flag {
            kind: "errors",
            text: format!(
                "{} evaluations of {} failed ({} connect, {} timeout, {} status, {} body) and {} were rejected (503)",
                group(errors),
                group(all.sent),
                group(all.errors_connect),
                group(all.errors_timeout),
                group(all.errors_status),
                group(all.errors_body),
                group(all.rejected)
            ),
        });
    }
    let security: Vec<String> = crate::load::decisions::SECURITY
        .iter()
        .filter(|k| l.decision(k) > 0)
        .map(|k| format!("{} {k}", group(l.decision(k))))
        .collect();
    if !security.is_empty() {
        flags.push(Flag {
            kind: "security",
            text: format!(
                "SECURITY: the service allowed requests the model quarantines or blocks ({}): see decisions.csv",
                security.join(", ")
            ),
        });
    }
    let other: Vec<String> = crate::load::decisions::KINDS
        .iter()
        .map(|k| k.0)
        .filter(|k| !crate::load::decisions::SECURITY.contains(k) && !crate::load::decisions::NOT_FINDINGS.contains(k))
        .filter(|k| l.decision(k) > 0)
        .map(|k| format!("{} {k}", group(l.decision(k))))
        .collect();
    if !other.is_empty() {
        flags.push(Flag {
            kind: "decisions",
            text: format!("decisions disagreed with the model: {}", other.join(", ")),
        });
    }
    if let Some(k) = m.target_speedup
        && (k / m.speedup - 1.0).abs() > 0.05
    {
        flags.push(Flag {
            kind: "clock",
            text: format!(
                "the target's clock ran {k:.0} times wall time and the load {:.0} times: timeouts could not line up",
                m.speedup
            ),
        });
    }
    flags
}

/// The sentence when there is no red flag.
pub fn all_clear(r: &Results) -> String {
    let top = r
        .merged_pools()
        .filter(|p| p.pool != "all")
        .map(|p| p.utilization)
        .fold(0.0, f64::max);
    format!(
        "no red flags: utilization at most {:.0} %, no rejections, everyone synced by the horizon",
        top * 100.0
    )
}

/// A share as a percentage that never reads 0 when it is not.
pub fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.0001 {
        "< 0.01 %".into()
    } else if share < 0.1 {
        format!("{:.2} %", share * 100.0)
    } else {
        format!("{:.1} %", share * 100.0)
    }
}
