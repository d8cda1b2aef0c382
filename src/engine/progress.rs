//! How far a run has got, shared between the simulating threads and a
//! progress display.

use std::sync::atomic::AtomicU64;

/// Work done so far, summed over every pool of every replication. Pools
/// add to it every few tens of thousands of events, so reading it costs
/// the simulation nothing measurable.
#[derive(Debug, Default)]
pub struct Progress {
    /// Simulated microseconds completed, over all pools and replications.
    pub simulated_us: AtomicU64,
    /// Events processed.
    pub events: AtomicU64,
}
