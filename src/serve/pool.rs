//! One evaluator pool, emulated like the simulator's (`model::evaluator`):
//! `servers` worker threads behind one FIFO queue, each evaluation holding
//! its worker for a draw of the service time, and a request that has
//! waited `queue_timeout` rejected without being evaluated.
//!
//! Workers are OS threads, not async timers: tokio's timer has a 1 ms
//! resolution, which would distort short service times. A worker sleeps
//! until 1 ms before the end of its draw and then yields until the
//! deadline, because a plain sleep overshoots on a busy machine; the time
//! actually held is measured and exported beside the time drawn.
//!
//! The rejection happens at the moment the wait runs out, as in the
//! simulator: the request's task gives up when its timer fires, unless a
//! worker has taken the request first. A ticket (one atomic) settles who
//! won, so a request is either evaluated or rejected, never both.

use crate::engine::SimTime;
use crate::model::App;
use crate::model::decide::Access;
use crate::scenario::Dist;
use crate::serve::clock::Clock;
use crate::serve::metrics::Metrics;
use crate::serve::state::{Kind, Registry, StateError, Verdict};
use crossbeam_channel::{Receiver, Sender};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How the pool is set up.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Worker threads.
    pub servers: usize,
    /// Service time per evaluation (wall time).
    pub service_time: Dist,
    /// Rejection after this wait (wall time); `None` waits forever.
    pub queue_timeout: Option<Duration>,
    /// A stall of every worker: from this long after start, for that long.
    pub pause: Option<(Duration, Duration)>,
    /// Seed of the service-time draws (one ChaCha8 stream, in arrival order).
    pub seed: u64,
    /// Fault: answer `allow` to everything (a broken build).
    pub allow_all: bool,
}

/// One evaluation request, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalRequest {
    /// Tenant id.
    pub tenant: u64,
    /// Device id.
    pub device: u64,
    /// The app that sent it.
    pub app: App,
    /// What kind of request.
    pub kind: Kind,
}

/// What became of an evaluation request.
#[derive(Debug)]
pub enum Outcome {
    /// A worker evaluated it.
    Served(Result<Verdict, StateError>),
    /// It waited the queue timeout and was not evaluated.
    Rejected,
}

const QUEUED: u8 = 0;
const TAKEN: u8 = 1;
const ABANDONED: u8 = 2;

enum Msg {
    Job(Job),
    Stop,
}

struct Job {
    enqueued: Instant,
    service: Duration,
    req: EvalRequest,
    ticket: Arc<AtomicU8>,
    reply: oneshot::Sender<Outcome>,
}

/// What workers and request tasks share.
struct Shared {
    config: PoolConfig,
    registry: Arc<Registry>,
    clock: Clock,
    metrics: Arc<Metrics>,
    busy: AtomicUsize,
    queued: AtomicI64,
    rng: Mutex<ChaCha8Rng>,
}

/// The pool: a FIFO queue and its worker threads.
pub struct Pool {
    tx: Sender<Msg>,
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    stopped: AtomicU64,
}

/// Slack left to a sleep: the rest of a service time is spent yielding,
/// since a sleep on this kind of machine overshoots by 0.1–2.5 ms.
const SPIN: Duration = Duration::from_millis(1);

