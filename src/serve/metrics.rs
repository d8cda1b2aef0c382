//! The service's counters and histograms, and their Prometheus text
//! exposition (format 0.0.4), written by hand: a few atomics per request
//! cost less than a metrics library's registry lookups.

use crate::model::decide::Access;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the histogram buckets, in microseconds: 50 µs to 60 s,
/// about three per decade, so both a `fixed 0` service and a queue that
/// waits 30 s fall inside.
const BOUNDS_US: [u64; 20] = [
    50,
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
];

/// A cumulative-on-output histogram of durations.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// Records one duration.
    pub fn record(&self, d: Duration) {
        let us = d.as_micros().min(u64::MAX as u128) as u64;
        let i = BOUNDS_US.partition_point(|&b| b < us);
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Durations recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// Sum of the durations recorded, in seconds.
    pub fn sum_secs(&self) -> f64 {
        self.sum_us.load(Relaxed) as f64 / 1e6
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            match BOUNDS_US.get(i) {
                Some(&us) => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {cumulative}", us as f64 / 1e6);
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
                }
            }
        }
        let _ = writeln!(out, "{name}_sum {}\n{name}_count {}", self.sum_secs(), self.count());
    }
}

/// Everything the service counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests per endpoint: evaluate, policy, choice, prompt, healthz, metrics.
    pub requests: [AtomicU64; 6],
    /// Requests answered 400.
    pub bad_requests: AtomicU64,
    /// Evaluations answered, per decision (allow, quarantine, block).
    pub decisions: [AtomicU64; 3],
    /// Prompt emails sent (activations, re-adds and wave turns).
    pub prompts: AtomicU64,
    /// Evaluations that reached the queue.
    pub arrivals: AtomicU64,
    /// Evaluations rejected after waiting the queue timeout.
    pub rejected: AtomicU64,
    /// Wait in the queue of evaluations served.
    pub wait: Histogram,
    /// Time a worker was held per evaluation (the emulated service time as
    /// actually held, plus the rules).
    pub service: Histogram,
    /// Sum of the service times drawn, in microseconds: compare with
    /// `service`'s sum to see how faithful the emulation is.
    pub drawn_us: AtomicU64,
    /// Time from arrival to answer of evaluations served.
    pub response: Histogram,
}

/// Endpoint indexes into [`Metrics::requests`].
pub mod endpoint {
    /// `POST /v1/evaluate`.
    pub const EVALUATE: usize = 0;
    /// `PUT /v1/tenants/{id}/policy`.
    pub const POLICY: usize = 1;
    /// `POST /v1/devices/{id}/choice`.
    pub const CHOICE: usize = 2;
    /// `POST /v1/devices/{id}/prompt`.
    pub const PROMPT: usize = 3;
    /// `GET /healthz`.
    pub const HEALTHZ: usize = 4;
    /// `GET /metrics`.
    pub const METRICS: usize = 5;
    /// Label values, in index order.
    pub const NAMES: [&str; 6] = ["evaluate", "policy", "choice", "prompt", "healthz", "metrics"];
}

/// Gauges read at exposition time.
#[derive(Clone, Copy, Debug)]
pub struct Gauges {
    /// Evaluations waiting for a worker.
    pub queue: usize,
    /// Workers holding an evaluation.
    pub busy: usize,
    /// Workers in the pool.
    pub workers: usize,
    /// Wall seconds since start.
    pub uptime_s: f64,
    /// Service-clock seconds since start.
    pub clock_s: f64,
}

impl Metrics {
    /// Counts one answered evaluation.
    pub fn decision(&self, access: Access, prompt: bool) {
        let i = match access {
            Access::Allow => 0,
            Access::Quarantine => 1,
            Access::Block => 2,
        };
        self.decisions[i].fetch_add(1, Relaxed);
        if prompt {
            self.prompts.fetch_add(1, Relaxed);
        }
    }

