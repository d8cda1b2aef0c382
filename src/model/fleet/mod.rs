//! The fast engine: one evaluator pool's share of the population, with the
//! connections nothing is happening to simulated in aggregate.
//!
//! Almost every request comes from a connection nothing is happening to: it
//! polls, is evaluated (or not, in an unmanaged tenant) and nothing changes.
//! With exponential poll intervals, the polls of all such connections of a
//! pool in one state form a Poisson process at their count over the mean
//! interval (a superposition of independent Poisson processes), and a
//! connection that changes state leaves one such stream and, memoryless,
//! has its next poll redrawn. So:
//!
//! - a connection is **quiet** (in a class) or **individual** (its polls are
//!   events of its own). It is individual while its state has changed since
//!   its last poll (its next poll still comes at the old state's interval:
//!   "a device learns its state at its next request"), while it can sync and
//!   its device waits for mail (the sync ends the wait, so it must be known
//!   whose it is), and always when its state's interval is not exponential;
//! - quiet polls of managed tenants are one arrival stream per pool at the
//!   summed rate (`quiet.rs`), each evaluated with no device record at all;
//!   quiet polls of unmanaged tenants need no event: a Poisson count per
//!   time bucket;
//! - the evaluator is a Kiefer–Wolfowitz recursion (`servers.rs`): a heap of
//!   server free times, waits known at arrival, no completion events;
//! - a quiet device is a byte (`state`: its app slots, the prompt-once
//!   memory) and its flow counter; tenants and users are ranges; a device
//!   something is happening to has a `Track` record in a map sized by the
//!   devices in a flow, not by the fleet;
//! - a prompt-always wave draws its turns in time order (order statistics)
//!   and gives them to the eligible devices in a keyed random order, with a
//!   bit per device, instead of an event per device.
//!
//! The rules are those of the per-connection engine (`model::sim`, the
//! reference), file by file; the draws people make are keyed identically
//! (`model::draws`), so both engines simulate the same population, the same
//! arrivals and the same answers. The sample path of polls, service times
//! and wave turns differs; their distributions do not. A quiet request
//! still in flight when a connection of its class changes state may be
//! that connection's: `in_flight.rs` decides whose it was, so that it is
//! judged at completion, as the reference does.

use super::draws::{ArrivalDraws, DAY_US, FlowPlan, PROMPT_TIMEOUT};
use super::population::Plan;
use super::sim::PoolResult;
use super::{App, Policy};
use crate::engine::memory::{self, prefetch};
use crate::engine::{EventQueue, Progress, Purpose, SimTime, Streams};
use crate::scenario::{Dist, Scenario};
use crate::stats::delay::{cell_index, cell_key, with_outcome};
use crate::stats::series::WaitRecorder;
use crate::stats::{Cohort, Counters, Outcome, SyncDelays, TimeSeries};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use servers::{Servers, Verdict};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;

mod block;
mod changes;
mod connections;
mod episodes;
mod event_loop;
mod in_flight;
mod prompt;
mod quiet;
mod requests;
pub mod servers;
mod setup;
mod tracks;
mod users;
mod wave;

const NONE: u32 = u32::MAX;
/// log2 of the devices per block of `FleetSim::tenant_block`.
const TENANT_BLOCK: u32 = 8;

// The state byte of every device.
/// The third-party slot's state: `State as u8` (Empty, Active, Quarantined, Blocked).
const TP: u8 = 0b11;
/// An Outlook connection is present (Outlook connections are always active,
/// and once present never leave: it is also "the device's most recent app").
const OUTLOOK: u8 = 4;
/// The device has had a prompt (what prompt-once remembers).
const PROMPTED: u8 = 8;
/// The device has a `Track` record.
const TRACKED: u8 = 16;
/// The device's turn in its tenant's running prompt-always wave is to come.
const WAVE: u8 = 32;

// Track flags.
/// A prompt is under way and its user has not answered (as `sim::IN_FLOW`).
const IN_FLOW: u8 = 1;
/// Outlook is being set up: the person chose it (as `sim::OUTLOOK_PENDING`).
const OUTLOOK_PENDING: u8 = 2;
/// Slot `s`'s connection polls individually: `INDIVIDUAL << s`.
const INDIVIDUAL: u8 = 4;

