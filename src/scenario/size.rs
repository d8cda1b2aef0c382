//! The expected size of a scenario (`mailsim validate`): population, events
//! and memory, without running it.
//!
//! Events are estimated per group and per band of the rollout order (the
//! tenants that see the same policy changes). Outlook connections and the
//! arrivals are counted in closed form. Each third-party connection's life
//! (polling active or held, prompts, blocks, Outlook set-ups, removal of the
//! left-over app) is followed through the band's policy changes for a few
//! hundred sampled connections, with the scenario's own distributions and a
//! fixed seed, so the estimate is the same every time. It leaves out the
//! queue (a rejected request has no completion; the estimate only caps
//! completions at the evaluators' capacity), re-adds of Outlook and second
//! prompts on one device.

use super::{Change, Choice, Dist, Policy, Scenario, TenantGroup};
use crate::engine::{Engine, SimTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Sampled third-party connections per band and kind of connection.
const SAMPLES: usize = 400;
/// Memory that does not grow with the population: the binary, histograms,
/// time series and thread stacks.
const FIXED_BYTES: f64 = 24e6;
/// Memory per connection of the pools in memory at once on the
/// per-connection engine: device records, pending events and the spare room
/// of the event queue's buckets. Measured on scenarios/scale.toml (8 pools)
/// at 256k and 1M connections: 74 B per connection of the population on one
/// thread, 105 B on two, that is 600 and 420 B per connection of the pools
/// in memory.
const BYTES_PER_CONNECTION: f64 = 500.0;
/// The same on the fast engine: a state byte and a flow counter per device,
/// the users' ranges, and the records and events of the devices something
/// is happening to.
const BYTES_PER_CONNECTION_FAST: f64 = 24.0;

/// The expected size of a scenario, for `validate` and for sizing buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    /// Tenants across all groups.
    pub tenants: u64,
    /// Expected users.
    pub users: f64,
    /// Expected connections at t=0.
    pub connections: f64,
    /// Expected connections by the horizon (activations add devices, and
    /// Outlook set-ups add connections).
    pub connections_end: f64,
    /// Expected events of one replication on the per-connection engine.
    pub events: f64,
    /// Expected events of one replication on the fast engine: every
    /// evaluated request (a quiet poll of a managed tenant is an event of
    /// its pool's stream) and every event of a flow; quiet polls of
    /// unmanaged tenants are counted, not simulated.
    pub events_fast: f64,
}

impl Size {
    /// Expected events of one replication on `engine`.
    pub fn events_on(&self, engine: Engine) -> f64 {
        match engine {
            Engine::Fast => self.events_fast,
            Engine::PerConnection => self.events,
        }
    }

    /// Expected peak memory of a run on `threads` threads of `engine`, in
    /// bytes: each thread holds one pool (of one replication) at a time.
    pub fn memory_bytes(&self, sc: &Scenario, threads: usize, engine: Engine) -> f64 {
        let pools = sc.evaluator.pools as f64;
        let at_once = (threads as f64).min(pools * sc.replications as f64).max(1.0);
        let per_connection = match engine {
            Engine::Fast => BYTES_PER_CONNECTION_FAST,
            Engine::PerConnection => BYTES_PER_CONNECTION,
        };
        FIXED_BYTES + per_connection * self.connections_end * (at_once / pools).min(sc.replications as f64)
    }
}

/// What one connection's life, or a whole band, costs in events.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    /// Polls (events).
    polls: f64,
    /// Requests that need an evaluation: each completion is an event.
    evaluations: f64,
    /// Every other event: arrivals, changes, waves, prompt steps, set-ups.
    other: f64,
    /// Outlook connections set up.
    setups: f64,
}

impl Cost {
    fn add(&mut self, o: Cost, times: f64) {
        self.polls += o.polls * times;
        self.evaluations += o.evaluations * times;
        self.other += o.other * times;
        self.setups += o.setups * times;
    }
}

impl TenantGroup {
    /// Bands of the rollout order: (share of the group's tenants, the
    /// changes they see). Tenants ranked in (lo, hi] see exactly the changes
    /// whose share exceeds lo, because stages nest.
    pub fn bands(&self) -> Vec<(f64, Vec<&Change>)> {
        let mut edges: Vec<f64> = self.changes.iter().map(|c| c.share).chain([0.0, 1.0]).collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        edges
            .windows(2)
            .map(|band| {
                (
                    band[1] - band[0],
                    self.changes.iter().filter(|c| c.share > band[0]).collect(),
                )
            })
            .collect()
    }
}

