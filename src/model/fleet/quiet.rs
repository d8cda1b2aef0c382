//! Quiet connections: counted by class, their polls one Poisson stream per
//! pool (managed tenants) or a Poisson count per time bucket (unmanaged).
//!
//! A class is (managed or not) × (polling at `poll_interval` or at
//! `quarantined_poll_interval`); only a class whose interval is exponential
//! is ever joined, since only then is the superposition of its members'
//! polls a Poisson process and a member's next poll memoryless.

use super::*;
use rand_distr::{Distribution, Exp1, Poisson};

/// The counts of quiet connections and the state of their streams.
pub(super) struct Quiet {
    /// Quiet connections by [managed][class] (class 1: polling at `poll_interval`).
    pub(super) count: [[u64; 2]; 2],
    /// Mean interval of each class, µs.
    pub(super) mean: [f64; 2],
    /// Whether each class's interval is exponential, so that it can be joined.
    pub(super) joinable: [bool; 2],
    /// Connection-microseconds of the unmanaged classes since the bucket began.
    area: [f64; 2],
    area_from: SimTime,
    /// When the managed stream's next poll comes (continuous µs), and
    /// whether the managed counts changed since it was drawn.
    pub(super) next_at: f64,
    pub(super) dirty: bool,
    /// Connections that have joined a managed class, ever (wrapping): what
    /// bounds the candidates of a request in flight (`in_flight.rs`).
    pub(super) joins: u32,
}

impl Quiet {
    pub(super) fn new(sc: &Scenario) -> Quiet {
        let d = &sc.devices;
        let exp = |dist: &Dist| matches!(dist, Dist::Exponential { .. });
        Quiet {
            count: [[0; 2]; 2],
            mean: [
                d.quarantined_poll_interval.mean_us().max(1.0),
                d.poll_interval.mean_us().max(1.0),
            ],
            joinable: [exp(&d.quarantined_poll_interval), exp(&d.poll_interval)],
            area: [0.0; 2],
            area_from: SimTime::ZERO,
            next_at: f64::INFINITY,
            dirty: true,
            joins: 0,
        }
    }

    /// Polls per µs of each managed class.
    #[inline]
    pub(super) fn managed_rates(&self) -> [f64; 2] {
        [
            self.count[1][0] as f64 / self.mean[0],
            self.count[1][1] as f64 / self.mean[1],
        ]
    }
}

impl<'a> FleetSim<'a> {
    /// Adds the unmanaged classes' connection-time up to `t`.
    fn advance_area(&mut self, t: SimTime) {
        let q = &mut self.quiet;
        let span = (t.0.saturating_sub(q.area_from.0)) as f64;
        q.area[0] += q.count[0][0] as f64 * span;
        q.area[1] += q.count[0][1] as f64 * span;
        q.area_from = q.area_from.max(t);
    }

    /// A connection of `state` in a tenant managed or not joins its class.
    pub(super) fn join_class(&mut self, managed: bool, state: State) {
        debug_assert!(state != State::Empty && self.quiet.joinable[state.class()]);
        if managed {
            self.quiet.dirty = true;
            self.quiet.joins = self.quiet.joins.wrapping_add(1);
        } else {
            self.advance_area(self.now);
        }
        self.quiet.count[managed as usize][state.class()] += 1;
    }

    /// A quiet connection of `state` leaves its class.
    pub(super) fn leave_class(&mut self, managed: bool, state: State) {
        if managed {
            self.quiet.dirty = true;
        } else {
            self.advance_area(self.now);
        }
        self.quiet.count[managed as usize][state.class()] -= 1;
    }

    /// Moves `n` quiet connections of class `class` between the managed and
    /// unmanaged counts (a tenant's switch).
    pub(super) fn move_class(&mut self, from_managed: bool, class: usize, n: u64) {
        if n == 0 {
            return;
        }
        self.advance_area(self.now);
        self.quiet.dirty = true;
        self.quiet.count[from_managed as usize][class] -= n;
        self.quiet.count[!from_managed as usize][class] += n;
        if !from_managed {
            self.quiet.joins = self.quiet.joins.wrapping_add(n as u32);
        }
    }

