//! One evaluator pool's share of the population, simulated on its own clock.
//!
//! Pools share nothing (a tenant's requests only ever reach its own pool),
//! so each pool of each replication is an independent simulation; the run
//! combines their results with `merge`. Within a pool, state lives in flat
//! arrays of small records indexed by `u32`, and events are small `Copy`
//! values naming an index, so the event loop never allocates.

use super::evaluator::{Evaluator, Request};
use super::population::Plan;
use super::{App, Policy};
use crate::engine::{EventQueue, Progress, Purpose, SimTime, Streams};
use crate::scenario::Scenario;
use crate::stats::delay::cell_index;
use crate::stats::series::WaitRecorder;
use crate::stats::{Cohort, Counters, Outcome, PoolStats, SyncDelays, TimeSeries};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

const NONE: u32 = u32::MAX;
/// A prompt ignored, or answered later than this, times out (SPEC §1 step 4).
pub const PROMPT_TIMEOUT: SimTime = SimTime::DAY;
const DAY_US: f64 = 86_400e6;

// Device flags.
/// The device has had a prompt (what prompt-once remembers).
const PROMPTED: u8 = 1;
/// A prompt or block flow is under way; its events carry `Device::flow`.
const IN_FLOW: u8 = 2;
/// The device's most recent connection is Outlook (what a re-add re-adds).
const CURRENT_OUTLOOK: u8 = 8;

/// Where a connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum State {
    /// No connection in this slot.
    Empty,
    /// Syncs at each allowed request.
    Active,
    /// Requests answered, no data moves (prompt flow).
    Quarantined,
    /// Outlook-only: never syncs.
    Blocked,
}

#[derive(Clone, Copy, Debug)]
struct Conn {
    generation: u16,
    state: State,
}

/// The part of a device that every request touches: its tenant and its two
/// connection slots (Outlook, third-party). Kept apart from the rest and
/// small, so that a pool's devices stay in cache on the event loop.
#[derive(Clone, Copy, Debug)]
struct Hot {
    tenant: u32,
    conn: [Conn; 2],
    /// Open sync-delay episodes: the first two in `Device::episode_cell` and
    /// `episode_start`, any more in `PoolSim::more_episodes`.
    episodes: u8,
}

/// The rest of a device: flows, prompts and its open sync-delay episodes.
#[derive(Clone, Copy, Debug)]
struct Device {
    episode_start: [SimTime; 2],
    /// Next device of the same user (a linked list), or NONE.
    next: u32,
    /// Number of the device within its tenant, for its random streams.
    uid: u32,
    flow: u16,
    flags: u8,
    episode_cell: [u8; 2],
}

#[derive(Clone, Copy, Debug)]
struct User {
    first_device: u32,
    devices: u32,
}

#[derive(Clone, Debug)]
struct Tenant {
    global: u32,
    policy: Policy,
    first_user: u32,
    users: u32,
    devices_made: u32,
    arrivals: u64,
    wave_epoch: u16,
    /// Activations plus re-adds per microsecond, over all users.
    arrival_rate: f64,
    activation_share: f64,
    third_party_share: f64,
    group: u32,
}

/// Everything that can happen, as a small record naming what it happens to.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A connection's regular poll.
    Poll { device: u32, slot: u8, generation: u16 },
    /// An evaluation server finishes.
    EvalDone { server: u32 },
    /// The next activation or re-add in a tenant.
    Arrival { tenant: u32 },
    /// A scheduled policy change reaches a tenant.
    Change { tenant: u32, change: u16 },
    /// A connection's turn in a prompt-always wave.
    Wave { device: u32, epoch: u16 },
    /// The prompt email arrives.
    Deliver { device: u32, flow: u16 },
    /// Quarantine ends: the user kept the app, or 24 h passed.
    Release { device: u32, flow: u16 },
    /// Outlook is set up on the device (after a prompt or a block).
    OutlookReady { device: u32, flow: u16 },
    /// The left-over third-party connection is removed.
    Abandon { device: u32, flow: u16 },
}

/// The draws of one prompt or block flow, reproducible from its key.
#[derive(Clone, Copy, Debug)]
struct FlowPlan {
    mail: SimTime,
    outcome: Outcome,
    reaction: SimTime,
    setup: SimTime,
    abandon: Option<SimTime>,
    switch: bool,
    switch_delay: SimTime,
}

