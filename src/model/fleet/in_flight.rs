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
//!
//! The draws are thinned: a leaving connection does not draw once per
//! request in flight (about 30 in a pool of 200 servers), but skips along
//! them with geometric steps at rate 1 / `bound`, where `bound` is at most
//! every request's count of candidates, and accepts a request the skip
//! lands on with probability `bound` / its candidates. Each request is then
//! the leaver's with probability 1 / its candidates, independently, as
//! one draw each would give; a leave costs one draw, not thirty. The bound:
//! a request's candidates are its class's members at arrival less those
//! ruled out since, who left; so at least the members now less the joins
//! since it arrived, and less the joins since the oldest request kept.

use super::*;

/// A quiet request that may outlive a change.
#[derive(Clone, Copy, Debug)]
pub(super) struct InFlight {
    arrival: SimTime,
    /// Its completion; `SimTime::ZERO` once it has become a member's own.
    done: SimTime,
    /// Members of its class it may still be from.
    candidates: u64,
    /// `Quiet::joins` when it arrived.
    joins: u32,
    /// Its class (1: active).
    class: u8,
}

/// The quiet requests kept, oldest first, in a ring. Keeping is on the hot
/// path of quiet polls, where whether a request may outlive the next event
/// is a coin toss to the branch predictor: so the slot after the last is
/// always written, and the ring grows over it only if the request is kept.
#[derive(Debug)]
pub(super) struct Kept {
    /// A power of two long, with a slot to spare.
    slots: Vec<InFlight>,
    /// Positions (not wrapped) of the oldest request and past the newest.
    head: usize,
    tail: usize,
}

impl Default for Kept {
    fn default() -> Self {
        let free = InFlight {
            arrival: SimTime::ZERO,
            done: SimTime::ZERO,
            candidates: 0,
            joins: 0,
            class: 0,
        };
        Kept {
            slots: vec![free; 64],
            head: 0,
            tail: 0,
        }
    }
}

impl Kept {
    fn len(&self) -> usize {
        self.tail - self.head
    }

    fn is_empty(&self) -> bool {
        self.tail == self.head
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The `i`-th oldest request.
    fn get(&self, i: usize) -> &InFlight {
        &self.slots[(self.head + i) & self.mask()]
    }

    fn get_mut(&mut self, i: usize) -> &mut InFlight {
        let m = self.mask();
        &mut self.slots[(self.head + i) & m]
    }

    fn front(&self) -> Option<&InFlight> {
        (!self.is_empty()).then(|| self.get(0))
    }

    /// Forgets the requests done by `t` at the front.
    fn forget_done(&mut self, t: SimTime) {
        while self.front().is_some_and(|r| r.done <= t) {
            self.head += 1;
        }
    }

    /// Writes `r` after the newest, and keeps it if `keep`. The oldest is
    /// forgotten if done by `r`'s arrival: one at most, for no loop on the
    /// hot path; the ones it leaves are skipped by the scans and tidied
    /// away at each bucket's end.
    #[inline]
    fn push(&mut self, r: InFlight, keep: bool) {
        if self.len() + 1 >= self.slots.len() {
            self.grow();
        }
        let m = self.mask();
        self.head += (!self.is_empty() && self.slots[self.head & m].done <= r.arrival) as usize;
        self.slots[self.tail & m] = r;
        self.tail += keep as usize;
    }

    #[cold]
    fn grow(&mut self) {
        let mut slots = Vec::with_capacity(self.slots.len() * 2);
        slots.extend((0..self.len()).map(|i| *self.get(i)));
        slots.resize(self.slots.len() * 2, self.slots[0]);
        (self.slots, self.head, self.tail) = (slots, 0, self.len());
    }

    /// Keeps only the requests not done by `t`, in order.
    fn retain_after(&mut self, t: SimTime) {
        let mut kept = self.head;
        for i in self.head..self.tail {
            let m = self.mask();
            let r = self.slots[i & m];
            if r.done > t {
                self.slots[kept & m] = r;
                kept += 1;
            }
        }
        self.tail = kept;
    }
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
        let r = InFlight {
            arrival,
            done,
            candidates: self.quiet.count[1][class],
            joins: self.quiet.joins,
            class: class as u8,
        };
        self.in_flight.push(r, done > next_event);
    }

    /// A quiet connection of `device`'s `slot`, in `class`, leaves its class
    /// now (before its state changes): the requests in flight that were its
    /// own become so, and are judged when they complete if the connection
    /// `goes_on` (otherwise they cannot sync).
    pub(super) fn claim_in_flight(&mut self, device: u32, tenant: u32, slot: usize, class: usize, goes_on: bool) {
        let now = self.now;
        self.in_flight.forget_done(now);
        let Some(oldest) = self.in_flight.front() else { return };
        // At most any request's candidates (the module's comment), at least 1.
        let joined_since = self.quiet.joins.wrapping_sub(oldest.joins) as u64;
        let mut thinning = Thinning::new(self.quiet.count[1][class].saturating_sub(joined_since).max(1));
        // Looked up at the first request of the class still in flight.
        let mut member_since: Option<SimTime> = None;
        let (width, buckets) = (self.sc.bucket, self.series.len());
        for i in 0..self.in_flight.len() {
            let r = *self.in_flight.get(i);
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
            if !thinning.is_leavers(r.candidates, &mut self.rng) {
                self.in_flight.get_mut(i).candidates -= 1;
                continue;
            }
            self.in_flight.get_mut(i).done = SimTime::ZERO;
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
        self.in_flight.retain_after(now);
        self.forget_joins();
    }
}

/// One leave's decisions, request by request, thinned (the module's
/// comment): steps at rate 1 / `bound` over the candidate requests, each
/// landing accepted with probability `bound` / the request's candidates.
struct Thinning {
    bound: u64,
    /// Requests still to skip, drawn at the first that needs it.
    skip: Option<u64>,
}

impl Thinning {
    fn new(bound: u64) -> Thinning {
        debug_assert!(bound >= 1);
        Thinning { bound, skip: None }
    }