    /// Redraws the managed stream's next poll from now, at the current
    /// rate: exact, since the stream is memoryless.
    pub(super) fn redraw_quiet(&mut self) {
        let [a, b] = self.quiet.managed_rates();
        let rate = a + b;
        self.quiet.dirty = false;
        self.quiet.next_at = if rate > 0.0 {
            let e: f64 = Exp1.sample(&mut self.rng);
            self.now.0 as f64 + e / rate
        } else {
            f64::INFINITY
        };
    }

    /// Evaluates every quiet poll of managed tenants before `limit`. The
    /// rates are constant meanwhile: nothing else happens before `limit`.
    #[inline]
    pub(super) fn quiet_polls_until(
        &mut self,
        limit: SimTime,
        next_event: SimTime,
        progress: &mut impl FnMut(SimTime, u64),
    ) {
        const REPORT_EVERY: u64 = 1 << 16;
        let limit = limit.0 as f64;
        if self.quiet.next_at >= limit {
            return;
        }
        let [held, active] = self.quiet.managed_rates();
        let rate = held + active;
        let mean_gap = 1.0 / rate;
        let p_active = active / rate;
        let all_active = held == 0.0;
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let mut at = self.quiet.next_at;
        let mut n = 0u64;
        while at < limit {
            let t = SimTime(at as u64);
            // Which class polled: in proportion to the classes' rates.
            let active = all_active || self.rng.r#gen::<f64>() < p_active;
            match self.servers.arrive(t, &mut self.rng) {
                Verdict::Served { done, wait } => {
                    let b = bucket_of(done, width, buckets);
                    if b == self.bucket {
                        self.waits.record(wait);
                    } else {
                        self.later_waits.push((b as u32, wait));
                    }
                    // The connection is quiet, so nothing happens to it while
                    // it is evaluated: it syncs if its class is active.
                    self.series.syncs[b] += active as u64;
                    self.keep_in_flight(t, done, next_event, active as usize);
                }
                Verdict::Rejected { at } => self.series.rejected[bucket_of(at, width, buckets)] += 1,
                Verdict::Unfinished => {}
            }
            n += 1;
            if (self.counters.events + n).is_multiple_of(REPORT_EVERY) {
                progress(t, self.counters.events + n);
            }
            let e: f64 = Exp1.sample(&mut self.rng);
            at += e * mean_gap;
        }
        self.quiet.next_at = at;
        self.counters.events += n;
        self.counters.requests += n;
        self.counters.evaluations += n;
        self.series.evaluations[self.bucket] += n;
    }

    /// Recounts the quiet connections device by device: the counts kept
    /// along the way must match, or the streams ran at wrong rates. Once
    /// per pool at the horizon, so cheap next to the run.
    pub(super) fn check_quiet_counts(&self) {
        let mut count = [[0u64; 2]; 2];
        for tn in &self.tenants {
            for i in 0..tn.device_count() {
                let device = tn.device(i);
                for slot in 0..2 {
                    if self.in_class(device, slot) {
                        count[tn.managed() as usize][self.slot_state(device, slot).class()] += 1;
                    }
                }
            }
        }
        assert_eq!(
            count, self.quiet.count,
            "fast engine, pool {}: quiet connections by [managed][class] do not add up",
            self.pool
        );
    }

    /// Ends the current bucket's quiet polls of unmanaged tenants: a
    /// Poisson count per class over the bucket's connection-time, each a
    /// request, and each of an active connection a sync.
    pub(super) fn count_unmanaged_polls(&mut self, end: SimTime) {
        self.advance_area(end);
        for class in 0..2 {
            let mean = self.quiet.area[class] / self.quiet.mean[class];
            self.quiet.area[class] = 0.0;
            if mean <= 0.0 {
                continue;
            }
            // A validated, finite, positive mean: construction cannot fail.
            let k = Poisson::new(mean).expect("positive mean").sample(&mut self.rng) as u64;
            self.counters.requests += k;
            if class == 1 {
                self.series.syncs[self.bucket] += k;
            }
        }
    }
}
