//! Quiet requests still waiting or in service when a connection leaves its
//! class. A quiet poll names no connection: it is evaluated for "a member
//! of its class", and it syncs if that class is active. That is exact
//! unless the member's state changes before the evaluation completes, for
//! the evaluation's answer is the state when it completes (SPEC §1; the
//! per-connection engine's `EvalDone`).
//!
//! So each quiet request whose completion comes after the next event (only
//! such a request can outlive a change) is kept here with the number of
//! members its class had when it arrived. Its connection is any one of
//! them with equal probability, independently of everything else (the
//! marks of a superposition of equal Poisson streams). When a member
//! leaves the class while the request is in flight, the request is that
//! member's with probability 1 / (members not yet ruled out); if so, it
//! becomes the member's own (`EvalDone`), judged when it completes, and its
//! anonymous sync is taken back; if not, one more member is ruled out.
//! Only members of the class when the request arrived are candidates: a
//! connection that joined later (its join is kept here for as long as a
//! request from before it can be in flight), or whose tenant was not
//! managed then, is not.

use super::*;

/// A quiet request that may outlive a change.
#[derive(Clone, Copy, Debug)]
pub(super) struct InFlight {
    arrival: SimTime,
    /// Its completion; `SimTime::ZERO` once it has become a member's own.
    done: SimTime,
    /// Members of its class it may still be from.
    candidates: u64,
    /// Its class (1: active).
    class: u8,
}

/// The key of a connection in `FleetSim::joined`.
pub(super) fn connection_key(device: u32, slot: usize) -> u64 {
    (device as u64) << 1 | slot as u64
}

impl<'a> FleetSim<'a> {
    /// Keeps a quiet request served at `done` if a change could come before
    /// then (the next event is before `done`).
    #[inline]
    pub(super) fn keep_in_flight(&mut self, arrival: SimTime, done: SimTime, next_event: SimTime, class: usize) {
        if done <= next_event {
            return;
        }
        while self.in_flight.front().is_some_and(|r| r.done <= arrival) {
            self.in_flight.pop_front();
        }
        self.in_flight.push_back(InFlight {
            arrival,
            done,
            candidates: self.quiet.count[1][class],
            class: class as u8,
        });
    }

    /// A quiet connection of `device`'s `slot`, in `class`, leaves its class
    /// now (before its state changes): the requests in flight that were its
    /// own become so, and are judged when they complete if the connection
    /// `goes_on` (otherwise they cannot sync).
    pub(super) fn claim_in_flight(&mut self, device: u32, tenant: u32, slot: usize, class: usize, goes_on: bool) {
        let now = self.now;
        while self.in_flight.front().is_some_and(|r| r.done <= now) {
            self.in_flight.pop_front();
        }
        // Looked up at the first request of the class still in flight.
        let mut member_since: Option<SimTime> = None;
        let (width, buckets) = (self.sc.bucket, self.series.len());
        for i in 0..self.in_flight.len() {
            let r = self.in_flight[i];
            if r.done <= now || r.class as usize != class {
                continue;
            }
            let joined = *member_since.get_or_insert_with(|| {
                let joined = self.joined.get(&connection_key(device, slot)).copied();
                joined.unwrap_or(SimTime::ZERO)
            });
            if r.arrival < joined || !self.tenants[tenant as usize].managed_at(r.arrival) {
                continue;
            }
            debug_assert!(r.candidates >= 1);
            if self.rng.gen_range(0..r.candidates) != 0 {
                self.in_flight[i].candidates -= 1;
                continue;
            }
            self.in_flight[i].done = SimTime::ZERO;
            if class == 1 {
                self.series.syncs[bucket_of(r.done, width, buckets)] -= 1;
            }
            if goes_on {
                let generation = self.ensure_tracked(device).generation[slot];
                self.schedule_pending(
                    device,
                    r.done,
                    Event::EvalDone {
                        device,
                        slot: slot as u8,
                        generation,
                    },
                );
            }
        }
    }

    /// A connection joins its class now: requests in flight from before
    /// cannot be its own.
    pub(super) fn note_join(&mut self, device: u32, slot: usize) {
        if !self.in_flight.is_empty() {
            self.forget_joins();
            let key = connection_key(device, slot);
            self.joined.insert(key, self.now);
            self.join_order.push_back((self.now, key));
        }
    }

    /// Forgets joins at or before the earliest arrival still kept: no
    /// request in flight can have arrived before them, so they rule none
    /// out. Done as joins come, so that the map holds the joins of the last
    /// few milliseconds, not of a whole time bucket (millions, at 100 M
    /// connections, each lookup a cache miss).
    fn forget_joins(&mut self) {
        let oldest = self.in_flight.front().map_or(self.now, |r| r.arrival);
        while let Some(&(t, key)) = self.join_order.front() {
            if t > oldest {
                break;
            }
            self.join_order.pop_front();
            // A later join of the same connection is still needed.
            if self.joined.get(&key) == Some(&t) {
                self.joined.remove(&key);
            }
        }
    }

    /// Forgets what no request in flight can need: the ones completed, and
    /// joins from before the earliest arrival still in flight.
    pub(super) fn tidy_in_flight(&mut self) {
        let now = self.now;
        self.in_flight.retain(|r| r.done > now);
        self.forget_joins();
    }
}

impl Tenant {
    /// Whether the tenant was managed at `t` (the switches are few).
    pub(super) fn managed_at(&self, t: SimTime) -> bool {
        if self.last_managed_switch <= t {
            return self.managed();
        }
        let later = self.managed_switches.iter().rev().take_while(|&&s| s > t).count();
        self.managed() ^ (later % 2 == 1)
    }
}