/// A band's policy over time: `(from µs, policy)`, the first from 0.
type Timeline = Vec<(f64, Policy)>;

fn timeline(initial: Policy, changes: &[&Change], horizon: f64) -> Timeline {
    let mut t = vec![(0.0, initial)];
    t.extend(
        changes
            .iter()
            .filter(|c| (c.at.0 as f64) < horizon)
            .map(|c| (c.at.0 as f64, c.policy)),
    );
    t
}

/// The evaluations a connection polling every `interval` from `a` to `b`
/// needs, and the polls themselves, on the timeline.
fn polling(tl: &Timeline, horizon: f64, a: f64, b: f64, interval: f64) -> Cost {
    let mut c = Cost::default();
    for (i, &(from, policy)) in tl.iter().enumerate() {
        let to = tl.get(i + 1).map_or(horizon, |s| s.0);
        let span = (to.min(b) - from.max(a)).max(0.0);
        c.polls += span / interval;
        if policy != Policy::Unmanaged {
            c.evaluations += span / interval;
        }
    }
    c
}

/// The mean remaining wait for a poll when observed at a random instant:
/// E[X²] / 2E[X].
fn mean_residual_us(d: &Dist) -> f64 {
    match *d {
        Dist::Fixed(v) => v.0 as f64 / 2.0,
        Dist::Uniform { min, max } => {
            let (a, b) = (min.0 as f64, max.0 as f64);
            if a + b == 0.0 {
                0.0
            } else {
                (a * a + a * b + b * b) / (3.0 * (a + b))
            }
        }
        Dist::Exponential { mean } => mean,
        Dist::LogNormal { mu, sigma } => (mu + 1.5 * sigma * sigma).exp() / 2.0,
    }
}

/// How a third-party connection came to be.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Configured before t=0.
    Configured,
    /// A new device's activation.
    Activation,
    /// A re-add on a device that was prompted before (or exempt).
    Readd,
}

/// One sampled connection's pending steps.
#[derive(Clone, Copy)]
enum Step {
    Change(usize),
    Wave(u32),
    Deliver(u32),
    Release(u32),
    Choose(u32),
    Ready(Option<f64>),
    Abandon,
}

/// Follows sampled third-party connections through a band's timeline, by
/// the rules of SPEC §1 in brief.
struct Lives<'a> {
    tl: &'a Timeline,
    horizon: f64,
    poll: f64,
    held_poll: f64,
    lag: f64,
    choice: Choice,
    sc: &'a Scenario,
    rng: ChaCha8Rng,
}

