//! What the sender measured: counts by outcome, latency from the intended
//! send time and send lag (HdrHistogram, microseconds), per time bucket of
//! the simulated clock, and the decisions compared. Every part has a
//! `merge`, so that per-thread recorders combine exactly.

use super::decisions::Mismatch;
use super::schedule::bucket_histogram;
use hdrhistogram::Histogram;
use std::time::Duration;

/// A send lag above this counts the request as `late`: the schedule was
/// not kept (wrk2's and the bar for an open-loop generator).
pub const LATE: Duration = Duration::from_millis(1);

/// Longest latency recorded exactly; longer ones are recorded as this.
const MAX_US: u64 = 3_600_000_000;

/// Latency or lag histogram: 1 µs to an hour, three significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

/// How calls ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls put on a connection.
    pub sent: u64,
    /// Answered 2xx (with a readable decision, where one is expected).
    pub ok: u64,
    /// Answered 503: the service rejected the request (queue timeout).
    pub rejected: u64,
    /// No connection could be opened, or it broke before the answer.
    pub err_connect: u64,
    /// No answer within `--timeout`.
    pub err_timeout: u64,
    /// Answered with another status.
    pub err_status: u64,
    /// Answered 2xx with a body the decision could not be read from.
    pub err_body: u64,
    /// Not sent: `--max-in-flight` calls were already outstanding.
    pub dropped: u64,
    /// Sent more than [`LATE`] after their intended instant.
    pub late: u64,
}

impl Counts {
    /// Adds another count.
    pub fn merge(&mut self, o: &Counts) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.rejected += o.rejected;
        self.err_connect += o.err_connect;
        self.err_timeout += o.err_timeout;
        self.err_status += o.err_status;
        self.err_body += o.err_body;
        self.dropped += o.dropped;
        self.late += o.late;
    }

    /// Errors of every kind (not rejections, not drops).
    pub fn errors(&self) -> u64 {
        self.err_connect + self.err_timeout + self.err_status + self.err_body
    }
}

/// Measurements of one kind of call (evaluations, or control calls).
#[derive(Clone, Debug)]
pub struct Measured {
    /// How the calls ended.
    pub counts: Counts,
    /// From intended send to the end of the answer, of calls answered
    /// (2xx or 503), microseconds.
    pub latency: Histogram<u64>,
    /// Exact sum of those latencies, microseconds.
    pub latency_sum_us: u128,
    /// From intended send to being put on a connection, of calls sent.
    pub lag: Histogram<u64>,
}

impl Default for Measured {
    fn default() -> Self {
        Measured {
            counts: Counts::default(),
            latency: latency_histogram(),
            latency_sum_us: 0,
            lag: latency_histogram(),
        }
    }
}

impl Measured {
    /// Adds another measurement.
    pub fn merge(&mut self, o: &Measured) {
        self.counts.merge(&o.counts);
        self.latency.add(&o.latency).expect("same bounds");
        self.latency_sum_us += o.latency_sum_us;
        self.lag.add(&o.lag).expect("same bounds");
    }

    /// Mean latency in microseconds, if anything was answered.
    pub fn latency_mean_us(&self) -> Option<f64> {
        let n = self.latency.len();
        (n > 0).then(|| self.latency_sum_us as f64 / n as f64)
    }
}

/// One bucket of the simulated clock (evaluations only, but `control`).
#[derive(Clone, Debug, Default)]
pub struct Bucket {
    /// Evaluations sent.
    pub sent: u64,
    /// Evaluations answered 2xx.
    pub ok: u64,
    /// Evaluations rejected (503) or failed.
    pub errors: u64,
    /// Evaluations dropped at `--max-in-flight`, or unsent when the load ended.
    pub dropped: u64,
    /// Control calls sent.
    pub control: u64,
    /// Latency of answered evaluations (allocated when first used).
    pub latency: Option<Histogram<u64>>,
    /// Send lag of evaluations sent.
    pub lag: Option<Histogram<u64>>,
}

