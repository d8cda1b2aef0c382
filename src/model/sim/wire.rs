//! What a pool's simulation says on the wire: every evaluated request and
//! every control step (policy changes, prompt emails, user choices) at its
//! simulated instant, for a load generator to replay against a live service.
//!
//! The simulator calls an [`Observer`] where each of these happens. Runs
//! without one use [`Quiet`], whose `ACTIVE` is false: every call site is
//! behind `if O::ACTIVE`, so the hot path compiles to what it was.

use super::State;
use crate::engine::SimTime;
use crate::model::decide::{Access, Choice};
use crate::model::{App, Policy};

/// What kind of request a connection sends (the service's `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular poll.
    Poll,
    /// A sync the server pushes (a release or a timeout: "syncs at once").
    Push,
    /// The first request of a new connection: a new device, or Outlook set up.
    Activation,
    /// The first request of a re-added connection on a device already known.
    Readd,
}

impl Kind {
    /// The key the service's API uses.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Poll => "poll",
            Kind::Push => "push",
            Kind::Activation => "activation",
            Kind::Readd => "readd",
        }
    }
}

/// One thing the simulation does that a live service would see or must be told.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WireEvent {
    /// A connection's request reaches the evaluator (managed tenants only),
    /// with the model's decision: the connection's state at this instant.
    Request {
        /// Tenant number across all groups.
        tenant: u32,
        /// Device index within the pool.
        device: u32,
        /// The connection's app.
        app: App,
        /// What kind of request.
        kind: Kind,
        /// What the model says about the connection now.
        decision: Access,
    },
    /// A tenant's policy changes (not MDM tenants: their changes never run).
    Policy {
        /// Tenant number across all groups.
        tenant: u32,
        /// The new policy.
        policy: Policy,
    },
    /// A wave turn's prompt email arrives: the connection loses access now.
    Prompt {
        /// Tenant number across all groups.
        tenant: u32,
        /// Device index within the pool.
        device: u32,
    },
    /// A user answers the prompt pending on the device's third-party connection.
    Choice {
        /// Tenant number across all groups.
        tenant: u32,
        /// Device index within the pool.
        device: u32,
        /// Keep the app, or set up Outlook (ignoring is doing nothing).
        choice: Choice,
    },
    /// A connection's state changes in the model (what the service would
    /// decide now changes): used to tell a race from a wrong decision.
    Transition {
        /// Device index within the pool.
        device: u32,
        /// The connection's app.
        app: App,
        /// The new state; `None` when the connection is gone.
        access: Option<Access>,
    },
}

/// Receives a pool simulation's wire events, in time order.
pub trait Observer {
    /// Whether the simulator should report at all; `false` compiles the
    /// reporting out.
    const ACTIVE: bool;
    /// One event at simulated instant `at`.
    fn on(&mut self, at: SimTime, event: WireEvent);
}

/// No observer: a plain run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn on(&mut self, _: SimTime, _: WireEvent) {}
}

/// An observer lent to a simulation, so that its owner gets it back after the run.
impl<T: Observer> Observer for &mut T {
    const ACTIVE: bool = T::ACTIVE;
    #[inline(always)]
    fn on(&mut self, at: SimTime, event: WireEvent) {
        (**self).on(at, event)
    }
}

/// What the service answers about a connection in `state`.
pub(super) fn access_of(state: State) -> Option<Access> {
    match state {
        State::Empty => None,
        State::Active => Some(Access::Allow),
        State::Quarantined => Some(Access::Quarantine),
        State::Blocked => Some(Access::Block),
    }
}
