//! Decisions checked: every answer of the service compared with the
//! model's decision for the same request, and each disagreement named.
//!
//! A disagreement is one of, checked in this order:
//! - `after_failed_call`: an earlier call that changed the device's or the
//!   tenant's state failed (an error, a 503, a drop), so the service cannot
//!   know what the model did;
//! - `raced`: the model changed the connection's state while the request
//!   was in flight, or within [`RACE_MARGIN`] of wall time either side of
//!   it. The model decides at the instant the request is sent; the service
//!   decides when it evaluates, after the network and its queue, and the
//!   control calls that carry state changes travel on other connections, so
//!   either may see the change first. The window is the request's own
//!   flight (intended send to answer) widened by the margin, converted to
//!   simulated time (× `--speedup`);
//! - `timeout_from_request`: the service released a new connection 24 h
//!   after its activation or re-add request, the model 24 h after the
//!   prompt email arrived (`mail_delivery` later, SPEC §1). The wire carries
//!   no arrival time for a new connection's email, so any service ends
//!   these quarantines up to `mail_delivery` early;
//! - `<service>_but_<model>`, e.g. `allowed_but_quarantined`: a wrong
//!   decision. The service allowing what the model quarantines or blocks is
//!   a **security finding** (a device syncs mail it must not);
//! - `prompt_differs`: the decision agrees, but the service did or did not
//!   send a prompt email where the model did the opposite.

use crate::engine::SimTime;
use crate::model::decide::Access;
use crate::model::sim::PROMPT_TIMEOUT;
use std::time::Duration;

/// Wall time either side of a request's flight within which a state change
/// of its connection makes a disagreement a race.
pub const RACE_MARGIN: Duration = Duration::from_millis(5);

/// One answer that disagreed with the model, before classification.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mismatch {
    /// The connection (see `schedule::Ids::key`).
    pub key: u64,
    /// The tenant's id on the wire.
    pub tenant: u64,
    /// The device's id on the wire.
    pub device: u64,
    /// When the request was meant to go out (wall).
    pub intended: std::time::Instant,
    /// When the model sent the request (simulated).
    pub at: SimTime,
    /// From intended send to answer (wall).
    pub flight: Duration,
    /// What the service said.
    pub service: Access,
    /// What the model says.
    pub model: Access,
    /// Whether only the prompt flag differs.
    pub prompt_only: bool,
    /// For a connection quarantined since its own activation or re-add: when.
    pub new_since: Option<SimTime>,
    /// An earlier state-changing call for this device or tenant had failed.
    pub after_failure: bool,
    /// A call changing this device or tenant, meant to go out before the
    /// answer, was answered only after the request was meant to go out: the
    /// service may have evaluated before it knew (see [`behind`]).
    pub service_behind: bool,
}

/// Whether the service may not yet have known of a change the model had
/// made when it evaluated `m`: a call about the same device or tenant meant
/// to go out before `m` was answered (the model's instant) whose own answer
/// came after `m` was meant to go out, both within [`RACE_MARGIN`]. On time
/// this is the race of the request's flight; when the generator runs late,
/// it is a control call that waited for a connection while polls went
/// ahead on others.
pub fn behind(m: &Mismatch, c: &crate::load::record::ChangeCall) -> bool {
    let same_call = c.device == Some(m.device) && c.intended == m.intended;
    let about = c.device.map_or(c.tenant == m.tenant, |d| d == m.device);
    about && !same_call && c.intended <= m.intended + m.flight + RACE_MARGIN && c.answered + RACE_MARGIN >= m.intended
}

/// The kinds of disagreement, in report order, with what each means.
pub const KINDS: [(&str, &str); 10] = [
    (
        "allowed_but_quarantined",
        "SECURITY: the service let a quarantined connection sync",
    ),
    (
        "allowed_but_blocked",
        "SECURITY: the service let a blocked (outlook-only) connection sync",
    ),
    (
        "quarantined_but_allowed",
        "the service quarantined a connection the model allows",
    ),
    (
        "quarantined_but_blocked",
        "the service quarantined a blocked connection",
    ),
    (
        "blocked_but_allowed",
        "the service blocked a connection the model allows",
    ),
    (
        "blocked_but_quarantined",
        "the service blocked a quarantined connection",
    ),
    (
        "prompt_differs",
        "same decision, but a prompt email sent where the model sends none, or the reverse",
    ),
    (
        "raced",
        "the model changed the connection's state while the request was in flight, or the call carrying a change was answered only after it was sent (± 5 ms): not a finding",
    ),
    (
        "timeout_from_request",
        "the service timed a new connection's 24 h from its request, the model from the email's arrival: not a finding",
    ),
    (
        "after_failed_call",
        "an earlier call changing this device or tenant failed, so the service could not know: not a finding",
    ),
];

/// Kinds that are security findings.
pub const SECURITY: [&str; 2] = ["allowed_but_quarantined", "allowed_but_blocked"];
/// Kinds that are not findings at all.
pub const NOT_FINDINGS: [&str; 3] = ["raced", "timeout_from_request", "after_failed_call"];

fn verb(a: Access) -> &'static str {
    match a {
        Access::Allow => "allowed",
        Access::Quarantine => "quarantined",
        Access::Block => "blocked",
    }
}

/// Decisions compared, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecisionCounts {
    /// Answers compared.
    pub compared: u64,
    /// Equal to the model's.
    pub matched: u64,
    /// Disagreements per kind of [`KINDS`], in that order.
    pub kinds: [u64; KINDS.len()],
}

impl DecisionCounts {
    /// The count of one kind.
    pub fn of(&self, kind: &str) -> u64 {
        KINDS.iter().position(|k| k.0 == kind).map_or(0, |i| self.kinds[i])
    }