impl Bucket {
    fn merge(&mut self, o: &Bucket) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.errors += o.errors;
        self.dropped += o.dropped;
        self.control += o.control;
        for (mine, theirs) in [(&mut self.latency, &o.latency), (&mut self.lag, &o.lag)] {
            if let Some(h) = theirs {
                mine.get_or_insert_with(bucket_histogram).add(h).expect("same bounds");
            }
        }
    }
}

/// Decisions compared against the model.
#[derive(Clone, Debug, Default)]
pub struct DecisionLog {
    /// Answers compared (evaluations with a model decision, answered 2xx).
    pub compared: u64,
    /// Of those, equal to the model's.
    pub matched: u64,
    /// The others, to be classified at the end (races need the whole timeline).
    pub mismatches: Vec<Mismatch>,
}

impl DecisionLog {
    fn merge(&mut self, o: &DecisionLog) {
        self.compared += o.compared;
        self.matched += o.matched;
        self.mismatches.extend_from_slice(&o.mismatches);
    }
}

/// A call that changed what the service knows, with its wall instants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChangeCall {
    /// The device it is about; `None` for a tenant's policy.
    pub device: Option<u64>,
    /// The tenant it is about.
    pub tenant: u64,
    /// When the schedule meant it to be sent.
    pub intended: std::time::Instant,
    /// When its answer came (or it failed).
    pub answered: std::time::Instant,
}

/// Everything one sender thread measured.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Evaluations.
    pub evaluations: Measured,
    /// Policy, prompt and choice calls.
    pub control: Measured,
    /// Per bucket of the simulated clock.
    pub buckets: Vec<Bucket>,
    /// Decisions.
    pub decisions: DecisionLog,
    /// Devices and tenants a state-changing call failed for: the service
    /// may not know what the model did to them.
    pub failed_devices: std::collections::HashSet<u64>,
    /// Tenants whose policy call failed.
    pub failed_tenants: std::collections::HashSet<u64>,
    /// Every state-changing call answered: when the service can have
    /// learned of the change, for telling races from wrong decisions.
    pub changes: Vec<ChangeCall>,
    /// From intended instant to the dispatcher handing the call on: the
    /// generator's own lag, without waiting for a free connection.
    pub dispatch_lag: Option<Histogram<u64>>,
}

impl Recorder {
    /// An empty recorder for `buckets` buckets.
    pub fn new(buckets: usize) -> Recorder {
        Recorder {
            evaluations: Measured::default(),
            control: Measured::default(),
            buckets: vec![Bucket::default(); buckets.max(1)],
            decisions: DecisionLog::default(),
            failed_devices: Default::default(),
            failed_tenants: Default::default(),
            changes: Vec::new(),
            dispatch_lag: None,
        }
    }

    /// The bucket of simulated instant index `b` (the last one for later instants).
    pub fn bucket(&mut self, b: usize) -> &mut Bucket {
        let last = self.buckets.len() - 1;
        &mut self.buckets[b.min(last)]
    }

    /// Adds another thread's recorder.
    pub fn merge(&mut self, o: &Recorder) {
        self.evaluations.merge(&o.evaluations);
        self.control.merge(&o.control);
        for (a, b) in self.buckets.iter_mut().zip(&o.buckets) {
            a.merge(b);
        }
        self.decisions.merge(&o.decisions);
        self.failed_devices.extend(&o.failed_devices);
        self.failed_tenants.extend(&o.failed_tenants);
        self.changes.extend_from_slice(&o.changes);
        if let Some(h) = &o.dispatch_lag {
            self.dispatch_lag
                .get_or_insert_with(latency_histogram)
                .add(h)
                .expect("same bounds");
        }
    }
}

/// Records `d` (as microseconds, at least 1) in `h`.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_micros() as u64).clamp(1, MAX_US));
}
