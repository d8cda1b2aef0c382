//! Simulated time: integer microseconds, so that every run adds up the same way.

use std::fmt;
use std::ops::{Add, Sub};

/// A point or span of simulated time in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero, the start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);
    /// One second.
    pub const SECOND: SimTime = SimTime(1_000_000);
    /// One hour.
    pub const HOUR: SimTime = SimTime(3_600_000_000);
    /// One day.
    pub const DAY: SimTime = SimTime(86_400_000_000);

    /// Microseconds since the start of the run.
    pub fn micros(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for reports only (never for arithmetic in the model).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000)
    }

    /// From whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1_000)
    }

    /// Saturating addition: a delay past the end of representable time means "never".
    pub fn after(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.after(rhs)
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    /// Shortest exact form with a unit, as scenario files write durations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        const UNITS: [(u64, &str); 5] = [
            (86_400_000_000, "d"),
            (3_600_000_000, "h"),
            (60_000_000, "m"),
            (1_000_000, "s"),
            (1_000, "ms"),
        ];
        if us == 0 {
            return write!(f, "0s");
        }
        for (size, unit) in UNITS {
            if us.is_multiple_of(size) {
                return write!(f, "{}{}", us / size, unit);
            }
        }
        write!(f, "{us}us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_picks_the_largest_exact_unit() {
        assert_eq!(SimTime::DAY.to_string(), "1d");
        assert_eq!(SimTime(90_000_000).to_string(), "90s");
        assert_eq!(SimTime(1_500).to_string(), "1500us");
        assert_eq!(SimTime::from_millis(5).to_string(), "5ms");
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER + SimTime::DAY, SimTime::NEVER);
        assert_eq!(SimTime::ZERO - SimTime::DAY, SimTime::ZERO);
    }
}
