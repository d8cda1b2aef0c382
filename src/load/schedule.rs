//! The simulation side of a load: one pool of the scenario simulated ahead
//! of the wall clock in its own thread, every request and control step
//! turned into a [`Call`] for the sender, in time order, through a bounded
//! channel (so the simulation runs at most a few tens of thousands of calls
//! ahead), and the prediction for the compressed load computed beside it.
//!
//! What goes on the wire, and why:
//! - **Evaluations** are the requests the model sends to its evaluator
//!   (managed tenants only: in an unmanaged tenant nothing is evaluated),
//!   with the model's decision: the connection's state at that instant.
//! - **Policies**: at t=0 every tenant of the pool gets its policy and MDM
//!   flag (`PUT`), then each change at its instant; MDM tenants' changes
//!   too, with `mdm: true` (the service must keep them unmanaged).
//! - **Prompts**: a wave turn's email arrives (`POST …/prompt`), at
//!   `mail_delivery` after the turn, as the service expects.
//! - **Choices**: keeping the app or choosing Outlook, at the reaction
//!   instant. Ignoring a prompt is doing nothing: no call.
//! - **Registration**: a device the service has not heard of yet (its
//!   tenant was unmanaged when it last polled) is introduced by one
//!   evaluation poll, not compared, just before a prompt, choice or re-add
//!   on it: the service would otherwise not know the device (404) or take
//!   its re-add for a new device's activation.

use super::Settings;
use crate::engine::{Purpose, SimTime, Streams};
use crate::model::decide::{Access, Choice};
use crate::model::evaluator::{Evaluator, Request};
use crate::model::sim::{Kind, Observer, WireEvent};
use crate::model::{App, Plan, Policy, PoolResult, PoolSim};
use crate::scenario::Scenario;
use crate::stats::series::WaitRecorder;
use hdrhistogram::Histogram;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Calls per batch handed to the sender: one channel operation per batch,
/// so that handing over costs little per call at 100,000 calls per second.
const BATCH: usize = 512;
/// Batches the simulation may run ahead of the sender.
pub const AHEAD: usize = 64;

/// What the model says an evaluation should be answered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expect {
    /// The connection's state when the request is sent.
    pub decision: Access,
    /// Whether this request sends a prompt email (a new connection quarantined).
    pub prompt: bool,
    /// For a connection quarantined since its own activation or re-add,
    /// when that request was: the service times its 24 h from there, the
    /// model from the email's arrival (see `decisions`).
    pub new_since: Option<SimTime>,
}

/// One HTTP call to make.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `POST /v1/evaluate`.
    Evaluate {
        /// Tenant id on the wire.
        tenant: u64,
        /// Device id on the wire.
        device: u64,
        /// The connection's app.
        app: App,
        /// Request kind.
        kind: Kind,
        /// The model's answer; `None` for a registration, not compared.
        expect: Option<Expect>,
    },
    /// `PUT /v1/tenants/{tenant}/policy`.
    Policy {
        /// Tenant id on the wire.
        tenant: u64,
        /// The policy.
        policy: Policy,
        /// Whether the tenant manages devices itself.
        mdm: bool,
    },
    /// `POST /v1/devices/{device}/prompt`: a wave turn's email arrives.
    Prompt {
        /// Tenant id on the wire (for templates).
        tenant: u64,
        /// Device id on the wire.
        device: u64,
    },
    /// `POST /v1/devices/{device}/choice`.
    Choice {
        /// Tenant id on the wire (for templates).
        tenant: u64,
        /// Device id on the wire.
        device: u64,
        /// The user's answer.
        choice: Choice,
    },
}

impl Op {
    /// Whether the call changes what the service knows (everything but a
    /// poll or push): such calls are never thinned or dropped.
    pub fn changes_state(&self) -> bool {
        !matches!(
            self,
            Op::Evaluate {
                kind: Kind::Poll | Kind::Push,
                expect: Some(_),
                ..
            }
        )
    }

    /// The device the call is about, if any.
    pub fn device(&self) -> Option<u64> {
        match *self {
            Op::Evaluate { device, .. } | Op::Prompt { device, .. } | Op::Choice { device, .. } => Some(device),
            Op::Policy { .. } => None,
        }
    }

    /// The tenant the call is about.
    pub fn tenant(&self) -> u64 {
        match *self {
            Op::Evaluate { tenant, .. }
            | Op::Policy { tenant, .. }
            | Op::Prompt { tenant, .. }
            | Op::Choice { tenant, .. } => tenant,
        }
    }
}

/// A call at its simulated instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Call {
    /// When the model makes it (simulated time; sent at `at ÷ speedup`).
    pub at: SimTime,
    /// What to send.
    pub op: Op,
}

