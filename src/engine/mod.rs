//! The simulation engine: clock, pending-event queue, random streams, and
//! the name of each engine that uses them.
//! It knows nothing of mail, tenants or files.

pub mod curve;
pub mod kind;
pub mod memory;
pub mod progress;
pub mod queue;
pub mod rng;
pub mod time;

pub use curve::StepCurve;
pub use kind::Engine;
pub use progress::Progress;
pub use queue::EventQueue;
pub use rng::{Purpose, Streams};
pub use time::SimTime;
