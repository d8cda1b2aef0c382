//! The service's clock: wall time since start, run `speedup` times faster,
//! so that a 24 h quarantine ends in 86.4 s at a speed-up of 1000.
//!
//! Only the rules' time (quarantine timeouts, `now` and
//! `quarantined_until` in answers) runs on this clock. Capacity (service
//! times, the queue timeout, pauses) is emulated in wall time: a speed-up
//! must not make the evaluator faster.

use crate::engine::SimTime;
use std::time::{Duration, Instant};

/// A monotonic clock that starts at 0 and runs `speedup` times wall time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    speedup: f64,
}

impl Clock {
    /// A clock starting now.
    pub fn new(speedup: f64) -> Self {
        Clock {
            start: Instant::now(),
            speedup,
        }
    }

    /// The wall instant the clock started at.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Wall time since start.
    pub fn wall(&self) -> Duration {
        self.start.elapsed()
    }

    /// Service time now, in microseconds of the service's clock.
    pub fn now(&self) -> SimTime {
        self.at(Instant::now())
    }

    /// Service time at a wall instant.
    pub fn at(&self, instant: Instant) -> SimTime {
        let wall = instant.saturating_duration_since(self.start);
        SimTime((wall.as_secs_f64() * 1e6 * self.speedup) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_speedup_times_faster() {
        let c = Clock::new(1000.0);
        let t = c.at(c.start() + Duration::from_millis(86_400));
        assert_eq!(t, SimTime::DAY);
        assert_eq!(c.at(c.start()), SimTime::ZERO);
    }
}