/// Where a connection stands (the two low bits of the third-party slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum State {
    /// No connection in this slot.
    Empty = 0,
    /// Syncs at each allowed request.
    Active = 1,
    /// Requests answered, no data moves (prompt flow).
    Quarantined = 2,
    /// Outlook-only: never syncs.
    Blocked = 3,
}

impl State {
    fn of_bits(bits: u8) -> State {
        match bits & TP {
            0 => State::Empty,
            1 => State::Active,
            2 => State::Quarantined,
            _ => State::Blocked,
        }
    }

    /// Class index of a live connection: 1 polls at `poll_interval`, 0 at
    /// `quarantined_poll_interval`.
    fn class(self) -> usize {
        (self == State::Active) as usize
    }
}

/// What the fast engine keeps of a device something is happening to.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// The device's tenant (local index).
    tenant: u32,
    /// Generation of each slot's connection, for events that name one.
    generation: [u16; 2],
    /// `IN_FLOW`, `OUTLOOK_PENDING`, `INDIVIDUAL << slot`.
    flags: u8,
    /// Open sync-delay episodes: the first two here, more in `more_episodes`.
    episodes: u8,
    episode_cell: [u8; 2],
    episode_start: [SimTime; 2],
    /// Events in the queue that name this record's generations (polls and
    /// completions): the record stays while any is pending.
    pending: u32,
}

/// A tenant's range of the pool's users and devices, and its state.
struct Tenant {
    global: u32,
    policy: Policy,
    first_user: u32,
    users: u32,
    /// Its devices at t=0 are `first_device..first_device + initial_devices`.
    first_device: u32,
    initial_devices: u32,
    /// Devices ever made (the next device's `uid`).
    devices_made: u32,
    /// Its devices activated since t=0, oldest first.
    activated: Vec<u32>,
    arrivals: u64,
    wave_epoch: u16,
    /// Activations plus re-adds per microsecond, over all users.
    arrival_rate: f64,
    activation_share: f64,
    third_party_share: f64,
    group: u32,
    /// When it switched between managed and unmanaged, in order, and the
    /// last of them (zero if none): looked at on every in-flight claim.
    managed_switches: Vec<SimTime>,
    last_managed_switch: SimTime,
    /// Its running prompt-always wave, if any.
    /// Boxed: a wave holds its own RNG, and tenants are searched by range.
    wave: Option<Box<wave::Wave>>,
}

impl Tenant {
    fn managed(&self) -> bool {
        self.policy != Policy::Unmanaged
    }

    /// The number of devices it has.
    fn device_count(&self) -> u32 {
        self.initial_devices + self.activated.len() as u32
    }

    /// Its `i`-th device, oldest first.
    fn device(&self, i: u32) -> u32 {
        if i < self.initial_devices {
            self.first_device + i
        } else {
            self.activated[(i - self.initial_devices) as usize]
        }
    }
}

/// A device activated after t=0.
#[derive(Clone, Copy, Debug)]
struct Activated {
    tenant: u32,
    uid: u32,
    /// The same user's previously activated device, or NONE.
    next: u32,
}

/// What happens to devices something is happening to, as small records.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// An individual connection's poll.
    Poll { device: u32, slot: u8, generation: u16 },
    /// An individual request's evaluation completes.
    EvalDone { device: u32, slot: u8, generation: u16 },
    /// The next activation or re-add in a tenant.
    Arrival { tenant: u32 },
    /// A scheduled policy change reaches a tenant.
    Change { tenant: u32, change: u16 },
    /// The next turn of a tenant's prompt-always wave.
    WaveTurn { tenant: u32, epoch: u16 },
    /// The prompt email arrives.
    Deliver { device: u32, flow: u16 },
    /// Quarantine ends: the user kept the app, or 24 h passed.
    Release { device: u32, flow: u16 },
    /// The user answers the prompt with Outlook and starts setting it up.
    Choose { device: u32, flow: u16 },
    /// Outlook is set up on the device; never cancelled.
    OutlookReady { device: u32, flow: u16 },
    /// The person removes the left-over third-party connection. Its
    /// generation needs no check: once Outlook is on a device, re-adds there
    /// re-add Outlook, so only this removal ends that connection.
    Abandon { device: u32 },
}

