//! Evaluator-pool load: counts, busy time, queue-length integral and the
//! wait and response distributions.

use super::{add_histogram, at_bound, duration_histogram};
use hdrhistogram::Histogram;

/// Load on one pool, or the merge of several pools or replications.
#[derive(Clone, Debug)]
pub struct PoolStats {
    /// Requests that arrived for evaluation.
    pub arrivals: u64,
    /// Evaluations completed before the horizon.
    pub served: u64,
    /// Requests rejected after waiting `queue_timeout`.
    pub rejected: u64,
    /// Server-microseconds spent evaluating (clipped at the horizon).
    pub busy_us: u128,
    /// Server-microseconds available: servers × horizon, summed over merged pools.
    pub capacity_us: u128,
    /// Integral of queue length over time (item-microseconds). By Little's
    /// law this is the sum of every request's time in the queue.
    pub queue_area: u128,
    /// Pool-microseconds observed: horizon, summed over merged pools.
    pub span_us: u128,
    /// Longest queue seen (the max over merged pools).
    pub queue_max: u64,
    /// Exact sum of waits of served requests.
    pub wait_sum_us: u128,
    /// Exact longest wait of a served request; percentiles never exceed it.
    pub wait_max_us: u64,
    /// Exact longest response of a served request.
    pub response_max_us: u64,
    /// The bound of its durations (the horizon), where `wait` and
    /// `response` clamp and which sizes them when written out (`at_bound`).
    pub bound_us: u64,
    /// Time from arrival to start of service, of served requests.
    pub wait: Histogram<u64>,
    /// Time from arrival to completion, of served requests.
    pub response: Histogram<u64>,
}

impl PoolStats {
    /// Empty stats for a pool of `servers` observed over `horizon_us`.
    pub fn new(servers: u32, horizon_us: u64) -> Self {
        PoolStats {
            arrivals: 0,
            served: 0,
            rejected: 0,
            busy_us: 0,
            capacity_us: servers as u128 * horizon_us as u128,
            queue_area: 0,
            span_us: horizon_us as u128,
            queue_max: 0,
            wait_sum_us: 0,
            wait_max_us: 0,
            response_max_us: 0,
            bound_us: horizon_us,
            wait: duration_histogram(),
            response: duration_histogram(),
        }
    }

    /// Adds another pool's or replication's stats.
    pub fn merge(&mut self, o: &PoolStats) {
        self.arrivals += o.arrivals;
        self.served += o.served;
        self.rejected += o.rejected;
        self.busy_us += o.busy_us;
        self.capacity_us += o.capacity_us;
        self.queue_area += o.queue_area;
        self.span_us += o.span_us;
        self.queue_max = self.queue_max.max(o.queue_max);
        self.wait_sum_us += o.wait_sum_us;
        self.wait_max_us = self.wait_max_us.max(o.wait_max_us);
        self.response_max_us = self.response_max_us.max(o.response_max_us);
        self.bound_us = self.bound_us.max(o.bound_us);
        add_histogram(&mut self.wait, &o.wait);
        add_histogram(&mut self.response, &o.response);
    }

    /// Waits in the layout of a histogram sized to the bound (`.hgrm` files).
    pub fn wait_at_bound(&self) -> Histogram<u64> {
        at_bound(&self.wait, self.bound_us)
    }

    /// Responses in the layout of a histogram sized to the bound.
    pub fn response_at_bound(&self) -> Histogram<u64> {
        at_bound(&self.response, self.bound_us)
    }

    /// Busy share of server time.
    pub fn utilization(&self) -> f64 {
        ratio(self.busy_us, self.capacity_us)
    }

    /// Time-weighted mean queue length (per pool, when pools are merged).
    pub fn queue_mean(&self) -> f64 {
        ratio(self.queue_area, self.span_us)
    }

    /// Exact mean wait of served requests, in microseconds.
    pub fn wait_mean_us(&self) -> f64 {
        ratio(self.wait_sum_us, self.served as u128)
    }
}

fn ratio(a: u128, b: u128) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