/// Ids on the wire: a run number in the high bits keeps a second load
/// against the same long-running service apart from the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    /// Added to every tenant number.
    pub tenant_base: u64,
    /// Added to every (pool, device) pair.
    pub device_base: u64,
    /// The pool loaded.
    pub pool: u32,
}

impl Ids {
    /// Ids for run number `run` (0: plain numbers) and pool `pool`.
    pub fn new(run: u64, pool: u32) -> Ids {
        Ids {
            tenant_base: run << 32,
            device_base: run << 40,
            pool,
        }
    }

    /// A tenant's id.
    pub fn tenant(&self, global: u32) -> u64 {
        self.tenant_base + global as u64
    }

    /// A device's id: pool and index within the pool, packed.
    pub fn device(&self, local: u32) -> u64 {
        self.device_base + (((self.pool & 0xff) as u64) << 32 | local as u64)
    }

    /// The key of a connection for race checks: device index and app.
    pub fn key(local: u32, app: App) -> u64 {
        (local as u64) << 1 | (app == App::ThirdParty) as u64
    }
}

/// The evaluator model run on the compressed clock: the prediction of what
/// the target's pool should do with the calls actually scheduled.
pub struct Predictor {
    eval: Evaluator,
    rng: ChaCha8Rng,
    done: BinaryHeap<Reverse<(SimTime, u32)>>,
    waits: WaitRecorder,
    speedup: f64,
    bucket: SimTime,
    /// Response time per bucket of the simulated clock (microseconds of wall time).
    pub buckets: Vec<Option<Histogram<u64>>>,
    /// Rejected after the scenario's queue timeout.
    pub rejected: u64,
}

impl Predictor {
    fn new(sc: &Scenario, streams: &Streams, pool: u32, speedup: f64) -> Predictor {
        let ev = &sc.evaluator;
        // Arrivals of the whole run fall within horizon ÷ speedup; a day more
        // lets the last ones finish and bounds the histograms.
        let span = SimTime((sc.horizon.0 as f64 / speedup) as u64).after(SimTime::DAY);
        Predictor {
            eval: Evaluator::new(ev.servers, ev.service_time.clone(), ev.queue_timeout, span),
            rng: streams.stream(Purpose::Load, pool as u64, 1),
            done: BinaryHeap::new(),
            waits: WaitRecorder::default(),
            speedup,
            bucket: sc.bucket,
            buckets: vec![None; sc.bucket_count()],
            rejected: 0,
        }
    }

    /// Serves completions up to `upto` (compressed microseconds).
    fn advance(&mut self, upto: SimTime) {
        while let Some(&Reverse((t, server))) = self.done.peek() {
            if t > upto {
                break;
            }
            self.done.pop();
            let mut rejected = 0;
            let (req, next) = self
                .eval
                .complete(t, server, &mut self.rng, &mut self.waits, &mut |_| rejected += 1);
            self.rejected += rejected;
            if let Some((s, at)) = next {
                self.done.push(Reverse((at, s)));
            }
            // The bucket of the arrival rides in `device` (see `arrive`).
            let b = (req.device as usize).min(self.buckets.len().saturating_sub(1));
            if let Some(slot) = self.buckets.get_mut(b) {
                slot.get_or_insert_with(bucket_histogram)
                    .saturating_record((t - req.arrival).0.max(1));
            }
        }
    }

    /// A request scheduled at simulated instant `at`.
    fn arrive(&mut self, at: SimTime) {
        let a = SimTime((at.0 as f64 / self.speedup) as u64);
        self.advance(a);
        let bucket = (at.0 / self.bucket.0.max(1)) as u32;
        let req = Request {
            arrival: a,
            device: bucket,
            slot: 0,
            generation: 0,
        };
        let mut rejected = 0;
        if let Some((server, done)) = self.eval.arrive(req, &mut self.rng, &mut |_| rejected += 1) {
            self.done.push(Reverse((done, server)));
        }
        self.rejected += rejected;
    }

    /// Serves everything left; returns the pool's statistics.
    fn finish(mut self) -> Prediction {
        self.advance(SimTime::NEVER);
        let mut rejected = 0;
        self.eval.finish(&mut |_| rejected += 1);
        Prediction {
            stats: self.eval.stats.clone(),
            buckets: self.buckets,
            rejected: self.rejected + rejected,
        }
    }
}

/// A per-bucket histogram of microseconds: two significant digits, enough
/// for a p99 per bucket, small enough for thousands of buckets.
pub fn bucket_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid histogram bounds")
}