impl Event {
    /// The device the event names, if it names one.
    #[inline]
    fn device(&self) -> Option<u32> {
        match *self {
            Event::Poll { device, .. }
            | Event::EvalDone { device, .. }
            | Event::Deliver { device, .. }
            | Event::Release { device, .. }
            | Event::Choose { device, .. }
            | Event::OutlookReady { device, .. }
            | Event::Abandon { device } => Some(device),
            Event::Arrival { .. } | Event::Change { .. } | Event::WaveTurn { .. } => None,
        }
    }
}

/// A multiplicative hash for `u32` keys: device numbers are not chosen by
/// an adversary, and SipHash would cost more than the lookup.
#[derive(Default, Clone, Copy)]
struct DeviceHasher(u64);

impl Hasher for DeviceHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ 0x5bd1_e995).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64 ^ 0x5bd1_e995).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type DeviceMap<V> = HashMap<u32, V, BuildHasherDefault<DeviceHasher>>;

/// The state of one pool's simulation on the fast engine.
pub struct FleetSim<'a> {
    sc: &'a Scenario,
    streams: Streams,
    pool: u32,
    now: SimTime,
    queue: EventQueue<Event>,
    /// The pool's draws: quiet streams and counts, intervals, service times.
    /// Three or more per evaluation, so a xoshiro generator (seeded from the
    /// pool's ChaCha stream): a third of ChaCha8's cost per draw.
    rng: Xoshiro256PlusPlus,
    tenants: Vec<Tenant>,
    /// Each tenant's `first_device`, apart: searched on every event that
    /// names a device, it stays in cache where `tenants` would not.
    tenant_first: Vec<u32>,
    /// For each block of `1 << TENANT_BLOCK` devices at t=0, the tenant of
    /// its first device: a search for a device's tenant starts there, among
    /// a handful, not among all the pool's tenants (a miss at every level).
    tenant_block: Vec<u32>,
    /// Each device's state byte (`TP`, `OUTLOOK`, `PROMPTED`, `TRACKED`, `WAVE`).
    state: Vec<u8>,
    /// Each device's flow counter (as `sim::Device::flow`).
    flow: Vec<u16>,
    /// Devices something is happening to.
    tracks: tracks::Tracks,
    /// Devices activated after t=0 (device `initial + i` is `activated[i]`).
    activated: Vec<Activated>,
    /// Devices at t=0.
    initial: u32,
    users: users::Users,
    /// The latest activated device of each user that has one.
    user_activated: DeviceMap<u32>,
    quiet: quiet::Quiet,
    servers: Servers,
    counters: Counters,
    delays: SyncDelays,
    series: TimeSeries,
    waits: WaitRecorder,
    /// Waits of evaluations completing in a later bucket than the current one.
    later_waits: Vec<(u32, u64)>,
    bucket: usize,
    bucket_end: SimTime,
    quarantined: u64,
    blocked: u64,
    /// Quiet requests that may outlive a change (`in_flight.rs`).
    in_flight: in_flight::Kept,
    /// When connections joined their class, while a request from before
    /// can be in flight (`in_flight::connection_key`).
    joined: HashMap<u64, SimTime, BuildHasherDefault<DeviceHasher>>,
    /// The joins in `joined`, oldest first, to forget them in order.
    join_order: std::collections::VecDeque<(SimTime, u64)>,
    /// Open episodes of a device beyond its two slots (several re-adds during
    /// one wait): rare, so kept aside rather than in every record.
    more_episodes: DeviceMap<Vec<(SimTime, u8)>>,
}

fn bucket_of(t: SimTime, width: SimTime, buckets: usize) -> usize {
    ((t.0 / width.0) as usize).min(buckets - 1)
}

fn slot_bits(state: u8, slot: usize) -> State {
    if slot == App::Outlook.slot() {
        if state & OUTLOOK != 0 {
            State::Active
        } else {
            State::Empty
        }
    } else {
        State::of_bits(state)
    }
}

