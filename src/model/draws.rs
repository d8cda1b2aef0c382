//! The random draws both engines share, keyed exactly as common random
//! numbers need: a person's answers to a prompt by (tenant, device, flow
//! number), a tenant's arrivals by (tenant, arrival number). Whichever
//! engine runs, and whatever the policy, the same people make the same
//! choices at the same moments of their flows.

use crate::engine::{Purpose, SimTime, Streams};
use crate::scenario::Scenario;
use crate::stats::Outcome;
use rand::Rng;

/// A prompt ignored, or answered later than this, times out (SPEC §1 step 4).
pub const PROMPT_TIMEOUT: SimTime = SimTime::DAY;

/// Microseconds in a day, for rates given per day.
pub const DAY_US: f64 = 86_400e6;

/// The draws of one prompt or block flow, reproducible from its key.
#[derive(Clone, Copy, Debug)]
pub struct FlowPlan {
    /// Mail delivery of the prompt email.
    pub mail: SimTime,
    /// How the prompt ends: `continued`, `outlook` or `timeout`.
    pub outcome: Outcome,
    /// Receipt to the person's action.
    pub reaction: SimTime,
    /// Choosing Outlook to its first sync.
    pub setup: SimTime,
    /// Outlook set up to the left-over third-party app's removal, if ever.
    pub abandon: Option<SimTime>,
    /// After a block: whether the person sets up Outlook.
    pub switch: bool,
    /// After a block: when Outlook is set up.
    pub switch_delay: SimTime,
}

impl FlowPlan {
    /// The draws of flow number `flow` of device `uid` (numbered within its
    /// tenant) of tenant `tenant` (numbered across the scenario).
    pub fn draw(sc: &Scenario, streams: &Streams, tenant: u32, uid: u32, flow: u16) -> FlowPlan {
        let entity = ((tenant as u64) << 32) | uid as u64;
        let mut rng = streams.stream(Purpose::Flow, entity, flow as u64);
        let b = &sc.behavior;
        let mail = sc.devices.mail_delivery.sample(&mut rng);
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
}

/// An exponential gap at `rate` per microsecond, truncated to whole microseconds.
pub fn exp_gap<R: Rng>(rng: &mut R, rate: f64) -> SimTime {
    SimTime((-(1.0 - rng.r#gen::<f64>()).ln() / rate).min(u64::MAX as f64 / 8.0) as u64)
}

/// The draws of a tenant's `k`-th activation or re-add.
#[derive(Clone, Copy, Debug)]
pub struct ArrivalDraws {
    /// Below the tenant's activation share: an activation, else a re-add.
    pub kind: f64,
    /// Which user (uniform over the tenant's users).
    pub user: f64,
    /// An activation's app (below the third-party share: third-party).
    pub app: f64,
    /// A re-add's device (uniform over the user's devices).
    pub device: f64,
    /// The gap to the tenant's next arrival.
    pub next_gap: SimTime,
}

impl ArrivalDraws {
    /// The first arrival's gap from t=0 for a tenant with arrivals at `rate` per µs.
    pub fn first_gap(streams: &Streams, tenant: u32, rate: f64) -> SimTime {
        exp_gap(&mut streams.stream(Purpose::Arrival, tenant as u64, 0), rate)
    }

    /// The draws of arrival number `k` of tenant `tenant` (numbered across the scenario).
    pub fn draw(streams: &Streams, tenant: u32, k: u64, rate: f64) -> ArrivalDraws {
        let mut rng = streams.stream(Purpose::Arrival, tenant as u64, k);
        // The stream's first draw was this arrival's gap, used when it was
        // scheduled; skip it so the draws below are the same in any run.
        let _this_gap = exp_gap(&mut rng, rate);
        let (kind, user, app, device): (f64, f64, f64, f64) = (rng.r#gen(), rng.r#gen(), rng.r#gen(), rng.r#gen());
        let next_gap = exp_gap(&mut streams.stream(Purpose::Arrival, tenant as u64, k + 1), rate);
        ArrivalDraws {
            kind,
            user,
            app,
            device,
            next_gap,
        }
    }
}