impl Lives<'_> {
    fn sample(&mut self, d: &Dist) -> f64 {
        d.sample(&mut self.rng).0 as f64
    }

    /// The cost of one third-party connection from `t0` to the horizon.
    fn life(&mut self, t0: f64, kind: Kind) -> Cost {
        let (horizon, tl, sc) = (self.horizon, self.tl, self.sc);
        let b = &sc.behavior;
        let mut cost = Cost::default();
        let mut steps: Vec<(f64, Step)> = Vec::new();
        let step_at = |steps: &mut Vec<(f64, Step)>, cost: &mut Cost, at: f64, s: Step| {
            // Every event scheduled before the horizon is processed once,
            // even if it finds its flow cancelled.
            if at < horizon {
                steps.push((at, s));
                cost.other += 1.0;
            }
        };
        let mut k = tl.iter().rposition(|s| s.0 <= t0).unwrap_or(0);
        let mut policy = tl[k].1;
        for (j, s) in tl.iter().enumerate().skip(k + 1) {
            steps.push((s.0, Step::Change(j)));
        }
        // State: held (quarantined or blocked) polls at the held interval
        // from `lag_until`; gone polls no more.
        let (mut held, mut gone, mut lag_until) = (false, false, t0);
        let (mut outlook, mut outlook_pending, mut in_flow, mut flow, mut epoch) = (false, false, false, 0u32, 0u32);
        let mut plan = (0.0, Step::Release(0));
        let mut now = t0;
        let managed = |p: Policy| p != Policy::Unmanaged;

        // Starts a prompt: the email, then the answer or the 24 h timeout.
        macro_rules! prompt {
            () => {{
                in_flow = true;
                flow += 1;
                let mail = self.sample(&sc.devices.mail_delivery);
                let u: f64 = self.rng.r#gen();
                let reaction = self.sample(&b.reaction);
                plan = if reaction >= SimTime::DAY.0 as f64 || u >= self.choice.outlook + self.choice.third_party {
                    (SimTime::DAY.0 as f64, Step::Release(flow))
                } else if u < self.choice.outlook {
                    (reaction, Step::Choose(flow))
                } else {
                    (reaction, Step::Release(flow))
                };
                step_at(&mut steps, &mut cost, now + mail, Step::Deliver(flow));
            }};
        }
        macro_rules! set_up {
            ($after:expr) => {{
                if !outlook {
                    outlook_pending = true;
                }
                let abandon = b.abandon_after.as_ref().map(|d| d.sample(&mut self.rng).0 as f64);
                step_at(&mut steps, &mut cost, now + $after, Step::Ready(abandon));
            }};
        }
        macro_rules! block {
            () => {{
                if !outlook && !outlook_pending && self.rng.r#gen::<f64>() < b.blocked_switch {
                    let delay = self.sample(&b.blocked_switch_delay);
                    set_up!(delay);
                }
            }};
        }
        macro_rules! request {
            () => {
                cost.evaluations += managed(policy) as u8 as f64
            };
        }

        match (kind, policy) {
            (Kind::Configured, Policy::OutlookOnly) => held = true, // blocked long ago
            (Kind::Configured, _) | (_, Policy::Unmanaged) => {}
            (_, Policy::OutlookOnly) => {
                held = true;
                block!();
            }
            // A new device has not been prompted; a re-add's device has (or is exempt).
            (Kind::Readd, Policy::AnyAppPromptOnce) => {}
            _ => {
                held = true;
                prompt!();
            }
        }
        loop {
            let next = steps
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
                .map(|(i, s)| (i, s.0));
            let until = next.map_or(horizon, |n| n.1.min(horizon));
            // Polls up to the next step.
            if !gone {
                if held {
                    let switch = lag_until.clamp(now, until);
                    cost.add(polling(tl, horizon, now, switch, self.poll), 1.0);
                    cost.add(polling(tl, horizon, switch, until, self.held_poll), 1.0);
                } else {
                    cost.add(polling(tl, horizon, now, until, self.poll), 1.0);
                }
            }
            if outlook {
                cost.add(polling(tl, horizon, now, until, self.poll), 1.0);
            }
            let Some((i, at)) = next else { break };
            if at >= horizon {
                break;
            }
            now = at;
            let (_, step) = steps.swap_remove(i);
            match step {
                Step::Change(j) => {
                    k = j;
                    let (old, new) = (policy, tl[k].1);
                    policy = new;
                    if old == new {
                        continue;
                    }
                    epoch += 1;
                    match new {
                        Policy::Unmanaged => {
                            in_flow = false;
                            if held && !gone {
                                held = false;
                                request!();
                            }
                        }
                        Policy::OutlookOnly => {
                            in_flow = false;
                            if !gone {
                                if !held {
                                    held = true;
                                    lag_until = now + self.lag;
                                }
                                block!();
                            }
                        }
                        _ => {
                            if old == Policy::OutlookOnly && held && !gone {
                                held = false;
                                request!();
                            }
                            if new == Policy::AnyAppPromptAlways && !held && !gone && !in_flow {
                                let wave = self.sample(&b.wave);
                                step_at(&mut steps, &mut cost, now + wave, Step::Wave(epoch));
                            }
                        }
                    }
                }
                Step::Wave(e) if policy == Policy::AnyAppPromptAlways && e == epoch && !held && !gone && !in_flow => {
                    prompt!();
                }
                Step::Deliver(f) if in_flow && f == flow && !gone => {
                    if !held {
                        held = true;
                        lag_until = now + self.lag;
                    }
                    step_at(&mut steps, &mut cost, now + plan.0, plan.1);
                }
                Step::Release(f) if in_flow && f == flow => {
                    in_flow = false;
                    if held && !gone {
                        held = false;
                        request!();
                    }
                }
                Step::Choose(f) if in_flow && f == flow => {
                    in_flow = false;
                    let setup = self.sample(&b.outlook_setup);
                    set_up!(setup);
                }
                Step::Ready(abandon) => {
                    outlook_pending = false;
                    if !outlook {
                        outlook = true;
                        cost.setups += 1.0;
                        request!();
                    }
                    if let Some(after) = abandon
                        && !gone
                    {
                        step_at(&mut steps, &mut cost, now + after, Step::Abandon);
                    }
                }
                Step::Abandon => gone = true,
                _ => {}
            }
        }
        cost
    }
}

