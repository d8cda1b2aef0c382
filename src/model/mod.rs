//! The system being simulated: tenants, users, devices and their mail-app
//! connections, the four policies, the prompt flow, and evaluator pools.

pub mod clock;
pub mod decide;
pub mod draws;
pub use crate::scenario::{App, Policy};
pub mod evaluator;
pub mod fleet;
pub mod population;
pub mod sim;

pub use fleet::FleetSim;
pub use population::Plan;
pub use sim::{PoolResult, PoolSim};
