//! One evaluator pool's share of the population, simulated on its own clock.
//!
//! Pools share nothing (a tenant's requests only ever reach its own pool),
//! so each pool of each replication is an independent simulation; the run
//! combines their results with `merge`. Within a pool, state lives in flat
//! arrays of small records indexed by `u32`, and events are small `Copy`
//! values naming an index, so the event loop never allocates.

use super::decide::{self, Access};
pub use super::draws::PROMPT_TIMEOUT;
use super::draws::{DAY_US, FlowPlan, exp_gap};
use super::evaluator::{Evaluator, Request};
use super::population::Plan;
use super::{App, Policy};
use crate::engine::memory::prefetch;
use crate::engine::{EventQueue, Progress, Purpose, SimTime, Streams};
use crate::scenario::Scenario;
use crate::stats::delay::{cell_index, cell_key, with_outcome};
use crate::stats::series::WaitRecorder;
use crate::stats::week::WeekKind;
use crate::stats::{Cohort, Counters, Outcome, PoolStats, SyncDelays, TimeSeries};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

mod block;
mod changes;
mod clocked;
mod connections;
mod episodes;
mod event_loop;
mod prompt;
mod requests;
mod setup;
pub mod wire;

pub use wire::{Kind, Observer, Quiet, WireEvent};

const NONE: u32 = u32::MAX;

// Device flags.
/// The device has had a prompt (what prompt-once remembers).
const PROMPTED: u8 = 1;
/// A prompt is under way and its user has not answered: its email, the
/// answer or the 24 h timeout is still to come, and those events carry
/// `Device::flow`. A switch or a re-add cancels it (`cancel_flow`).
const IN_FLOW: u8 = 2;
/// Outlook is being set up on the device: the person chose it (after a
/// prompt or a block) and no switch or re-add stops it.
const OUTLOOK_PENDING: u8 = 4;
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

impl State {
    /// The state the shared rules (`model::decide`) give a connection.
    fn of(access: Access) -> State {
        match access {
            Access::Allow => State::Active,
            Access::Quarantine => State::Quarantined,
            Access::Block => State::Blocked,
        }
    }

    /// The rules' view of the state, or `None` for an empty slot.
    fn access(self) -> Option<Access> {
        match self {
            State::Empty => None,
            State::Active => Some(Access::Allow),
            State::Quarantined => Some(Access::Quarantine),
            State::Blocked => Some(Access::Block),
        }
    }
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
    /// Index of the device's mode in `devices.modes` (0 without modes).
    mode: u8,
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
    /// Index of the tenant's zone clock in `Plan::clocks` (`NO_CLOCK` without a calendar).
    clock: u32,
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
    /// The user answers the prompt with Outlook and starts setting it up.
    Choose { device: u32, flow: u16 },
    /// Outlook is set up on the device (after a prompt or a block); `flow`
    /// keys the draws of the flow that led to it. Never cancelled.
    OutlookReady { device: u32, flow: u16 },
    /// The person removes the left-over third-party connection of this
    /// generation. Never cancelled by a switch.
    Abandon { device: u32, generation: u16 },
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

/// The state of one pool's simulation; `O` hears every request and
/// control step (see [`wire`]), [`Quiet`] in a plain run.
pub struct PoolSim<'a, O: Observer = Quiet> {
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
    /// The calendar and device modes; `None` for scenarios with neither.
    clocked: Option<Box<clocked::Clocked>>,
    observer: O,
}

fn bucket_of(t: SimTime, width: SimTime, buckets: usize) -> usize {
    ((t.0 / width.0) as usize).min(buckets - 1)
}