impl<'a> FleetSim<'a> {
    /// The state of `slot`'s connection of `device`.
    #[inline]
    fn slot_state(&self, device: u32, slot: usize) -> State {
        slot_bits(self.state[device as usize], slot)
    }

    fn is_tracked(&self, device: u32) -> bool {
        self.state[device as usize] & TRACKED != 0
    }

    fn track(&self, device: u32) -> Option<&Track> {
        if self.is_tracked(device) {
            self.tracks.get(device)
        } else {
            None
        }
    }

    fn track_mut(&mut self, device: u32) -> &mut Track {
        self.tracks.get_mut(device).expect("a tracked device has a record")
    }

    fn flags(&self, device: u32) -> u8 {
        self.track(device).map_or(0, |t| t.flags)
    }

    /// The device's tenant (local index).
    fn tenant_of(&self, device: u32) -> u32 {
        if device >= self.initial {
            return self.activated[(device - self.initial) as usize].tenant;
        }
        let b = (device >> TENANT_BLOCK) as usize;
        let lo = self.tenant_block[b] as usize;
        let hi = self
            .tenant_block
            .get(b + 1)
            .map_or(self.tenant_first.len(), |&t| t as usize + 1);
        let i = self.tenant_first[lo..hi].partition_point(|&first| first <= device);
        (lo + i - 1) as u32
    }

    fn uid_of(&self, device: u32) -> u32 {
        if device >= self.initial {
            return self.activated[(device - self.initial) as usize].uid;
        }
        device - self.tenants[self.tenant_of(device) as usize].first_device
    }

    /// The device's record, made now if it has none: its present
    /// connections stay quiet until something moves them.
    fn ensure_tracked(&mut self, device: u32) -> &mut Track {
        if !self.is_tracked(device) {
            let tenant = self.tenant_of(device);
            self.state[device as usize] |= TRACKED;
            self.tracks.insert(
                device,
                Track {
                    tenant,
                    generation: [0; 2],
                    flags: 0,
                    episodes: 0,
                    episode_cell: [0; 2],
                    episode_start: [SimTime::ZERO; 2],
                    pending: 0,
                },
            );
        }
        self.track_mut(device)
    }

    /// Drops the record of a device nothing is happening to any more: no
    /// flow, no open wait, no individual connection, no event naming it.
    fn maybe_untrack(&mut self, device: u32) {
        if let Some(t) = self.track(device)
            && t.pending == 0
            && t.episodes == 0
            && t.flags == 0
        {
            self.tracks.remove(device);
            self.state[device as usize] &= !TRACKED;
        }
    }

    /// Whether `slot`'s connection of `device` is quiet (in a class).
    fn in_class(&self, device: u32, slot: usize) -> bool {
        self.slot_state(device, slot) != State::Empty && self.flags(device) & (INDIVIDUAL << slot) == 0
    }

    fn tenant_managed(&self, tenant: u32) -> bool {
        self.tenants[tenant as usize].managed()
    }

    /// Schedules an event unless it falls at or after the horizon, where it
    /// could never run; true if scheduled.
    #[inline]
    fn schedule(&mut self, at: SimTime, event: Event) -> bool {
        if at < self.sc.horizon {
            self.queue.push(at, event);
            true
        } else {
            false
        }
    }

    /// Schedules an event that names the device's record, which then stays.
    fn schedule_pending(&mut self, device: u32, at: SimTime, event: Event) {
        if self.schedule(at, event) {
            self.track_mut(device).pending += 1;
        }
    }

    /// The interval distribution of a connection in `state`.
    fn interval(&self, state: State) -> &'a Dist {
        let d = &self.sc.devices;
        if state == State::Active {
            &d.poll_interval
        } else {
            &d.quarantined_poll_interval
        }
    }

    /// A poll interval for a connection in `state` (at least 1 µs, so that a
    /// zero draw cannot stall the clock).
    fn poll_gap(&mut self, state: State) -> SimTime {
        self.interval(state).sample_fast(&mut self.rng).max(SimTime(1))
    }
}
