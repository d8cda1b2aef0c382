//! The simulation engine: clock, pending-event queue and random streams.
//! It knows nothing of mail, tenants or files.

pub mod curve;
pub mod progress;
pub mod queue;
pub mod rng;
pub mod time;

pub use curve::StepCurve;
pub use progress::Progress;
pub use queue::EventQueue;
pub use rng::{Purpose, Streams};
pub use time::SimTime;
