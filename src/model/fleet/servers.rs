//! One evaluator pool as the fast engine runs it: `servers` servers and one
//! FIFO queue, simulated by the Kiefer–Wolfowitz recursion. In a FIFO pool
//! a request's wait depends only on the requests before it, so it is known
//! the moment the request arrives: it starts when the earliest server is
//! free (or at once), and it gives up at arrival + `queue_timeout` if that
//! comes first. The pool is then a heap of `servers` free times and a short
//! queue of leave times: a few cache lines, and no completion events.
//!
//! Every statistic of `PoolStats` comes out as the per-connection engine's
//! event-driven pool (`model::evaluator`) computes it: completions before the
//! horizon are served (their waits and responses recorded), busy time is
//! clipped at the horizon, a request still waiting at the horizon counts its
//! time in the queue up to it, one giving up before it counts as rejected.

use crate::engine::SimTime;
use crate::scenario::Dist;
use crate::stats::PoolStats;
use crate::stats::hdr_counts::HdrCounts;
use rand::Rng;
use std::collections::VecDeque;

/// What becomes of a request, decided when it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Served: its evaluation completes at `done`, before the horizon, after
    /// a wait of `wait` µs in the queue.
    Served {
        /// Completion.
        done: SimTime,
        /// Time in the queue, µs.
        wait: u64,
    },
    /// Rejected: it gives up at `at` (arrival + `queue_timeout`), before the horizon.
    Rejected {
        /// The moment it gives up.
        at: SimTime,
    },
    /// Neither by the horizon: still waiting, or in service.
    Unfinished,
}

/// A pool of evaluation servers, by the Kiefer–Wolfowitz recursion.
pub struct Servers {
    /// When servers are next free: one entry per server used so far (a
    /// server without one has been free all along). Unordered while some
    /// server is free, so that a request that finds one only appends its
    /// completion (and, now and then, the entries already past are swept
    /// out); a binary min-heap while every server is busy, when the next to
    /// free up must be found at each arrival. A pool of hundreds of servers
    /// at moderate load then costs what one of two does.
    free: Vec<u64>,
    servers: usize,
    /// `free` is a heap, and how many arrivals in a row found a server free.
    heap: bool,
    free_streak: u32,
    /// When each request now waiting leaves the queue (starts, or gives
    /// up), in arrival order, which is also the order of these times.
    queued: VecDeque<u64>,
    timeout: Option<u64>,
    horizon: u64,
    service: Dist,
    /// Waits and response times of served requests, not yet in
    /// `stats.wait` and `stats.response`: counted inline, added at the end.
    waits: HdrCounts,
    responses: HdrCounts,
    /// Load statistics of this pool (without `waits` and `responses` until
    /// `into_stats`).
    pub stats: PoolStats,
}

impl Servers {
    /// An idle pool.
    pub fn new(servers: u32, service: Dist, timeout: Option<SimTime>, horizon: SimTime) -> Self {
        Servers {
            free: Vec::with_capacity(servers.max(1) as usize),
            servers: servers.max(1) as usize,
            heap: false,
            free_streak: 0,
            queued: VecDeque::new(),
            timeout: timeout.map(|t| t.0),
            horizon: horizon.0,
            service,
            waits: HdrCounts::new(horizon.0),
            responses: HdrCounts::new(horizon.0),
            stats: PoolStats::new(servers, horizon.0),
        }
    }

