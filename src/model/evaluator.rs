//! One quarantine-evaluation pool: `servers` servers sharing one FIFO queue.
//!
//! The pool does not own the clock: `arrive` and `complete` return the
//! completion it needs scheduled, and report rejections through a callback
//! with the instant each request gave up (arrival + `queue_timeout`).

use crate::engine::SimTime;
use crate::scenario::Dist;
use crate::stats::series::WaitRecorder;
use crate::stats::{PoolStats, record_duration};
use rand::Rng;
use std::collections::VecDeque;

/// A request waiting for, or in, evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// When the request reached the pool.
    pub arrival: SimTime,
    /// Device index within the pool simulation.
    pub device: u32,
    /// Connection slot (`App as u8`).
    pub slot: u8,
    /// Generation of the connection that sent it.
    pub generation: u16,
}

/// A request in service.
#[derive(Clone, Copy, Debug)]
struct InService {
    req: Request,
    start: SimTime,
}

/// A pool of evaluation servers.
pub struct Evaluator {
    service_time: Dist,
    timeout: Option<SimTime>,
    horizon: SimTime,
    free: Vec<u32>,
    in_service: Vec<InService>,
    queue: VecDeque<Request>,
    /// Load statistics of this pool.
    pub stats: PoolStats,
}

/// A completion to schedule: server `server` finishes at `at`.
pub type Completion = (u32, SimTime);

impl Evaluator {
    /// An idle pool.
    pub fn new(servers: u32, service_time: Dist, timeout: Option<SimTime>, horizon: SimTime) -> Self {
        let idle = InService {
            req: Request {
                arrival: SimTime::ZERO,
                device: 0,
                slot: 0,
                generation: 0,
            },
            start: SimTime::ZERO,
        };
        Evaluator {
            service_time,
            timeout,
            horizon,
            // Reversed so that server 0 is used first: a fixed, readable order.
            free: (0..servers).rev().collect(),
            in_service: vec![idle; servers as usize],
            queue: VecDeque::new(),
            stats: PoolStats::new(servers, horizon.0),
        }
    }

    /// The device whose request server `server` is evaluating (or last evaluated).
    #[inline]
    pub fn device_in_service(&self, server: u32) -> u32 {
        self.in_service[server as usize].req.device
    }

    /// Requests waiting now (not in service).
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Drops, as rejected, every queued request whose wait reached the timeout by `now`.
    fn expire(&mut self, now: SimTime, on_reject: &mut impl FnMut(SimTime)) {
        let Some(timeout) = self.timeout else { return };
        while let Some(front) = self.queue.front() {
            let gives_up = front.arrival + timeout;
            if gives_up > now {
                break;
            }
            self.queue.pop_front();
            self.stats.rejected += 1;
            self.stats.queue_area += timeout.0 as u128;
            on_reject(gives_up);
        }
    }

    fn start<R: Rng>(&mut self, now: SimTime, server: u32, req: Request, rng: &mut R) -> Completion {
        let done = now + self.service_time.sample(rng);
        self.stats.busy_us += (done.min(self.horizon) - now).0 as u128;
        self.in_service[server as usize] = InService { req, start: now };
        (server, done)
    }

    /// A request arrives; returns the completion to schedule if a server was free.
    #[inline]
    pub fn arrive<R: Rng>(
        &mut self,
        req: Request,
        rng: &mut R,
        on_reject: &mut impl FnMut(SimTime),
    ) -> Option<Completion> {
        let now = req.arrival;
        self.stats.arrivals += 1;
        self.expire(now, on_reject);
        match self.free.pop() {
            Some(server) => Some(self.start(now, server, req, rng)),
            None => {
                self.queue.push_back(req);
                self.stats.queue_max = self.stats.queue_max.max(self.queue.len() as u64);
                None
            }
        }
    }

