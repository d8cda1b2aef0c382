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