    /// Disagreements that are findings (everything but races, the
    /// timeout difference and consequences of failed calls).
    pub fn findings(&self) -> u64 {
        KINDS
            .iter()
            .zip(self.kinds)
            .filter(|(k, _)| !NOT_FINDINGS.contains(&k.0))
            .map(|(_, n)| n)
            .sum()
    }

    /// Security findings.
    pub fn security(&self) -> u64 {
        SECURITY.iter().map(|k| self.of(k)).sum()
    }
}

/// Classifies every disagreement. `transitions` are the model's state
/// changes of connections, `(key, instant)`, in any order.
pub fn classify(
    compared: u64,
    matched: u64,
    mismatches: &[Mismatch],
    mut transitions: Vec<(u64, SimTime)>,
    speedup: f64,
) -> DecisionCounts {
    transitions.sort_unstable();
    let sim = |d: Duration| SimTime((d.as_secs_f64() * 1e6 * speedup) as u64);
    let mut counts = DecisionCounts {
        compared,
        matched,
        ..Default::default()
    };
    let margin = sim(RACE_MARGIN);
    for m in mismatches {
        let lo = m.at - margin;
        let hi = m.at.after(sim(m.flight)).after(margin);
        let first = transitions.partition_point(|&(k, t)| (k, t) < (m.key, lo));
        let raced = transitions.get(first).is_some_and(|&(k, t)| k == m.key && t <= hi);
        let kind = if m.after_failure {
            "after_failed_call".to_string()
        } else if raced || m.service_behind {
            "raced".to_string()
        } else if m.service == Access::Allow
            && m.model == Access::Quarantine
            && m.new_since.is_some_and(|t0| hi >= t0.after(PROMPT_TIMEOUT))
        {
            "timeout_from_request".to_string()
        } else if m.prompt_only {
            "prompt_differs".to_string()
        } else {
            format!("{}_but_{}", verb(m.service), verb(m.model))
        };
        if let Some(i) = KINDS.iter().position(|k| k.0 == kind) {
            counts.kinds[i] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(at: u64, service: Access, model: Access) -> Mismatch {
        Mismatch {
            key: 7,
            tenant: 1,
            device: 3,
            intended: std::time::Instant::now(),
            service_behind: false,
            at: SimTime(at),
            flight: Duration::from_millis(10),
            service,
            model,
            prompt_only: false,
            new_since: None,
            after_failure: false,
        }
    }

    #[test]
    fn a_state_change_during_the_flight_is_a_race() {
        // Speed-up 1000: 10 ms of flight is 10 s simulated, the margin 5 s.
        let transitions = vec![(7, SimTime(100_000_000)), (8, SimTime(0))];
        let cases = [
            (100_000_000 - 16_000_000, "allowed_but_quarantined"), // ends 1 s too early
            (100_000_000 - 14_000_000, "raced"),                   // inside flight + margin
            (100_000_000 + 4_000_000, "raced"),                    // just after, within the margin
            (100_000_000 + 6_000_000, "allowed_but_quarantined"),
        ];
        for (at, kind) in cases {
            let c = classify(
                1,
                0,
                &[m(at, Access::Allow, Access::Quarantine)],
                transitions.clone(),
                1000.0,
            );
            assert_eq!(c.of(kind), 1, "{at}: {c:?}");
        }
    }

    #[test]
    fn kinds_are_named_and_security_findings_counted() {
        let mut timeout = m(0, Access::Allow, Access::Quarantine);
        timeout.at = SimTime::DAY;
        timeout.new_since = Some(SimTime(0));
        let mut failed = m(0, Access::Allow, Access::Block);
        failed.after_failure = true;
        let mut prompt = m(0, Access::Quarantine, Access::Quarantine);
        prompt.prompt_only = true;
        let c = classify(
            10,
            5,
            &[
                m(0, Access::Allow, Access::Block),
                m(0, Access::Block, Access::Allow),
                timeout,
                failed,
                prompt,
            ],
            Vec::new(),
            1.0,
        );
        assert_eq!(c.of("allowed_but_blocked"), 1);
        assert_eq!(c.of("blocked_but_allowed"), 1);
        assert_eq!(c.of("timeout_from_request"), 1);
        assert_eq!(c.of("after_failed_call"), 1);
        assert_eq!(c.of("prompt_differs"), 1);
        assert_eq!((c.security(), c.findings()), (1, 3));
    }

    #[test]
    fn a_change_answered_after_the_request_went_out_makes_it_a_race() {
        use crate::load::record::ChangeCall;
        let mut x = m(0, Access::Allow, Access::Quarantine);
        x.flight = Duration::from_millis(10);
        let t = x.intended;
        let ms = Duration::from_millis;
        let change = |device, intended, answered| ChangeCall {
            device,
            tenant: 1,
            intended,
            answered,
        };
        // The prompt was meant 1 s earlier but answered 100 ms after the poll went out.
        assert!(behind(&x, &change(Some(3), t - ms(1000), t + ms(100))));
        // Answered a second before the poll: the service knew.
        assert!(!behind(&x, &change(Some(3), t - ms(1100), t - ms(1000))));
        // Meant after the poll was answered: the model had not changed yet either.
        assert!(!behind(&x, &change(Some(3), t + ms(100), t + ms(110))));
        // Another device; and the request itself.
        assert!(!behind(&x, &change(Some(4), t - ms(1000), t + ms(100))));
        assert!(!behind(&x, &change(Some(3), t, t + ms(10))));
        // The tenant's policy call, late.
        assert!(behind(&x, &change(None, t - ms(1000), t + ms(2))));
        // Classified as raced, not a security finding.
        x.service_behind = true;
        let c = classify(1, 0, &[x], Vec::new(), 600.0);
        assert_eq!((c.of("raced"), c.security()), (1, 0));
    }
}