/// The result of simulating one pool of one replication.
#[derive(Clone, Debug)]
pub struct PoolResult {
    /// Pool number.
    pub pool: u32,
    /// Plain counts.
    pub counters: Counters,
    /// Sync delays by policy × cohort × outcome.
    pub delays: SyncDelays,
    /// Evaluator load.
    pub load: PoolStats,
    /// Per-bucket series.
    pub series: TimeSeries,
}

/// The state of one pool's simulation.
pub struct PoolSim<'a> {
    sc: &'a Scenario,
    streams: Streams,
    pool: u32,
    now: SimTime,
    queue: EventQueue<Event>,
    rng: ChaCha8Rng,
    tenants: Vec<Tenant>,
    users: Vec<User>,
    hot: Vec<Hot>,
    devices: Vec<Device>,
    eval: Evaluator,
    counters: Counters,
    delays: SyncDelays,
    series: TimeSeries,
    waits: WaitRecorder,
    bucket: usize,
    bucket_end: SimTime,
    quarantined: u64,
    blocked: u64,
    scratch: Vec<u32>,
    /// Open episodes of a device beyond its two slots (several re-adds during
    /// one wait): rare, so kept aside rather than in every device record.
    more_episodes: HashMap<u32, Vec<(SimTime, u8)>>,
}

/// Asks the processor to bring `value`'s cache line in, without waiting.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults or changes memory,
    // and the pointer comes from a live reference.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

fn bucket_of(t: SimTime, width: SimTime, buckets: usize) -> usize {
    ((t.0 / width.0) as usize).min(buckets - 1)
}