    /// Server `server` finishes at `now`: records the served request, starts
    /// the next one in line, and returns the finished request and the next
    /// completion to schedule.
    #[inline]
    pub fn complete<R: Rng>(
        &mut self,
        now: SimTime,
        server: u32,
        rng: &mut R,
        waits: &mut WaitRecorder,
        on_reject: &mut impl FnMut(SimTime),
    ) -> (Request, Option<Completion>) {
        let done = self.in_service[server as usize];
        let wait = (done.start - done.req.arrival).0;
        self.stats.served += 1;
        self.stats.wait_sum_us += wait as u128;
        let response = (now - done.req.arrival).0;
        record_duration(&mut self.stats.wait, wait, 1, self.horizon.0);
        record_duration(&mut self.stats.response, response, 1, self.horizon.0);
        self.stats.wait_max_us = self.stats.wait_max_us.max(wait);
        self.stats.response_max_us = self.stats.response_max_us.max(response);
        waits.record(wait);
        self.expire(now, on_reject);
        let next = match self.queue.pop_front() {
            Some(req) => {
                self.stats.queue_area += (now - req.arrival).0 as u128;
                Some(self.start(now, server, req, rng))
            }
            None => {
                self.free.push(server);
                None
            }
        };
        (done.req, next)
    }

    /// Closes the books at the horizon: requests still queued count their
    /// time in the queue up to the horizon (or their rejection before it).
    pub fn finish(&mut self, on_reject: &mut impl FnMut(SimTime)) {
        let horizon = self.horizon;
        // A request giving up exactly at the horizon is not rejected within it.
        self.expire(horizon - SimTime(1), on_reject);
        for req in &self.queue {
            self.stats.queue_area += (horizon - req.arrival).0 as u128;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn req(at: u64, device: u32) -> Request {
        Request {
            arrival: SimTime(at),
            device,
            slot: 0,
            generation: 0,
        }
    }

    #[test]
    fn fifo_with_fixed_service_gives_exact_waits() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ev = Evaluator::new(1, Dist::Fixed(SimTime(10)), None, SimTime(1000));
        let mut waits = WaitRecorder::default();
        let mut no_reject = |_| panic!("no timeout configured");
        assert_eq!(ev.arrive(req(0, 1), &mut rng, &mut no_reject), Some((0, SimTime(10))));
        assert_eq!(ev.arrive(req(2, 2), &mut rng, &mut no_reject), None);
        assert_eq!(ev.arrive(req(3, 3), &mut rng, &mut no_reject), None);
        assert_eq!(ev.stats.queue_max, 2);
        let (done, next) = ev.complete(SimTime(10), 0, &mut rng, &mut waits, &mut no_reject);
        assert_eq!((done.device, next), (1, Some((0, SimTime(20)))));
        let (done, next) = ev.complete(SimTime(20), 0, &mut rng, &mut waits, &mut no_reject);
        assert_eq!((done.device, next), (2, Some((0, SimTime(30)))));
        let (done, next) = ev.complete(SimTime(30), 0, &mut rng, &mut waits, &mut no_reject);
        assert_eq!((done.device, next), (3, None));
        // Waits 0, 8, 17; queue area is the same sum.
        assert_eq!(ev.stats.wait_sum_us, 25);
        assert_eq!(ev.stats.queue_area, 25);
        assert_eq!(ev.stats.busy_us, 30);
        assert_eq!(ev.stats.wait.max(), 17);
    }

    #[test]
    fn queue_timeout_rejects_at_the_moment_the_wait_runs_out() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ev = Evaluator::new(1, Dist::Fixed(SimTime(100)), Some(SimTime(30)), SimTime(1000));
        let mut waits = WaitRecorder::default();
        let mut rejected_at = Vec::new();
        let mut on_reject = |t: SimTime| rejected_at.push(t.0);
        ev.arrive(req(0, 1), &mut rng, &mut on_reject);
        ev.arrive(req(10, 2), &mut rng, &mut on_reject); // gives up at 40
        ev.arrive(req(80, 3), &mut rng, &mut on_reject); // waits 20, served
        let (_, next) = ev.complete(SimTime(100), 0, &mut rng, &mut waits, &mut on_reject);
        assert_eq!(next, Some((0, SimTime(200))));
        assert_eq!(ev.in_service[0].req.device, 3);
        assert_eq!(rejected_at, vec![40]);
        assert_eq!(ev.stats.rejected, 1);
        assert_eq!(ev.stats.queue_area, 30 + 20);
    }
}