    /// Whether the next candidate request, from one of `candidates`
    /// connections (at least the bound), is the leaver's: probability
    /// 1 / `candidates`, independently of the other requests.
    #[inline]
    fn is_leavers(&mut self, candidates: u64, rng: &mut impl Rng) -> bool {
        debug_assert!(
            candidates >= self.bound,
            "{candidates} candidates under the bound {}",
            self.bound
        );
        let bound = self.bound;
        let steps = self.skip.get_or_insert_with(|| geometric(rng, bound));
        if *steps > 0 {
            *steps -= 1;
            return false;
        }
        // A step landed here: the next one is drawn afresh.
        self.skip = None;
        candidates <= self.bound || rng.gen_range(0..candidates) < self.bound
    }
}

/// Failures before the first success of trials that each succeed with
/// probability 1 / `bound`.
fn geometric(rng: &mut impl Rng, bound: u64) -> u64 {
    if bound == 1 {
        return 0;
    }
    let u: f64 = 1.0 - rng.r#gen::<f64>(); // in (0, 1]
    // With miss = 1 - 1 / bound, P(steps >= k) = P(u <= miss^k) = miss^k;
    // a huge count saturates.
    (u.ln() / (-1.0 / bound as f64).ln_1p()) as u64
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    /// Thinned, each request is the leaver's with probability 1 / its
    /// candidates, independently of the others: per request and for a
    /// pair, over 400,000 leaves, within 4.5 binomial standard errors.
    #[test]
    fn thinned_claims_have_the_probabilities_of_one_draw_each() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let candidates = [3u64, 4, 7, 3, 12, 5];
        let trials = 400_000u64;
        let (mut claims, mut both) = ([0u64; 6], 0u64);
        for _ in 0..trials {
            let mut thinning = Thinning::new(3);
            let hits: Vec<bool> = candidates.iter().map(|&c| thinning.is_leavers(c, &mut rng)).collect();
            for (n, &h) in claims.iter_mut().zip(&hits) {
                *n += h as u64;
            }
            both += (hits[0] && hits[3]) as u64;
        }
        let within = |count: u64, p: f64, what: &str| {
            let n = trials as f64;
            let sd = (n * p * (1.0 - p)).sqrt();
            assert!(
                (count as f64 - n * p).abs() < 4.5 * sd,
                "{what}: {count} against {:.0}",
                n * p
            );
        };
        for (i, (&c, &n)) in candidates.iter().zip(&claims).enumerate() {
            within(n, 1.0 / c as f64, &format!("request {i} of {c} candidates"));
        }
        within(both, 1.0 / 9.0, "requests 0 and 3 together");
    }

    /// With a bound of 1 every step lands, and a request of one candidate
    /// is always the leaver's.
    #[test]
    fn a_single_candidate_is_always_the_leavers() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut thinning = Thinning::new(1);
        assert!((0..1000).all(|_| thinning.is_leavers(1, &mut rng)));
    }

    /// The ring keeps what a plain queue keeps, in order, through growth,
    /// the at-most-one forgetting on each push, and tidying.
    #[test]
    fn the_ring_keeps_the_requests_a_queue_keeps() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (mut ring, mut model) = (Kept::default(), VecDeque::new());
        let mut now = 0u64;
        for step in 0..200_000u64 {
            now += rng.gen_range(0..3);
            let done = now + rng.gen_range(1..400);
            let keep = rng.gen_bool(0.4);
            let r = InFlight {
                arrival: SimTime(now),
                done: SimTime(done),
                candidates: step,
                joins: 0,
                class: 0,
            };
            ring.push(r, keep);
            if keep {
                model.push_back(r);
            }
            if step % 5_000 == 0 {
                ring.retain_after(SimTime(now));
            }
            if step % 7 == 0 {
                ring.forget_done(SimTime(now));
            }
            // What is still in flight, in order, is the same.
            if step % 997 == 0 {
                let live = |rs: Vec<InFlight>| -> Vec<u64> {
                    rs.into_iter()
                        .filter(|r| r.done.0 > now)
                        .map(|r| r.candidates)
                        .collect()
                };
                let got = live((0..ring.len()).map(|i| *ring.get(i)).collect());
                assert_eq!(got, live(model.iter().copied().collect()), "step {step}");
                assert!(ring.len() < 2_000, "the ring holds {} requests", ring.len());
            }
        }
    }
}