fn exp_gap<R: Rng>(rng: &mut R, rate: f64) -> SimTime {
    SimTime((-(1.0 - rng.r#gen::<f64>()).ln() / rate).min(u64::MAX as f64 / 8.0) as u64)
}

impl<'a> PoolSim<'a> {
    /// Builds pool `pool`'s population at t=0 and schedules its first events.
    pub fn new(sc: &'a Scenario, plan: &Plan, streams: Streams, pool: u32) -> Self {
        let horizon = sc.horizon;
        let ev = &sc.evaluator;
        let mut sim = PoolSim {
            sc,
            streams,
            pool,
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            rng: streams.stream(Purpose::Pool, pool as u64, 0),
            tenants: Vec::new(),
            users: Vec::new(),
            hot: Vec::new(),
            devices: Vec::new(),
            eval: Evaluator::new(ev.servers, ev.service_time.clone(), ev.queue_timeout, horizon),
            counters: Counters::default(),
            delays: SyncDelays::new(horizon.0),
            series: TimeSeries::new(sc.bucket_count()),
            waits: WaitRecorder::default(),
            bucket: 0,
            bucket_end: sc.bucket,
            quarantined: 0,
            blocked: 0,
            scratch: Vec::new(),
            more_episodes: HashMap::new(),
        };
        let pools = ev.pools as usize;
        for t in (pool as usize..plan.tenants.len()).step_by(pools) {
            sim.add_tenant(plan, t);
        }
        sim
    }

    fn add_tenant(&mut self, plan: &Plan, t: usize) {
        let sc = self.sc;
        let tp = plan.tenants[t];
        let g = &sc.groups[tp.group as usize];
        let policy = if tp.mdm { Policy::Unmanaged } else { g.policy };
        let local = self.tenants.len() as u32;
        let mut rng = self.streams.stream(Purpose::Population, t as u64, 0);
        let users = g.users.sample(&mut rng);
        let rate_per_user = g.activations_per_user_day + g.readds_per_user_day;
        self.tenants.push(Tenant {
            global: t as u32,
            policy,
            first_user: self.users.len() as u32,
            users,
            devices_made: 0,
            arrivals: 0,
            wave_epoch: 0,
            arrival_rate: users as f64 * rate_per_user / DAY_US,
            activation_share: if rate_per_user > 0.0 {
                g.activations_per_user_day / rate_per_user
            } else {
                0.0
            },
            third_party_share: g.third_party_share,
            group: tp.group,
        });
        self.counters.tenants += 1;
        self.counters.users += users as u64;
        self.counters.mdm_tenants += tp.mdm as u64;
        for _ in 0..users {
            let user = self.users.len() as u32;
            self.users.push(User {
                first_device: NONE,
                devices: 0,
            });
            let n = g.devices_per_user.sample(&mut rng);
            for _ in 0..n {
                let app = if rng.r#gen::<f64>() < g.third_party_share {
                    App::ThirdParty
                } else {
                    App::Outlook
                };
                // A policy in force at t=0 has been in force long enough that
                // existing third-party devices were prompted, or blocked, long ago.
                let state = match (app, policy) {
                    (App::ThirdParty, Policy::OutlookOnly) => State::Blocked,
                    _ => State::Active,
                };
                // Polling is already in its steady state for the interval that applies.
                let interval = match state {
                    State::Active => &sc.devices.poll_interval,
                    _ => &sc.devices.quarantined_poll_interval,
                };
                let first_poll = interval.sample_residual(&mut rng);
                let device = self.add_device(local, user);
                let d = &mut self.devices[device as usize];
                if app == App::ThirdParty && policy.prompts() {
                    d.flags |= PROMPTED;
                }
                if app == App::Outlook {
                    d.flags |= CURRENT_OUTLOOK;
                }
                self.hot[device as usize].conn[app.slot()].state = state;
                self.blocked += (state == State::Blocked) as u64;
                self.counters.connections_initial += 1;
                self.schedule(
                    first_poll,
                    Event::Poll {
                        device,
                        slot: app as u8,
                        generation: 0,
                    },
                );
            }
        }
        let rate = self.tenants[local as usize].arrival_rate;
        if rate > 0.0 {
            let first = exp_gap(&mut self.streams.stream(Purpose::Arrival, t as u64, 0), rate);
            self.schedule(first, Event::Arrival { tenant: local });
        }
        for (j, change) in g.changes.iter().enumerate() {
            if plan.in_change(sc, t, change.share) {
                if tp.mdm {
                    self.counters.changes_ignored_mdm += 1;
                } else {
                    self.queue.push(
                        change.at,
                        Event::Change {
                            tenant: local,
                            change: j as u16,
                        },
                    );
                }
            }
        }
    }

    fn add_device(&mut self, local: u32, user: u32) -> u32 {
        let device = self.devices.len() as u32;
        let tenant = &mut self.tenants[local as usize];
        let uid = tenant.devices_made;
        tenant.devices_made += 1;
        let u = &mut self.users[user as usize];
        self.hot.push(Hot {
            tenant: local,
            conn: [Conn {
                generation: 0,
                state: State::Empty,
            }; 2],
            episodes: 0,
        });
        self.devices.push(Device {
            episode_start: [SimTime::ZERO; 2],
            next: u.first_device,
            uid,
            flow: 0,
            flags: 0,
            episode_cell: [0; 2],
        });
        u.first_device = device;
        u.devices += 1;
        device
    }

    /// Schedules an event unless it falls at or after the horizon, where it could never run.
    #[inline]
    fn schedule(&mut self, at: SimTime, event: Event) {
        if at < self.sc.horizon {
            self.queue.push(at, event);
        }
    }

    /// Runs to the horizon and returns the pool's results, reporting how far
    /// it got to `progress` now and then.
    pub fn run(mut self, progress: Option<&Progress>) -> PoolResult {
        const REPORT_EVERY: u64 = 1 << 16;
        let horizon = self.sc.horizon;
        let (mut reported_us, mut reported_events) = (0u64, 0u64);
        let mut report = |now: SimTime, events: u64| {
            if let Some(p) = progress {
                p.simulated_us.fetch_add(now.0 - reported_us, Ordering::Relaxed);
                p.events.fetch_add(events - reported_events, Ordering::Relaxed);
                (reported_us, reported_events) = (now.0, events);
            }
        };
        while let Some((t, event)) = self.queue.pop() {
            if t >= horizon {
                break;
            }
            while t >= self.bucket_end {
                self.close_bucket();
            }
            self.now = t;
            self.counters.events += 1;
            self.prefetch_ahead();
            self.handle(event);
            if self.counters.events.is_multiple_of(REPORT_EVERY) {
                report(t, self.counters.events);
            }
        }
        report(horizon, self.counters.events);
        self.finish()
    }

    /// Starts loading the device record of an event a few places ahead, so
    /// that it is in cache when its turn comes: with millions of devices the
    /// record is otherwise a main-memory miss on every request.
    #[inline]
    fn prefetch_ahead(&self) {
        const AHEAD: usize = 8;
        let device = match self.queue.lookahead(AHEAD) {
            Some(Event::Poll { device, .. }) => *device,
            Some(Event::EvalDone { server }) => self.eval.device_in_service(*server),
            _ => return,
        };
        prefetch(&self.hot[device as usize]);
    }

    fn close_bucket(&mut self) {
        let b = self.bucket;
        if b < self.series.len() {
            self.series.quarantined[b] = self.quarantined;
            self.series.blocked[b] = self.blocked;
            self.series.wait[b] = self.waits.take();
        }
        self.bucket += 1;
        self.bucket_end = self.bucket_end + self.sc.bucket;
    }

    fn finish(mut self) -> PoolResult {
        while self.bucket < self.series.len() {
            self.close_bucket();
        }
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        self.eval.finish(&mut |t| rejected[bucket_of(t, width, buckets)] += 1);
        for (h, d) in self.hot.iter().zip(&self.devices) {
            for &cell in &d.episode_cell[..(h.episodes as usize).min(2)] {
                self.delays.record_unsynced(cell as usize);
            }
        }
        let mut extra: Vec<(&u32, &Vec<(SimTime, u8)>)> = self.more_episodes.iter().collect();
        extra.sort_by_key(|(device, _)| **device);
        for (_, episodes) in extra {
            for &(_, cell) in episodes {
                self.delays.record_unsynced(cell as usize);
            }
        }
        self.counters.evaluations_rejected = self.eval.stats.rejected;
        PoolResult {
            pool: self.pool,
            counters: self.counters,
            delays: self.delays,
            load: self.eval.stats,
            series: self.series,
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Poll {
                device,
                slot,
                generation,
            } => self.on_poll(device, slot, generation),
            Event::EvalDone { server } => self.on_eval_done(server),
            Event::Arrival { tenant } => self.on_arrival(tenant),
            Event::Change { tenant, change } => self.on_change(tenant, change as usize),
            Event::Wave { device, epoch } => self.on_wave(device, epoch),
            Event::Deliver { device, flow } => self.on_deliver(device, flow),
            Event::Release { device, flow } => self.on_release(device, flow),
            Event::OutlookReady { device, flow } => self.on_outlook_ready(device, flow),
            Event::Abandon { device, flow } => self.on_abandon(device, flow),
        }
    }

    // ---- requests, evaluation and syncs ------------------------------------

    #[inline]
    fn poll_interval(&mut self, state: State) -> SimTime {
        let d = &self.sc.devices;
        let dist = if state == State::Active {
            &d.poll_interval
        } else {
            &d.quarantined_poll_interval
        };
        // At least 1 µs, so that a zero draw cannot stall the clock.
        dist.sample(&mut self.rng).max(SimTime(1))
    }

    #[inline]
    fn on_poll(&mut self, device: u32, slot: u8, generation: u16) {
        let c = self.hot[device as usize].conn[slot as usize];
        if c.generation != generation || c.state == State::Empty {
            return; // the connection was replaced or removed
        }
        self.request(device, slot);
        let next = self.now + self.poll_interval(c.state);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot,
                generation,
            },
        );
    }

    /// A connection sends a request now: synced at once in an unmanaged
    /// tenant, otherwise queued for a quarantine evaluation.
    #[inline]
    fn request(&mut self, device: u32, slot: u8) {
        let h = &self.hot[device as usize];
        let c = h.conn[slot as usize];
        self.counters.requests += 1;
        if self.tenants[h.tenant as usize].policy == Policy::Unmanaged {
            if c.state == State::Active {
                self.sync(device);
            }
            return;
        }
        self.counters.evaluations += 1;
        self.series.evaluations[self.bucket] += 1;
        let req = Request {
            arrival: self.now,
            device,
            slot,
            generation: c.generation,
        };
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        if let Some((server, at)) = self
            .eval
            .arrive(req, &mut self.rng, &mut |t| rejected[bucket_of(t, width, buckets)] += 1)
        {
            self.schedule(at, Event::EvalDone { server });
        }
    }

    #[inline]
    fn on_eval_done(&mut self, server: u32) {
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        let (req, next) = self
            .eval
            .complete(self.now, server, &mut self.rng, &mut self.waits, &mut |t| {
                rejected[bucket_of(t, width, buckets)] += 1
            });
        if let Some((server, at)) = next {
            self.schedule(at, Event::EvalDone { server });
        }
        let c = self.hot[req.device as usize].conn[req.slot as usize];
        // The evaluation allows access only if the connection still exists
        // and is neither quarantined nor blocked when the answer is given.
        if c.generation == req.generation && c.state == State::Active {
            self.sync(req.device);
        }
    }

    /// Data moved on the device: ends its open sync-delay episodes.
    #[inline]
    fn sync(&mut self, device: u32) {
        self.series.syncs[self.bucket] += 1;
        let h = &mut self.hot[device as usize];
        if h.episodes > 0 {
            let open = std::mem::take(&mut h.episodes) as usize;
            let d = &self.devices[device as usize];
            for i in 0..open.min(2) {
                self.delays
                    .record(d.episode_cell[i] as usize, (self.now - d.episode_start[i]).0);
            }
            if open > 2 {
                for (start, cell) in self.more_episodes.remove(&device).unwrap_or_default() {
                    self.delays.record(cell as usize, (self.now - start).0);
                }
            }
        }
    }

    // ---- connection state ---------------------------------------------------

    fn set_state(&mut self, device: u32, slot: usize, state: State) {
        let c = &mut self.hot[device as usize].conn[slot];
        let old = c.state;
        c.state = state;
        self.quarantined -= (old == State::Quarantined) as u64;
        self.blocked -= (old == State::Blocked) as u64;
        self.quarantined += (state == State::Quarantined) as u64;
        self.blocked += (state == State::Blocked) as u64;
        self.counters.quarantines += (state == State::Quarantined && old != State::Quarantined) as u64;
    }

    /// Opens a sync-delay episode for a connection that starts waiting.
    ///
    /// Every activation and re-add is a record of cohort `new` (SPEC §1),
    /// even on a device already waiting: up to two records are open at
    /// once, and the next sync on the device ends both. A previously
    /// configured connection that loses access while its device already
    /// waits adds no record. Every open record takes the outcome of the
    /// latest flow, which decides how the device's wait ends.
    fn open_episode(&mut self, device: u32, cohort: Cohort, outcome: Outcome) {
        let now = self.now;
        let policy = self.tenants[self.hot[device as usize].tenant as usize].policy;
        self.relabel(device, outcome);
        let open = self.hot[device as usize].episodes as usize;
        if open == 0 || cohort == Cohort::New {
            let cell = cell_index(policy, cohort, outcome) as u8;
            if open < 2 {
                let d = &mut self.devices[device as usize];
                d.episode_start[open] = now;
                d.episode_cell[open] = cell;
            } else {
                self.more_episodes.entry(device).or_default().push((now, cell));
            }
            let h = &mut self.hot[device as usize];
            h.episodes = h.episodes.saturating_add(1);
        }
    }

    /// Gives the device's open episodes another outcome.
    fn relabel(&mut self, device: u32, outcome: Outcome) {
        let open = self.hot[device as usize].episodes as usize;
        let with = |cell: u8| cell / 6 * 6 + outcome as u8;
        for cell in &mut self.devices[device as usize].episode_cell[..open.min(2)] {
            *cell = with(*cell);
        }
        if open > 2
            && let Some(more) = self.more_episodes.get_mut(&device)
        {
            more.iter_mut().for_each(|(_, cell)| *cell = with(*cell));
        }
    }

    /// The outcome the device's open episodes carry (all the same), if any.
    fn episode_outcome(&self, device: u32) -> Option<Outcome> {
        let open = self.hot[device as usize].episodes as usize;
        (open > 0).then(|| Outcome::from_index(self.devices[device as usize].episode_cell[0] % 6))
    }

    /// Starts a new flow on the device, cancelling any before it.
    fn start_flow(&mut self, device: u32) -> (u16, FlowPlan) {
        let d = &mut self.devices[device as usize];
        d.flow = d.flow.wrapping_add(1);
        d.flags |= IN_FLOW;
        (d.flow, self.flow_plan(device))
    }

    fn cancel_flow(&mut self, device: u32) {
        let d = &mut self.devices[device as usize];
        if d.flags & IN_FLOW != 0 {
            d.flow = d.flow.wrapping_add(1);
            d.flags &= !IN_FLOW;
        }
    }

    fn flow_valid(&self, device: u32, flow: u16) -> bool {
        let d = &self.devices[device as usize];
        d.flags & IN_FLOW != 0 && d.flow == flow
    }

    /// The draws of the device's current flow. Keyed by (tenant, device,
    /// flow number), so the same person answers the same way in any policy.
    fn flow_plan(&self, device: u32) -> FlowPlan {
        let d = &self.devices[device as usize];
        let tenant = &self.tenants[self.hot[device as usize].tenant as usize];
        let entity = ((tenant.global as u64) << 32) | d.uid as u64;
        let mut rng = self.streams.stream(Purpose::Flow, entity, d.flow as u64);
        let b = &self.sc.behavior;
        let mail = self.sc.devices.mail_delivery.sample(&mut rng);
        let u_choice: f64 = rng.r#gen();
        let reaction = b.reaction.sample(&mut rng);
        let setup = b.outlook_setup.sample(&mut rng);
        let abandon = b.abandon_after.as_ref().map(|a| a.sample(&mut rng));
        let switch = rng.r#gen::<f64>() < b.blocked_switch;
        let switch_delay = b.blocked_switch_delay.sample(&mut rng);
        let outcome = if reaction >= PROMPT_TIMEOUT || u_choice >= b.choice.outlook + b.choice.third_party {
            Outcome::Timeout
        } else if u_choice < b.choice.outlook {
            Outcome::Outlook
        } else {
            Outcome::Continued
        };
        FlowPlan {
            mail,
            outcome,
            reaction,
            setup,
            abandon,
            switch,
            switch_delay,
        }
    }

    /// A connection is (re)created in `app`'s slot: the start of a new
    /// activation's or re-add's sync-delay episode.
    fn new_connection(&mut self, device: u32, app: App) {
        let slot = app.slot();
        if self.hot[device as usize].conn[slot].state != State::Empty {
            self.set_state(device, slot, State::Empty);
        }
        if app == App::ThirdParty {
            self.cancel_flow(device);
        }
        let policy = self.tenants[self.hot[device as usize].tenant as usize].policy;
        let h = &mut self.hot[device as usize];
        h.conn[slot].generation = h.conn[slot].generation.wrapping_add(1);
        let generation = h.conn[slot].generation;
        let d = &mut self.devices[device as usize];
        match app {
            App::Outlook => d.flags |= CURRENT_OUTLOOK,
            App::ThirdParty => d.flags &= !CURRENT_OUTLOOK,
        }
        let prompted = d.flags & PROMPTED != 0;
        let state = match (app, policy) {
            (App::Outlook, _) | (_, Policy::Unmanaged) => State::Active,
            (_, Policy::AnyAppPromptOnce) if prompted => State::Active,
            (_, Policy::OutlookOnly) => State::Blocked,
            _ => State::Quarantined,
        };
        self.set_state(device, slot, state);
        match state {
            State::Blocked => self.start_block(device, Cohort::New),
            State::Quarantined => {
                // A new connection has never synced: quarantined from activation.
                self.devices[device as usize].flags |= PROMPTED;
                let (flow, plan) = self.start_flow(device);
                self.open_episode(device, Cohort::New, plan.outcome);
                self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
            }
            _ => self.open_episode(device, Cohort::New, Outcome::Direct),
        }
        self.request(device, slot as u8);
        let next = self.now + self.poll_interval(state);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot: slot as u8,
                generation,
            },
        );
    }

    fn remove_connection(&mut self, device: u32, slot: usize) {
        self.set_state(device, slot, State::Empty);
        let c = &mut self.hot[device as usize].conn[slot];
        c.generation = c.generation.wrapping_add(1);
    }

    // ---- arrivals -----------------------------------------------------------

    fn on_arrival(&mut self, tenant: u32) {
        let tn = &mut self.tenants[tenant as usize];
        let k = tn.arrivals;
        tn.arrivals += 1;
        let (global, rate) = (tn.global as u64, tn.arrival_rate);
        let mut rng = self.streams.stream(Purpose::Arrival, global, k);
        // The stream's first draw was this arrival's gap, used when it was
        // scheduled; skip it so the draws below are the same in any run.
        let _this_gap = exp_gap(&mut rng, rate);
        let (u_kind, u_user, u_app, u_device): (f64, f64, f64, f64) =
            (rng.r#gen(), rng.r#gen(), rng.r#gen(), rng.r#gen());
        let next = exp_gap(&mut self.streams.stream(Purpose::Arrival, global, k + 1), rate);
        self.schedule(self.now + next, Event::Arrival { tenant });

        let tn = &self.tenants[tenant as usize];
        if tn.users == 0 {
            return;
        }
        let user = tn.first_user + ((u_user * tn.users as f64) as u32).min(tn.users - 1);
        if u_kind < tn.activation_share {
            let app = if u_app < tn.third_party_share {
                App::ThirdParty
            } else {
                App::Outlook
            };
            let device = self.add_device(tenant, user);
            self.counters.activations += 1;
            self.new_connection(device, app);
        } else {
            let u = self.users[user as usize];
            if u.devices == 0 {
                return; // a user without devices has nothing to re-add
            }
            let mut device = u.first_device;
            for _ in 0..((u_device * u.devices as f64) as u32).min(u.devices - 1) {
                device = self.devices[device as usize].next;
            }
            let app = if self.devices[device as usize].flags & CURRENT_OUTLOOK != 0 {
                App::Outlook
            } else {
                App::ThirdParty
            };
            self.counters.readds += 1;
            self.new_connection(device, app);
        }
    }

    // ---- the prompt flow ----------------------------------------------------

    fn on_deliver(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.flow_plan(device);
        let tp = App::ThirdParty.slot();
        let h = self.hot[device as usize];
        match h.conn[tp].state {
            State::Active => {
                // A previously configured connection loses access on receipt.
                self.set_state(device, tp, State::Quarantined);
                if h.conn[App::Outlook.slot()].state == State::Empty {
                    self.open_episode(device, Cohort::Existing, plan.outcome);
                }
            }
            State::Quarantined => {}
            State::Empty | State::Blocked => return,
        }
        self.counters.prompts += 1;
        self.series.prompts[self.bucket] += 1;
        let event = match plan.outcome {
            Outcome::Continued => (self.now + plan.reaction, Event::Release { device, flow }),
            Outcome::Outlook => (
                self.now + plan.reaction + plan.setup,
                Event::OutlookReady { device, flow },
            ),
            _ => (self.now + PROMPT_TIMEOUT, Event::Release { device, flow }),
        };
        self.schedule(event.0, event.1);
    }

    fn on_release(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let tp = App::ThirdParty.slot();
        self.devices[device as usize].flags &= !IN_FLOW;
        if self.hot[device as usize].conn[tp].state == State::Quarantined {
            self.set_state(device, tp, State::Active);
            self.request(device, tp as u8); // the server pushes: sync at once
        }
    }

    fn on_outlook_ready(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.flow_plan(device);
        let slot = App::Outlook.slot();
        if self.hot[device as usize].conn[slot].state != State::Empty {
            self.set_state(device, slot, State::Empty);
        }
        let h = &mut self.hot[device as usize];
        h.conn[slot].generation = h.conn[slot].generation.wrapping_add(1);
        let generation = h.conn[slot].generation;
        self.devices[device as usize].flags |= CURRENT_OUTLOOK;
        self.set_state(device, slot, State::Active);
        self.request(device, slot as u8);
        let next = self.now + self.poll_interval(State::Active);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot: slot as u8,
                generation,
            },
        );
        // The third-party connection stays quarantined or blocked, polling,
        // until it is removed (if people ever remove it).
        if let Some(after) = plan.abandon {
            self.schedule(self.now + after, Event::Abandon { device, flow });
        }
    }

    fn on_abandon(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        self.devices[device as usize].flags &= !IN_FLOW;
        let tp = App::ThirdParty.slot();
        if self.hot[device as usize].conn[tp].state != State::Empty {
            self.remove_connection(device, tp);
        }
    }

    fn on_wave(&mut self, device: u32, epoch: u16) {
        let (d, h) = (self.devices[device as usize], self.hot[device as usize]);
        let tn = &self.tenants[h.tenant as usize];
        if tn.policy != Policy::AnyAppPromptAlways || tn.wave_epoch != epoch {
            return; // the tenant switched again before this connection's turn
        }
        if h.conn[App::ThirdParty.slot()].state != State::Active || d.flags & IN_FLOW != 0 {
            return;
        }
        self.devices[device as usize].flags |= PROMPTED;
        let (flow, plan) = self.start_flow(device);
        self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
    }

    // ---- policy changes -----------------------------------------------------

    /// The tenant's devices, into `self.scratch`.
    fn collect_devices(&mut self, tenant: u32) {
        self.scratch.clear();
        let tn = &self.tenants[tenant as usize];
        for u in tn.first_user..tn.first_user + tn.users {
            let mut d = self.users[u as usize].first_device;
            while d != NONE {
                self.scratch.push(d);
                d = self.devices[d as usize].next;
            }
        }
        // Oldest first, so that events scheduled below keep a stable order.
        self.scratch.sort_unstable();
    }

    fn on_change(&mut self, tenant: u32, change: usize) {
        let g = self.tenants[tenant as usize].group as usize;
        let new = self.sc.groups[g].changes[change].policy;
        let old = self.tenants[tenant as usize].policy;
        if new == old {
            return;
        }
        let tn = &mut self.tenants[tenant as usize];
        tn.policy = new;
        tn.wave_epoch = tn.wave_epoch.wrapping_add(1);
        self.collect_devices(tenant);
        let devices = std::mem::take(&mut self.scratch);
        match new {
            Policy::Unmanaged => self.release_all(&devices),
            Policy::OutlookOnly => self.block_all(&devices),
            Policy::AnyAppPromptAlways | Policy::AnyAppPromptOnce => {
                if old == Policy::OutlookOnly {
                    self.release_all(&devices);
                }
                if new == Policy::AnyAppPromptAlways {
                    self.start_wave(tenant, change, &devices);
                } else {
                    self.exempt_configured(&devices);
                }
            }
        }
        self.scratch = devices;
    }

    /// Ends every quarantine and block of the tenant: pending flows are
    /// cancelled and the connections sync at once.
    fn release_all(&mut self, devices: &[u32]) {
        let tp = App::ThirdParty.slot();
        for &device in devices {
            self.cancel_flow(device);
            // Nobody acted: the system ended the wait. A planned switch to
            // Outlook that had not happened yet did not happen.
            match self.episode_outcome(device) {
                Some(Outcome::Continued | Outcome::Outlook) => self.relabel(device, Outcome::Timeout),
                Some(Outcome::Switched) => self.relabel(device, Outcome::Blocked),
                _ => {}
            }
            if matches!(
                self.hot[device as usize].conn[tp].state,
                State::Quarantined | State::Blocked
            ) {
                self.set_state(device, tp, State::Active);
                self.request(device, tp as u8);
            }
        }
    }

    /// Outlook only: every third-party connection is blocked; pending
    /// prompts are cancelled; some people set up Outlook.
    fn block_all(&mut self, devices: &[u32]) {
        let tp = App::ThirdParty.slot();
        for &device in devices {
            let h = self.hot[device as usize];
            if matches!(h.conn[tp].state, State::Empty | State::Blocked) {
                continue;
            }
            self.cancel_flow(device);
            self.set_state(device, tp, State::Blocked);
            if h.conn[App::Outlook.slot()].state != State::Empty {
                continue; // mail still reaches this device through Outlook
            }
            self.start_block(device, Cohort::Existing);
        }
    }

    /// A third-party connection was just blocked: the person waits for mail
    /// and, with probability `blocked_switch`, sets up Outlook later.
    fn start_block(&mut self, device: u32, cohort: Cohort) {
        let (flow, plan) = self.start_flow(device);
        let outcome = if plan.switch {
            Outcome::Switched
        } else {
            Outcome::Blocked
        };
        self.open_episode(device, cohort, outcome);
        if plan.switch {
            self.schedule(self.now + plan.switch_delay, Event::OutlookReady { device, flow });
        }
    }

    /// Prompt-once does not prompt previously configured connections: their
    /// devices count as prompted, as under a prompt-once policy in force at t=0.
    fn exempt_configured(&mut self, devices: &[u32]) {
        for &device in devices {
            if self.hot[device as usize].conn[App::ThirdParty.slot()].state != State::Empty {
                self.devices[device as usize].flags |= PROMPTED;
            }
        }
    }

    /// Prompt-always: every existing third-party connection's turn comes
    /// within the wave window.
    fn start_wave(&mut self, tenant: u32, change: usize, devices: &[u32]) {
        let epoch = self.tenants[tenant as usize].wave_epoch;
        let global = self.tenants[tenant as usize].global as u64;
        for &device in devices {
            let d = self.devices[device as usize];
            if self.hot[device as usize].conn[App::ThirdParty.slot()].state != State::Active || d.flags & IN_FLOW != 0 {
                continue;
            }
            let mut rng = self
                .streams
                .stream(Purpose::Wave, (global << 32) | d.uid as u64, change as u64);
            let at = self.now + self.sc.behavior.wave.sample(&mut rng);
            self.schedule(at, Event::Wave { device, epoch });
        }
    }
}