impl Pool {
    /// Starts the worker threads.
    pub fn start(
        config: PoolConfig,
        registry: Arc<Registry>,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Pool> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let config_seed = config.seed;
        let shared = Arc::new(Shared {
            config,
            registry,
            clock,
            metrics,
            busy: AtomicUsize::new(0),
            queued: AtomicI64::new(0),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(config_seed)),
        });
        let mut workers = Vec::with_capacity(shared.config.servers);
        for i in 0..shared.config.servers {
            let (rx, shared) = (rx.clone(), shared.clone());
            let handle = std::thread::Builder::new()
                .name(format!("evaluator-{i}"))
                .spawn(move || worker(&rx, &shared))?;
            workers.push(handle);
        }
        Ok(Pool {
            tx,
            shared,
            workers: Mutex::new(workers),
            stopped: AtomicU64::new(0),
        })
    }

    /// Queues a request and waits for its evaluation or its rejection.
    pub async fn evaluate(&self, req: EvalRequest) -> Outcome {
        let s = &self.shared;
        let (reply, mut rx) = oneshot::channel();
        let ticket = Arc::new(AtomicU8::new(QUEUED));
        s.metrics.arrivals.fetch_add(1, Ordering::Relaxed);
        s.queued.fetch_add(1, Ordering::Relaxed);
        let service = Duration::from_micros(s.draw().0);
        let enqueued = Instant::now();
        let job = Job {
            enqueued,
            service,
            req,
            ticket: ticket.clone(),
            reply,
        };
        if self.tx.send(Msg::Job(job)).is_err() {
            return Outcome::Rejected; // stopping
        }
        if let Some(timeout) = s.config.queue_timeout {
            match tokio::time::timeout_at((enqueued + timeout).into(), &mut rx).await {
                Ok(outcome) => return outcome.unwrap_or(Outcome::Rejected),
                Err(_) => {
                    if ticket
                        .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        s.queued.fetch_sub(1, Ordering::Relaxed);
                        s.metrics.rejected.fetch_add(1, Ordering::Relaxed);
                        return Outcome::Rejected;
                    }
                    // A worker took it just in time: its answer follows.
                }
            }
        }
        rx.await.unwrap_or(Outcome::Rejected)
    }

    /// Requests waiting for a worker.
    pub fn queue_len(&self) -> usize {
        self.shared.queued.load(Ordering::Relaxed).max(0) as usize
    }

    /// Workers holding an evaluation.
    pub fn busy(&self) -> usize {
        self.shared.busy.load(Ordering::Relaxed)
    }

    /// Workers in the pool.
    pub fn servers(&self) -> usize {
        self.shared.config.servers
    }

    /// Stops the workers once the queue ahead of the stop is served, and
    /// waits for them. Call when no request task can queue any more.
    pub fn shutdown(&self) {
        if self.stopped.swap(1, Ordering::AcqRel) == 1 {
            return;
        }
        for _ in 0..self.shared.config.servers {
            let _ = self.tx.send(Msg::Stop);
        }
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for w in workers {
            let _ = w.join();
        }
    }
}

impl Shared {
    /// The next service time. Drawn in arrival order from one stream, so
    /// that a client sending the same requests in the same order meets the
    /// same service times: the sample path is replayable.
    fn draw(&self) -> SimTime {
        match self.config.service_time {
            Dist::Fixed(t) => t,
            ref d => d.sample(&mut *self.rng.lock().unwrap_or_else(|e| e.into_inner())),
        }
    }
}

/// Sleeps through the pause window, if it is now.
fn pause_wait(shared: &Shared) {
    if let Some((at, length)) = shared.config.pause {
        let now = shared.clock.wall();
        if now >= at && now < at + length {
            std::thread::sleep(at + length - now);
        }
    }
}

/// Holds the worker from `start` for `d`.
fn hold(start: Instant, d: Duration) {
    if d.is_zero() {
        return;
    }
    let deadline = start + d;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::thread::yield_now();
        }
    }
}

fn worker(rx: &Receiver<Msg>, s: &Shared) {
    let m = &s.metrics;
    while let Ok(Msg::Job(job)) = rx.recv() {
        pause_wait(s);
        if job
            .ticket
            .compare_exchange(QUEUED, TAKEN, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            continue; // its task gave up and answered 503
        }
        s.queued.fetch_sub(1, Ordering::Relaxed);
        let start = Instant::now();
        let wait = start - job.enqueued;
        if s.config.queue_timeout.is_some_and(|t| wait >= t) {
            // The task's timer has not fired yet; the wait ran out all the same.
            m.rejected.fetch_add(1, Ordering::Relaxed);
            let _ = job.reply.send(Outcome::Rejected);
            continue;
        }
        s.busy.fetch_add(1, Ordering::Relaxed);
        m.drawn_us.fetch_add(job.service.as_micros() as u64, Ordering::Relaxed);
        hold(start, job.service);
        pause_wait(s);
        let r = job.req;
        let mut verdict = s.registry.evaluate(s.clock.now(), r.tenant, r.device, r.app, r.kind);
        if s.config.allow_all
            && let Ok(v) = verdict.as_mut()
        {
            *v = Verdict {
                access: Access::Allow,
                prompt: false,
                until: None,
                now: v.now,
            };
        }
        let done = Instant::now();
        m.wait.record(wait);
        m.service.record(done - start);
        m.response.record(done - job.enqueued);
        if let Ok(v) = &verdict {
            m.decision(v.access, v.prompt);
        }
        s.busy.fetch_sub(1, Ordering::Relaxed);
        let _ = job.reply.send(Outcome::Served(verdict));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_is_close_to_the_draw() {
        for ms in [0u64, 1, 3] {
            let start = Instant::now();
            hold(start, Duration::from_millis(ms));
            let held = start.elapsed();
            assert!(held >= Duration::from_millis(ms), "{held:?}");
            // Generous: the machine is shared; the point is no gross overshoot.
            assert!(held < Duration::from_millis(ms) + Duration::from_millis(20), "{held:?}");
        }
    }
}