    /// A request arrives at `a` (requests arrive in time order).
    #[inline]
    pub fn arrive<R: Rng>(&mut self, a: SimTime, rng: &mut R) -> Verdict {
        let (a, h) = (a.0, self.horizon);
        self.stats.arrivals += 1;
        let first_free = self.first_free(a);
        let start = if first_free <= a {
            // A server is free, so nobody waits: every queued request left
            // by the time the earliest server became free.
            self.queued.clear();
            a
        } else {
            while self.queued.front().is_some_and(|&leave| leave <= a) {
                self.queued.pop_front();
            }
            if let Some(t) = self.timeout
                && first_free - a >= t
            {
                // No server frees up before the request gives up.
                let at = a + t;
                self.queued.push_back(at);
                self.stats.queue_max = self.stats.queue_max.max(self.queued.len() as u64);
                if at < h {
                    self.stats.rejected += 1;
                    self.stats.queue_area += t as u128;
                    return Verdict::Rejected { at: SimTime(at) };
                }
                self.stats.queue_area += (h - a) as u128;
                return Verdict::Unfinished;
            }
            self.queued.push_back(first_free);
            self.stats.queue_max = self.stats.queue_max.max(self.queued.len() as u64);
            if first_free >= h {
                self.stats.queue_area += (h - a) as u128;
                return Verdict::Unfinished;
            }
            self.stats.queue_area += (first_free - a) as u128;
            first_free
        };
        let done = start + self.service.sample_fast(rng).0;
        if self.heap {
            self.replace_first(done);
        } else {
            self.free.push(done);
        }
        self.stats.busy_us += (done.min(h) - start) as u128;
        if done >= h {
            return Verdict::Unfinished;
        }
        let (wait, response) = (start - a, done - a);
        let s = &mut self.stats;
        s.served += 1;
        s.wait_sum_us += wait as u128;
        self.waits.record(wait);
        self.responses.record(response);
        s.wait_max_us = s.wait_max_us.max(wait);
        s.response_max_us = s.response_max_us.max(response);
        Verdict::Served {
            done: SimTime(done),
            wait,
        }
    }

    /// The pool's load statistics, complete.
    pub fn into_stats(mut self) -> PoolStats {
        self.waits.add_to(&mut self.stats.wait);
        self.responses.add_to(&mut self.stats.response);
        self.stats
    }

    /// When the earliest server is free, for a request arriving at `a`: `a`
    /// itself (or earlier) if one is free then. Unless `free` is a heap, a
    /// free server leaves room for the request's completion to be pushed.
    #[inline]
    fn first_free(&mut self, a: u64) -> u64 {
        // Arrivals in a row finding a server free before the heap, whose
        // upkeep is log(servers) per arrival, gives way to the unordered list.
        const LEAVE_HEAP_AFTER: u32 = 32;
        if self.heap {
            let first = self.free[0];
            if first > a {
                self.free_streak = 0;
                return first;
            }
            self.free_streak += 1;
            if self.free_streak < LEAVE_HEAP_AFTER {
                return first;
            }
            self.heap = false;
        }
        if self.free.len() == self.servers {
            self.free.retain(|&t| t > a);
            if self.free.len() == self.servers {
                // Every server is busy: keep them in a heap until they are not.
                make_heap(&mut self.free);
                self.heap = true;
                self.free_streak = 0;
                return self.free[0];
            }
        }
        a
    }

    /// The earliest server is next free at `t`: restores the heap.
    #[inline]
    fn replace_first(&mut self, t: u64) {
        let heap = &mut self.free;
        let n = heap.len();
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && heap[right] < heap[left] {
                right
            } else {
                left
            };
            if heap[child] >= t {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = t;
    }
}

/// Arranges `v` as a binary min-heap.
fn make_heap(v: &mut [u64]) {
    let n = v.len();
    for start in (0..n / 2).rev() {
        let (mut i, t) = (start, v[start]);
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && v[right] < v[left] { right } else { left };
            if v[child] >= t {
                break;
            }
            v[i] = v[child];
            i = child;
        }
        v[i] = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evaluator::{Evaluator, Request};
    use crate::stats::series::WaitRecorder;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn fixed_service_gives_exact_waits() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut s = Servers::new(1, Dist::Fixed(SimTime(10)), None, SimTime(1000));
        let v: Vec<Verdict> = [0, 2, 3].iter().map(|&a| s.arrive(SimTime(a), &mut rng)).collect();
        assert_eq!(
            v,
            [
                Verdict::Served {
                    done: SimTime(10),
                    wait: 0
                },
                Verdict::Served {
                    done: SimTime(20),
                    wait: 8
                },
                Verdict::Served {
                    done: SimTime(30),
                    wait: 17
                },
            ]
        );
        assert_eq!((s.stats.wait_sum_us, s.stats.queue_area, s.stats.busy_us), (25, 25, 30));
        assert_eq!(s.stats.queue_max, 2);
    }