impl Scenario {
    /// Expected population and event count of one replication.
    pub fn expected_size(&self) -> Size {
        let horizon = self.horizon.0 as f64;
        let poll = self.devices.poll_interval.mean_us().max(1.0);
        let held_poll = self.devices.quarantined_poll_interval.mean_us().max(1.0);
        let mut size = Size {
            tenants: 0,
            users: 0.0,
            connections: 0.0,
            connections_end: 0.0,
            events: 0.0,
            events_fast: 0.0,
        };
        let mut total = Cost::default();
        for (g_index, g) in self.groups.iter().enumerate() {
            let users = g.count as f64 * g.users.mean();
            let conns = users * g.devices_per_user.mean();
            let per_us = |per_day: f64| users * per_day / SimTime::DAY.0 as f64;
            let (activations, readds) = (per_us(g.activations_per_user_day), per_us(g.readds_per_user_day));
            let share = g.third_party_share;
            size.tenants += g.count as u64;
            size.users += users;
            size.connections += conns;
            size.connections_end += conns + activations * horizon;
            // MDM tenants stay unmanaged; the others, band by band.
            let mut bands: Vec<(f64, Timeline, usize)> = vec![(g.mdm_share, vec![(0.0, Policy::Unmanaged)], 0)];
            for (w, changes) in g.bands() {
                let changes_seen = changes.iter().filter(|c| (c.at.0 as f64) < horizon).count();
                bands.push((
                    (1.0 - g.mdm_share) * w,
                    timeline(g.policy, &changes, horizon),
                    changes_seen,
                ));
            }
            for (b_index, (weight, tl, changes_seen)) in bands.into_iter().enumerate() {
                if weight <= 0.0 {
                    continue;
                }
                let mut band = Cost::default();
                band.other += g.count as f64 * changes_seen as f64;
                // Outlook connections, at t=0 and activated, poll throughout.
                let outlook = polling(&tl, horizon, 0.0, horizon, poll);
                let grown = |c: Cost| Cost {
                    polls: c.polls * conns,
                    evaluations: c.evaluations * conns,
                    ..c
                };
                band.add(grown(outlook), 1.0 - share);
                for (from, to) in tl
                    .iter()
                    .map(|s| s.0)
                    .zip(tl.iter().skip(1).map(|s| s.0).chain([horizon]))
                {
                    // Connections activated in [from, to) poll from their
                    // activation: on average from the middle.
                    let c = polling(&tl, horizon, from, to, poll);
                    let added = activations * (from + to) / 2.0;
                    band.polls += (1.0 - share) * added * c.polls;
                    band.evaluations += (1.0 - share) * added * c.evaluations;
                }
                // Arrivals (activations and re-adds) and their first request.
                let arrivals = (activations + readds) * horizon;
                band.other += arrivals;
                band.evaluations += (activations + readds) * polling(&tl, horizon, 0.0, horizon, 1.0).evaluations;
                // Third-party connections, sampled.
                let mut lives = Lives {
                    tl: &tl,
                    horizon,
                    poll,
                    held_poll,
                    lag: mean_residual_us(&self.devices.poll_interval),
                    choice: self.behavior.choice,
                    sc: self,
                    rng: ChaCha8Rng::seed_from_u64(self.seed ^ ((g_index as u64) << 32) ^ b_index as u64),
                };
                let n = SAMPLES as f64;
                for i in 0..SAMPLES {
                    // Stratified start times for activations and re-adds.
                    let t = (i as f64 + 0.5) / n * horizon;
                    band.add(lives.life(0.0, Kind::Configured), share * conns / n);
                    band.add(lives.life(t, Kind::Activation), share * activations * horizon / n);
                    // A re-add replaces the connection: count what it adds
                    // to one that would have gone on polling.
                    let mut readd = lives.life(t, Kind::Readd);
                    let replaced = polling(&tl, horizon, t, horizon, poll);
                    readd.polls -= replaced.polls;
                    readd.evaluations -= replaced.evaluations;
                    band.add(readd, share * readds * horizon / n);
                }
                total.add(band, weight);
            }
        }
        // A pool completes at most `servers` evaluations at a time.
        let ev = &self.evaluator;
        let capacity = ev.pools as f64 * ev.servers as f64 * horizon / ev.service_time.mean_us().max(1e-9);
        size.connections_end += total.setups;
        size.events = total.polls + total.evaluations.min(capacity) + total.other;
        size.events_fast = total.evaluations + total.other;
        size
    }
}