/// What the evaluator model predicts for the compressed load.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The pool's statistics on the compressed clock (wall microseconds).
    pub stats: crate::stats::PoolStats,
    /// Response time per bucket of the simulated clock.
    pub buckets: Vec<Option<Histogram<u64>>>,
    /// Requests the model rejects after its queue timeout.
    pub rejected: u64,
}

/// Counts of what the schedule sent, by kind (also read back from
/// `run.json`'s `load.scheduled`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Scheduled {
    /// Evaluations the model makes (before thinning).
    pub model_evaluations: u64,
    /// Evaluations scheduled (after `--rate-scale`, with registrations).
    pub evaluations: u64,
    /// Of those, registrations of devices the service had not heard of.
    pub registrations: u64,
    /// Policy calls.
    pub policies: u64,
    /// Prompt calls.
    pub prompts: u64,
    /// Choice calls.
    pub choices: u64,
}

/// What the simulation side hands back when the run is over.
pub struct ScheduleOutput {
    /// The pool's simulation, for the run's usual files.
    pub result: PoolResult,
    /// The prediction for the compressed load.
    pub prediction: Prediction,
    /// Every state change of a connection: (connection key, instant), in time order.
    pub transitions: Vec<(u64, SimTime)>,
    /// What was scheduled.
    pub scheduled: Scheduled,
}

/// The observer of the pool's simulation: turns its events into calls.
struct Scheduler {
    ids: Ids,
    rate_scale: f64,
    thin: ChaCha8Rng,
    out: tokio::sync::mpsc::Sender<Vec<Call>>,
    batch: Vec<Call>,
    closed: bool,
    /// Policy calls not made by the simulation (MDM tenants' changes), in time order.
    side: Vec<Call>,
    next_side: usize,
    known: Vec<bool>,
    new_since: HashMap<u32, SimTime>,
    transitions: Vec<(u64, SimTime)>,
    predictor: Predictor,
    scheduled: Scheduled,
}

impl Scheduler {
    fn push(&mut self, at: SimTime, op: Op) {
        if let Op::Evaluate { .. } = op {
            self.predictor.arrive(at);
            self.scheduled.evaluations += 1;
        }
        match op {
            Op::Policy { .. } => self.scheduled.policies += 1,
            Op::Prompt { .. } => self.scheduled.prompts += 1,
            Op::Choice { .. } => self.scheduled.choices += 1,
            Op::Evaluate { .. } => {}
        }
        self.batch.push(Call { at, op });
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Hands the batch to the sender, waiting while it is `AHEAD` batches behind.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if !self.closed && self.out.blocking_send(batch).is_err() {
            // The sender stopped (an error or a signal): simulate on, send nothing.
            self.closed = true;
        }
    }

    fn side_calls_until(&mut self, at: SimTime) {
        while let Some(call) = self.side.get(self.next_side).copied() {
            if call.at > at {
                break;
            }
            self.next_side += 1;
            self.push(call.at, call.op);
        }
    }

    fn known(&mut self, device: u32) -> bool {
        let i = device as usize;
        if i >= self.known.len() {
            self.known.resize((i + 1).next_power_of_two(), false);
        }
        std::mem::replace(&mut self.known[i], true)
    }

    /// Introduces the device to the service if it has not heard of it.
    fn register(&mut self, at: SimTime, tenant: u32, device: u32, app: App) {
        if !self.known(device) {
            self.scheduled.registrations += 1;
            let op = Op::Evaluate {
                tenant: self.ids.tenant(tenant),
                device: self.ids.device(device),
                app,
                kind: Kind::Poll,
                expect: None,
            };
            self.push(at, op);
        }
    }

    /// How many copies of a poll or push to send: `rate_scale` on average.
    fn copies(&mut self) -> u32 {
        let f = self.rate_scale;
        if f == 1.0 {
            return 1;
        }
        f.floor() as u32 + (self.thin.r#gen::<f64>() < f.fract()) as u32
    }
}

impl Observer for Scheduler {
    const ACTIVE: bool = true;