    /// Evaluations answered with `access`.
    pub fn decisions_of(&self, access: Access) -> u64 {
        let i = match access {
            Access::Allow => 0,
            Access::Quarantine => 1,
            Access::Block => 2,
        };
        self.decisions[i].load(Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self, g: Gauges) -> String {
        let mut o = String::with_capacity(8192);
        let counter = |o: &mut String, name: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        let gauge = |o: &mut String, name: &str, help: &str, v: f64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        counter(
            &mut o,
            "mailsim_http_requests_total",
            "HTTP requests received, per endpoint.",
        );
        for (i, n) in endpoint::NAMES.iter().enumerate() {
            let _ = writeln!(
                o,
                "mailsim_http_requests_total{{endpoint=\"{n}\"}} {}",
                self.requests[i].load(Relaxed)
            );
        }
        counter(&mut o, "mailsim_bad_requests_total", "Requests answered 400.");
        let _ = writeln!(o, "mailsim_bad_requests_total {}", self.bad_requests.load(Relaxed));
        counter(&mut o, "mailsim_decisions_total", "Evaluations answered, per decision.");
        for a in [Access::Allow, Access::Quarantine, Access::Block] {
            let _ = writeln!(
                o,
                "mailsim_decisions_total{{decision=\"{}\"}} {}",
                a.key(),
                self.decisions_of(a)
            );
        }
        counter(&mut o, "mailsim_prompts_total", "Prompt emails sent.");
        let _ = writeln!(o, "mailsim_prompts_total {}", self.prompts.load(Relaxed));
        counter(
            &mut o,
            "mailsim_evaluations_total",
            "Evaluations that reached the queue.",
        );
        let _ = writeln!(o, "mailsim_evaluations_total {}", self.arrivals.load(Relaxed));
        counter(
            &mut o,
            "mailsim_evaluations_rejected_total",
            "Evaluations answered 503 after waiting the queue timeout.",
        );
        let _ = writeln!(o, "mailsim_evaluations_rejected_total {}", self.rejected.load(Relaxed));
        counter(
            &mut o,
            "mailsim_service_drawn_seconds_total",
            "Sum of the service times drawn; compare with mailsim_service_seconds_sum.",
        );
        let _ = writeln!(
            o,
            "mailsim_service_drawn_seconds_total {}",
            self.drawn_us.load(Relaxed) as f64 / 1e6
        );
        gauge(
            &mut o,
            "mailsim_queue_length",
            "Evaluations waiting for a worker.",
            g.queue as f64,
        );
        gauge(
            &mut o,
            "mailsim_workers_busy",
            "Workers holding an evaluation.",
            g.busy as f64,
        );
        gauge(
            &mut o,
            "mailsim_workers",
            "Workers in the pool (--servers).",
            g.workers as f64,
        );
        gauge(
            &mut o,
            "mailsim_uptime_seconds",
            "Wall seconds since start.",
            g.uptime_s,
        );
        gauge(
            &mut o,
            "mailsim_clock_seconds",
            "The service clock (--speedup times wall time since start).",
            g.clock_s,
        );
        self.wait.write(
            &mut o,
            "mailsim_wait_seconds",
            "Time evaluations served waited in the queue.",
        );
        self.service.write(
            &mut o,
            "mailsim_service_seconds",
            "Time a worker was held per evaluation; its sum over uptime and workers is the utilization.",
        );
        self.response.write(
            &mut o,
            "mailsim_response_seconds",
            "Time from queueing to answer of evaluations served.",
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_with_inf() {
        let h = Histogram::default();
        for us in [10, 50, 51, 3_000, 500_000_000] {
            h.record(Duration::from_micros(us));
        }
        let mut o = String::new();
        h.write(&mut o, "x", "help");
        assert!(o.contains("x_bucket{le=\"0.00005\"} 2\n"), "{o}");
        assert!(o.contains("x_bucket{le=\"0.0001\"} 3\n"), "{o}");
        assert!(o.contains("x_bucket{le=\"0.005\"} 4\n"), "{o}");
        assert!(o.contains("x_bucket{le=\"120\"} 4\n"), "{o}");
        assert!(o.contains("x_bucket{le=\"+Inf\"} 5\n"), "{o}");
        assert!(o.contains("x_count 5\n"), "{o}");
    }

    #[test]
    fn exposition_has_a_type_line_for_every_family() {
        let m = Metrics::default();
        m.decision(Access::Quarantine, true);
        let text = m.render(Gauges {
            queue: 3,
            busy: 2,
            workers: 4,
            uptime_s: 1.0,
            clock_s: 1000.0,
        });
        assert!(text.contains("mailsim_decisions_total{decision=\"quarantine\"} 1\n"));
        assert!(text.contains("mailsim_queue_length 3\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let family = line.split(['{', ' ']).next().unwrap();
            let base = family
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {family} ")) || text.contains(&format!("# TYPE {base} histogram")),
                "{line}"
            );
        }
    }
}