    #[test]
    fn a_request_gives_up_when_no_server_frees_up_in_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut s = Servers::new(1, Dist::Fixed(SimTime(100)), Some(SimTime(30)), SimTime(1000));
        s.arrive(SimTime(0), &mut rng);
        assert_eq!(s.arrive(SimTime(10), &mut rng), Verdict::Rejected { at: SimTime(40) });
        assert_eq!(
            s.arrive(SimTime(80), &mut rng),
            Verdict::Served {
                done: SimTime(200),
                wait: 20
            }
        );
        assert_eq!((s.stats.rejected, s.stats.queue_area), (1, 30 + 20));
    }

    /// The recursion and the event-driven pool of the per-connection engine
    /// agree on every statistic, for random arrivals and service times.
    #[test]
    fn agrees_with_the_event_driven_pool() {
        // Pools from one server to many, lightly and heavily loaded (3000
        // arrivals, 25 µs each, over 20,000 µs: 3.75 servers' worth), so
        // that the list of free times is swept, made a heap and left again.
        let pools = [(1, None), (3, Some(SimTime(40))), (4, None), (2, Some(SimTime(5)))];
        let more = [(5, None), (6, Some(SimTime(3))), (40, None), (200, Some(SimTime(9)))];
        for (servers, timeout) in pools.into_iter().chain(more) {
            let horizon = SimTime(20_000);
            let service = Dist::Fixed(SimTime(25));
            let mut arrivals = ChaCha8Rng::seed_from_u64(servers as u64);
            let mut times: Vec<u64> = (0..3000).map(|_| arrivals.gen_range(0..horizon.0)).collect();
            times.sort_unstable();
            times.dedup();
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let mut kw = Servers::new(servers, service.clone(), timeout, horizon);
            for &t in &times {
                kw.arrive(SimTime(t), &mut rng);
            }
            // The event-driven pool, driven by a small event loop.
            let mut ev = Evaluator::new(servers, service.clone(), timeout, horizon);
            let mut waits = WaitRecorder::default();
            let mut completions: Vec<(u64, u32)> = Vec::new();
            let mut no = |_| {};
            let mut next = times.iter().peekable();
            loop {
                completions.sort_unstable_by(|a, b| b.cmp(a));
                let c = completions.last().copied();
                match (next.peek(), c) {
                    (Some(&&t), Some((ct, _))) if t < ct => {
                        next.next();
                        let req = Request {
                            arrival: SimTime(t),
                            device: 0,
                            slot: 0,
                            generation: 0,
                        };
                        if let Some((server, at)) = ev.arrive(req, &mut rng, &mut no) {
                            completions.push((at.0, server));
                        }
                    }
                    (_, Some((ct, server))) if ct < horizon.0 => {
                        completions.pop();
                        let (_, n) = ev.complete(SimTime(ct), server, &mut rng, &mut waits, &mut no);
                        if let Some((server, at)) = n {
                            completions.push((at.0, server));
                        }
                    }
                    (Some(&&t), _) => {
                        next.next();
                        let req = Request {
                            arrival: SimTime(t),
                            device: 0,
                            slot: 0,
                            generation: 0,
                        };
                        if let Some((server, at)) = ev.arrive(req, &mut rng, &mut no) {
                            completions.push((at.0, server));
                        }
                    }
                    _ => break,
                }
            }
            ev.finish(&mut no);
            let kw = kw.into_stats();
            let (a, b) = (&kw, &ev.stats);
            assert_eq!(
                (a.arrivals, a.served, a.rejected, a.busy_us, a.queue_area, a.queue_max),
                (b.arrivals, b.served, b.rejected, b.busy_us, b.queue_area, b.queue_max),
                "{servers} servers, timeout {timeout:?}"
            );
            assert_eq!(
                (a.wait_sum_us, a.wait_max_us, a.response_max_us),
                (b.wait_sum_us, b.wait_max_us, b.response_max_us)
            );
            assert_eq!(a.wait, b.wait);
            assert_eq!(a.response, b.response);
        }
    }
}