    fn on(&mut self, at: SimTime, event: WireEvent) {
        self.side_calls_until(at);
        match event {
            WireEvent::Request {
                tenant,
                device,
                app,
                kind,
                decision,
            } => {
                self.scheduled.model_evaluations += 1;
                let mut new_since = None;
                match kind {
                    Kind::Readd => self.register(at, tenant, device, app),
                    Kind::Activation => {
                        self.known(device);
                    }
                    Kind::Poll | Kind::Push => {
                        if app == App::ThirdParty && decision == Access::Quarantine {
                            new_since = self.new_since.get(&device).copied();
                        }
                    }
                }
                let new = matches!(kind, Kind::Activation | Kind::Readd);
                if new && app == App::ThirdParty && decision == Access::Quarantine {
                    self.new_since.insert(device, at);
                }
                let op = Op::Evaluate {
                    tenant: self.ids.tenant(tenant),
                    device: self.ids.device(device),
                    app,
                    kind,
                    expect: Some(Expect {
                        decision,
                        prompt: new && decision == Access::Quarantine,
                        new_since,
                    }),
                };
                let copies = if new { 1 } else { self.copies() };
                if !new && copies > 0 {
                    self.known(device);
                }
                for _ in 0..copies {
                    self.push(at, op);
                }
            }
            WireEvent::Policy { tenant, policy } => {
                let op = Op::Policy {
                    tenant: self.ids.tenant(tenant),
                    policy,
                    mdm: false,
                };
                self.push(at, op);
            }
            WireEvent::Prompt { tenant, device } => {
                self.register(at, tenant, device, App::ThirdParty);
                let op = Op::Prompt {
                    tenant: self.ids.tenant(tenant),
                    device: self.ids.device(device),
                };
                self.push(at, op);
            }
            WireEvent::Choice { tenant, device, choice } => {
                self.register(at, tenant, device, App::ThirdParty);
                let op = Op::Choice {
                    tenant: self.ids.tenant(tenant),
                    device: self.ids.device(device),
                    choice,
                };
                self.push(at, op);
            }
            WireEvent::Transition { device, app, .. } => {
                self.transitions.push((Ids::key(device, app), at));
                if app == App::ThirdParty {
                    self.new_since.remove(&device);
                }
            }
        }
    }
}

/// The policy calls the simulation does not make: every tenant's policy and
/// MDM flag at t=0, and MDM tenants' changes (the model ignores them; the
/// service must too). In time order.
fn policy_calls(sc: &Scenario, plan: &Plan, ids: &Ids) -> (Vec<Call>, Vec<Call>) {
    let pools = sc.evaluator.pools as usize;
    let (mut first, mut mdm) = (Vec::new(), Vec::new());
    for t in (ids.pool as usize..plan.tenants.len()).step_by(pools) {
        let tp = plan.tenants[t];
        let g = &sc.groups[tp.group as usize];
        let tenant = ids.tenant(t as u32);
        first.push(Call {
            at: SimTime::ZERO,
            op: Op::Policy {
                tenant,
                policy: g.policy,
                mdm: tp.mdm,
            },
        });
        if tp.mdm {
            for c in g.changes.iter().filter(|c| plan.in_change(sc, t, c.share)) {
                mdm.push(Call {
                    at: c.at,
                    op: Op::Policy {
                        tenant,
                        policy: c.policy,
                        mdm: true,
                    },
                });
            }
        }
    }
    mdm.sort_by_key(|c| c.at);
    (first, mdm)
}

/// Simulates pool `settings.pool` of `sc` (whose horizon is already the
/// stop), handing calls to `out` as fast as the channel takes them.
pub fn simulate(sc: &Scenario, settings: &Settings, out: tokio::sync::mpsc::Sender<Vec<Call>>) -> ScheduleOutput {
    let streams = Streams::new(sc.seed, 0);
    let plan = Plan::draw(sc, &streams);
    let ids = Ids::new(settings.id_run, settings.pool);
    let (first, side) = policy_calls(sc, &plan, &ids);
    let mut s = Scheduler {
        ids,
        rate_scale: settings.rate_scale,
        thin: streams.stream(Purpose::Load, settings.pool as u64, 0),
        out,
        batch: Vec::with_capacity(BATCH),
        closed: false,
        side,
        next_side: 0,
        known: Vec::new(),
        new_since: HashMap::new(),
        transitions: Vec::new(),
        predictor: Predictor::new(sc, &streams, settings.pool, settings.speedup),
        scheduled: Scheduled::default(),
    };
    for c in first {
        s.push(c.at, c.op);
    }
    let result = PoolSim::with_observer(sc, &plan, streams, settings.pool, &mut s).run(None);
    s.side_calls_until(SimTime(sc.horizon.0.saturating_sub(1)));
    s.flush();
    let Scheduler {
        predictor,
        transitions,
        scheduled,
        ..
    } = s;
    ScheduleOutput {
        result,
        prediction: predictor.finish(),
        transitions,
        scheduled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pack_pool_and_device_and_keep_runs_apart() {
        let a = Ids::new(0, 3);
        assert_eq!(a.tenant(7), 7);
        assert_eq!(a.device(5), (3u64 << 32) | 5);
        let b = Ids::new(9, 3);
        assert_ne!(a.device(5), b.device(5));
        assert_ne!(a.tenant(7), b.tenant(7));
        assert_ne!(Ids::key(4, App::Outlook), Ids::key(4, App::ThirdParty));
    }
}
